"""ISO 8601 durations as Graph accepts them (``Edm.Duration``).

Grammar from Graph's OpenAPI conversion of ``Edm.Duration`` (graph-presence.md §3.3):
``^-?P([0-9]+D)?(T([0-9]+H)?([0-9]+M)?([0-9]+([.][0-9]+)?S)?)?$`` — days, hours, minutes and
seconds only (no years, months or weeks). At least one component must be present.
"""

from __future__ import annotations

import re
from datetime import timedelta

_DURATION = re.compile(
    r"^(?P<sign>-)?P(?:(?P<days>\d+)D)?"
    r"(?:T(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+(?:\.\d+)?)S)?)?$"
)


def parse_duration(text: object) -> timedelta | None:
    """The duration ``text`` denotes, or None when it is not an Edm.Duration string or is too long
    for a date to hold (more than 999,999,999 days, or more digits than Python converts)."""
    if not isinstance(text, str) or len(text) > 64:
        return None
    match = _DURATION.fullmatch(text)
    if not match or text.endswith(("P", "T")):
        return None
    try:
        value = timedelta(
            days=int(match["days"] or 0),
            hours=int(match["hours"] or 0),
            minutes=int(match["minutes"] or 0),
            seconds=float(match["seconds"] or 0),
        )
    except (OverflowError, ValueError):
        return None
    return -value if match["sign"] else value
