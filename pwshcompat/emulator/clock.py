"""The emulator's clock: real time plus an offset that tests move forward.

Every time-dependent rule (session expiry and fade, preferred-presence expiry, token lifetime,
device-code expiry) reads this clock, so a test advances it instead of sleeping:

    emu.clock.advance(minutes=5)      # an Available session now shows as idle
    emu.clock.freeze()                # stop following wall time (fully deterministic)
"""

from __future__ import annotations

import math
import threading
from datetime import datetime, timedelta, timezone

#: How far the clock may run ahead of wall time in total: far enough for any expiry the emulator
#: models (a week's preferred presence, a token's hour), near enough that every date stays valid.
MAX_OFFSET = timedelta(days=100 * 366)


class Clock:
    """UTC time that follows the wall clock (unless frozen) and can be advanced, never rewound."""

    def __init__(self, *, frozen_at: datetime | None = None) -> None:
        self._lock = threading.Lock()
        self._offset = timedelta(0)
        self._frozen: datetime | None = frozen_at.astimezone(timezone.utc) if frozen_at else None

    def now(self) -> datetime:
        with self._lock:
            base = self._frozen if self._frozen is not None else datetime.now(timezone.utc)
            return base + self._offset

    def timestamp(self) -> float:
        """Seconds since the epoch (for JWT ``iat``/``exp``)."""
        return self.now().timestamp()

    def advance(self, delta: timedelta | float | None = None, **units: float) -> datetime:
        """Move forward by ``delta`` (a timedelta or seconds) or ``timedelta(**units)``; returns the new now.

        ``ValueError`` (and no change) for a step that is negative, not a finite number, or that
        would put the clock more than ``MAX_OFFSET`` (100 years) ahead of wall time.
        """
        for value in (delta, *units.values()):
            if value is None or isinstance(value, timedelta):
                continue
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                raise ValueError(f"the clock advances by a finite number of seconds or a timedelta, not {value!r}")
        try:
            step = delta if isinstance(delta, timedelta) else timedelta(seconds=delta or 0) + timedelta(**units)
        except OverflowError:
            step = MAX_OFFSET * 2
        if step < timedelta(0):
            raise ValueError(f"the emulator clock only moves forward (got {step})")
        with self._lock:
            if self._offset + step > MAX_OFFSET:
                raise ValueError(f"the emulator clock may run at most {MAX_OFFSET.days} days ahead of wall time; "
                                 f"it is {self._offset} ahead, and {step} more is too far")
            self._offset += step
        return self.now()

    def freeze(self) -> datetime:
        """Stop following wall time; ``now()`` changes only through ``advance``."""
        with self._lock:
            if self._frozen is None:
                self._frozen = datetime.now(timezone.utc)
            return self._frozen + self._offset
