"""Rate limits per application, as Graph's presence service applies them (graph-presence.md §5).

Off by default (tests and benchmarks would trip them). ``emu.set_rate_limits()`` switches on the
documented figures: 1,500 reads (GET presence, getPresencesByUserId) and 10,000 requests in any
30-second window, per application (``appid``) per tenant — the two numbers come from two pages that
disagree, so both are configurable. Requests refused with 429 still count, as the throttling page
warns ("requests keep counting against the limit while throttled"); ``Retry-After`` says when the
oldest counted request leaves the window. Time is the emulator clock, so a frozen clock plus
``clock.advance`` tests throttling without waiting. Each ``$batch`` step counts on its own.
"""

from __future__ import annotations

import math
import re
import threading
from collections import defaultdict, deque
from dataclasses import dataclass
from datetime import datetime, timedelta

from .clock import Clock

DOCUMENTED_READS, DOCUMENTED_TOTAL, DOCUMENTED_WINDOW = 1500, 10_000, 30.0


MAX_WINDOW = 86_400.0


@dataclass(frozen=True)
class RateLimits:
    reads: int | None
    total: int | None
    window: timedelta

    @classmethod
    def checked(cls, reads: object, total: object, window: object) -> "RateLimits":
        """Limits from untrusted values: counts None or whole numbers >= 1, the window finite seconds
        in (0, 86400]; ``ValueError`` naming the bad one otherwise."""
        for name, count in (("reads", reads), ("total", total)):
            if count is not None and (isinstance(count, bool) or not isinstance(count, int) or count < 1):
                raise ValueError(f"{name} must be a whole number of requests >= 1 (or None for no limit), "
                                 f"got {count!r}")
        if (isinstance(window, bool) or not isinstance(window, (int, float)) or not math.isfinite(window)
                or not 0 < window <= MAX_WINDOW):
            raise ValueError(f"window must be a number of seconds above 0 and at most {MAX_WINDOW:g}, got {window!r}")
        return cls(reads, total, timedelta(seconds=window))  # type: ignore[arg-type]


def parse_rate(text: str) -> tuple[int, float]:
    """``"666/2s"`` -> (666, 2.0): requests per window; the window is seconds with an optional unit
    ``ms``, ``s``, ``m`` or ``h``. ``ValueError`` for anything else."""
    match = re.fullmatch(r"\s*(\d{1,9})\s*/\s*(\d+(?:\.\d+)?)?\s*(ms|s|m|h)?\s*", text)
    if match is None or (match[2] is None and match[3] is None):
        raise ValueError(f"expected REQUESTS/WINDOW such as 666/2s or 10000/30s, got {text!r}")
    scale = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}[match[3] or "s"]
    count, window = int(match[1]), float(match[2] or 1) * scale
    RateLimits.checked(None, count, window)
    return count, window


class Throttle:
    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.limits: RateLimits | None = None
        self._lock = threading.Lock()
        self._seen: dict[tuple[str, str], deque[datetime]] = defaultdict(deque)

    def configure(self, limits: RateLimits | None) -> None:
        with self._lock:
            self.limits = limits
            self._seen.clear()

    def admit(self, app: str, *, read: bool) -> float | None:
        """None when the request may proceed, else the Retry-After in seconds."""
        with self._lock:
            if self.limits is None:
                return None
            now = self.clock.now()
            waits = []
            for kind, limit in (("read", self.limits.reads if read else None), ("total", self.limits.total)):
                if limit is None:
                    continue
                seen = self._seen[(app, kind)]
                while seen and seen[0] <= now - self.limits.window:
                    seen.popleft()
                if len(seen) >= limit:
                    waits.append((seen[len(seen) - limit] + self.limits.window - now).total_seconds())
                seen.append(now)
            return max(1, math.ceil(max(waits))) if waits else None
