"""PowerShell-style value conversion for the types this cmdlet uses."""

from __future__ import annotations

from dataclasses import dataclass

TICKS_PER_SECOND = 10_000_000


@dataclass(frozen=True, order=True)
class TimeSpan:
    """System.TimeSpan: a signed count of 100-nanosecond ticks."""

    ticks: int

    def to_iso8601(self) -> str:
        """XmlConvert.ToString(TimeSpan): ``PT1H``, ``P1DT2H``, ``PT0.5S``, ``-PT1H``, ``PT0S``."""
        ticks = abs(self.ticks)
        days, rest = divmod(ticks, 86_400 * TICKS_PER_SECOND)
        hours, rest = divmod(rest, 3_600 * TICKS_PER_SECOND)
        minutes, rest = divmod(rest, 60 * TICKS_PER_SECOND)
        seconds, fraction = divmod(rest, TICKS_PER_SECOND)
        out = "-P" if self.ticks < 0 else "P"
        if days:
            out += f"{days}D"
        if hours or minutes or seconds or fraction:
            out += "T"
            if hours:
                out += f"{hours}H"
            if minutes:
                out += f"{minutes}M"
            if seconds or fraction:
                out += str(seconds)
                if fraction:
                    out += "." + f"{fraction:07d}".rstrip("0")
                out += "S"
        elif not days:
            out += "T0S"
        return out
