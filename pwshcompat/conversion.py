"""PowerShell-style value conversion for the types this cmdlet uses.

Three families of rules live here, each with the .NET behaviour it reproduces:

* ``[TimeSpan]`` parameters (:func:`to_timespan`): PowerShell's own conversion. Integers are
  ticks, strings go through ``TimeSpan.Parse`` (``"1"`` is one day, ``"01:30"`` ninety minutes),
  ``timedelta`` is taken exactly. Facts: ../shared/research/cmdlet-semantics.md section 3,
  checked against pwsh 7.6. From Python (:func:`to_timespan_from_python`) a bare number is
  refused instead, since neither reading is what a Python caller means, and ISO 8601 text is
  accepted beside ``TimeSpan.Parse`` text.
* ISO 8601 durations (:func:`parse_xsd_duration`, :meth:`TimeSpan.to_iso8601`): what
  ``XmlConvert.ToTimeSpan``/``XmlConvert.ToString(TimeSpan)`` do, used inside ``-BodyParameter``
  and on the wire.
* The shapes a model parameter takes (:func:`members_of`, :func:`unique_keys`) and the identity
  (:func:`identity_from_value`): the AutoRest TypeConverter path, with its silent drops (section
  2). Where the original drops a value silently we drop it too, and report a warning naming it.
  Request and response models themselves are :mod:`pwshcompat.operation.models`.
"""

from __future__ import annotations

import datetime as _dt
import decimal
import json
import math
import re
from dataclasses import dataclass
from typing import Any, Callable, Iterable

__all__ = [
    "ConversionError",
    "TimeSpan",
    "double_text",
    "dotnet_string",
    "dotnet_type_name",
    "identity_from_value",
    "members_of",
    "parse_timespan",
    "parse_xsd_duration",
    "to_timespan",
    "to_timespan_from_python",
    "unique_keys",
    "well_formed",
]

TICKS_PER_SECOND = 10_000_000
TICKS_PER_DAY = 86_400 * TICKS_PER_SECOND
MAX_TICKS = 2**63 - 1
MIN_TICKS = -(2**63)


class ConversionError(ValueError):
    """A value cannot be converted; ``message`` is .NET's inner error text (no trailing period added)."""


@dataclass(frozen=True, order=True)
class TimeSpan:
    """System.TimeSpan: a signed count of 100-nanosecond ticks."""

    ticks: int

    @classmethod
    def from_timedelta(cls, value: _dt.timedelta) -> "TimeSpan":
        """The TimeSpan of ``value``; :class:`ConversionError` (.NET's OverflowException text) beyond
        TimeSpan's range, about 10.7 million days either way (a timedelta reaches 999,999,999 days)."""
        micros = (value.days * 86_400 + value.seconds) * 1_000_000 + value.microseconds
        if not MIN_TICKS <= micros * 10 <= MAX_TICKS:
            raise ConversionError(f'Cannot convert value "{value}" to type "System.TimeSpan". '
                                  'Error: "TimeSpan overflowed because the duration is too long."')
        return cls(micros * 10)

    def to_timedelta(self) -> _dt.timedelta:
        return _dt.timedelta(microseconds=self.ticks // 10)

    def total_seconds(self) -> float:
        return self.ticks / TICKS_PER_SECOND

    def __str__(self) -> str:
        """TimeSpan.ToString() ("c" format): ``[-][d.]hh:mm:ss[.fffffff]``."""
        ticks = abs(self.ticks)
        days, rest = divmod(ticks, TICKS_PER_DAY)
        seconds, fraction = divmod(rest, TICKS_PER_SECOND)
        hours, seconds = divmod(seconds, 3600)
        minutes, seconds = divmod(seconds, 60)
        text = ("-" if self.ticks < 0 else "") + (f"{days}." if days else "")
        text += f"{hours:02d}:{minutes:02d}:{seconds:02d}"
        return text + (f".{fraction:07d}" if fraction else "")

    def to_iso8601(self) -> str:
        """XmlConvert.ToString(TimeSpan): ``PT1H``, ``P1DT2H``, ``PT0.5S``, ``-PT1H``, ``PT0S``.

        Days are never folded into months or years (XsdDuration keeps them as days).
        """
        ticks = abs(self.ticks)
        days, rest = divmod(ticks, TICKS_PER_DAY)
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


# --- TimeSpan.Parse (invariant culture) -------------------------------------------------------

_TS_DAYS = re.compile(r"^(-)?(\d+)$")
# [-][d.]h:m[:s[.f]]  or  [-]d:h:m:s[.f]
_TS_CLOCK = re.compile(r"^(-)?(?:(\d+)\.)?(\d+):(\d+)(?::(\d+)(?:\.(\d+))?)?$")
_TS_DAYCLOCK = re.compile(r"^(-)?(\d+):(\d+):(\d+):(\d+)(?:\.(\d+))?$")


def _overflow(text: str) -> ConversionError:
    return ConversionError(
        f"The TimeSpan string '{text}' could not be parsed because at least one of the numeric components "
        "is out of range or contains too many digits.")


def parse_timespan(text: str) -> TimeSpan:
    """``TimeSpan.Parse(text, InvariantCulture)`` for the shapes PowerShell users write.

    >>> parse_timespan("1"), parse_timespan("01:30"), parse_timespan("1.02:03:04.5")
    (TimeSpan(ticks=864000000000), TimeSpan(ticks=54000000000), TimeSpan(ticks=937845000000))
    """
    stripped = text.strip(" \t\r\n")
    if not stripped.isascii():
        raise ConversionError(f"String '{text}' was not recognized as a valid TimeSpan.")
    m = _TS_DAYS.match(stripped)
    if m:
        days = int(m.group(2))
        if days > 10_675_199:
            raise _overflow(text)
        ticks = days * TICKS_PER_DAY
        return TimeSpan(-ticks if m.group(1) else ticks)
    m = _TS_CLOCK.match(stripped) or _TS_DAYCLOCK.match(stripped)
    if not m:
        raise ConversionError(f"String '{text}' was not recognized as a valid TimeSpan.")
    sign, day_text, hours, minutes, seconds, fraction = m.groups()
    d, h, mi, s = int(day_text or 0), int(hours), int(minutes), int(seconds or 0)
    if h > 23 or mi > 59 or s > 59 or d > 10_675_199 or (fraction is not None and len(fraction) > 7):
        raise _overflow(text)
    frac = int((fraction or "0").ljust(7, "0"))
    ticks = ((d * 24 + h) * 60 + mi) * 60 * TICKS_PER_SECOND + s * TICKS_PER_SECOND + frac
    if ticks > MAX_TICKS:
        raise _overflow(text)
    return TimeSpan(-ticks if sign else ticks)


def dotnet_type_name(value: Any) -> str:
    """The .NET type a PowerShell user would see for a Python value (for error messages)."""
    if isinstance(value, bool):
        return "System.Boolean"
    if isinstance(value, int):
        return "System.Int32" if -(2**31) <= value < 2**31 else "System.Int64"
    if isinstance(value, float):
        return "System.Double"
    if isinstance(value, str):
        return "System.String"
    if isinstance(value, dict):
        return "System.Collections.Hashtable"
    if isinstance(value, (list, tuple)):
        return "System.Object[]"
    if isinstance(value, TimeSpan):
        return "System.TimeSpan"
    return _model_type_name(value) or f"{type(value).__module__}.{type(value).__qualname__}"


def _model_type_name(value: Any) -> str | None:
    """The .NET type name of a returned Graph object (``operation.models.GraphObject``), else None."""
    own = getattr(value, "type_name", None)
    return own if isinstance(own, str) and callable(getattr(value, "ps_model", None)) else None


def double_text(value: float) -> str:
    """``Double.ToString(InvariantCulture)`` (.NET Core 3.0 and later): the shortest text that reads
    back as the same double, positional from 0.0001 up to 1E+15 and in ``1.5E+20`` form beyond.

    ``-0.0`` gives ``0`` (what PowerShell's ``-0.0`` is). Raises ``ValueError`` for NaN and the
    infinities, which have no JSON form.
    """
    if math.isnan(value) or math.isinf(value):
        raise ValueError(f"{value!r} is not a number JSON can carry")
    if value == 0:
        return "0"
    sign, digits, exponent = decimal.Decimal(repr(value)).as_tuple()
    text = "".join(map(str, digits)).rstrip("0") or "0"
    point = len(digits) + int(exponent)  # digits before the decimal point
    magnitude = point - 1
    prefix = "-" if sign else ""
    if magnitude >= 15 or magnitude < -4:
        mantissa = text[0] + ("." + text[1:] if len(text) > 1 else "")
        return f"{prefix}{mantissa}E{'+' if magnitude >= 0 else '-'}{abs(magnitude):02d}"
    if point <= 0:
        return f"{prefix}0.{'0' * -point}{text}"
    if point >= len(text):
        return prefix + text + "0" * (point - len(text))
    return f"{prefix}{text[:point]}.{text[point:]}"


def well_formed(text: str) -> str:
    """``text`` as .NET writes it out (``Encoding.UTF8``, ``Uri.EscapeDataString``): each lone UTF-16
    surrogate (half of an emoji cut in two) becomes U+FFFD, a high and a low surrogate in a row are
    the one character they spell. ``text`` itself when it has no surrogate (the usual case).

    Python strings can hold lone surrogates (``"\\udc80"``, ``surrogateescape``) that the UTF-8
    codec refuses; PowerShell's side repairs them the same way as they cross into Python
    (``src/PwshCompat.Host/WellFormedText.cs``).
    """
    if text.isascii():
        return text
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    return text


def dotnet_string(value: Any) -> str:
    """``Convert.ToString``/PowerShell's ``[string]`` for plain values (invariant culture).

    ``True`` -> ``"True"``, ``1.5`` -> ``"1.5"``, ``None`` -> ``""``, lists join with a space
    (``$OFS``), dicts name their type as .NET would.
    """
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "Infinity" if value > 0 else "-Infinity"
        if value == int(value) and abs(value) < 1e15:
            return str(int(value))
        text = repr(value)
        return text.replace("e+", "E+").replace("e-", "E-")
    if isinstance(value, (list, tuple)):
        return " ".join(dotnet_string(v) for v in value)
    if isinstance(value, dict):
        return "System.Collections.Hashtable"
    if isinstance(value, _dt.timedelta):
        return str(TimeSpan.from_timedelta(value))
    if isinstance(value, TimeSpan):
        return str(value)
    if _model_type_name(value) is not None:
        return str(_model_type_name(value))   # a model object's ToString(): its type name ("$presence")
    attrs = getattr(value, "__dict__", None)
    if isinstance(attrs, dict) and type(value).__str__ is object.__str__ or type(value).__name__ == "SimpleNamespace":
        # A PSCustomObject's ToString(): @{Name=value; Other=value}
        return "@{" + "; ".join(f"{k}={dotnet_string(v)}" for k, v in vars(value).items() if not k.startswith("_")) + "}"
    return str(value)


def to_timespan(value: Any) -> TimeSpan:
    """PowerShell's conversion of an argument to ``[TimeSpan]``.

    Raises :class:`ConversionError` with PowerShell's message (the part after ``Cannot process
    argument transformation on parameter 'X'.``).
    """
    if isinstance(value, TimeSpan):
        return value
    if isinstance(value, _dt.timedelta):
        return TimeSpan.from_timedelta(value)
    if value is None:
        raise ConversionError('Cannot convert null to type "System.TimeSpan".')
    if isinstance(value, bool):
        raise ConversionError(f'Cannot convert value "{dotnet_string(value)}" to type "System.TimeSpan". '
                              "Error: \"Invalid cast from 'System.Boolean' to 'System.TimeSpan'.\"")
    if isinstance(value, int):
        # TimeSpan(long ticks): the trap the fact sheet warns about, 3600 is 0.00036 s.
        if not MIN_TICKS <= value <= MAX_TICKS:
            raise ConversionError(f'Cannot convert value "{value}" to type "System.TimeSpan". '
                                  'Error: "Value was either too large or too small for an Int64."')
        return TimeSpan(value)
    if isinstance(value, (str, float)):
        text = dotnet_string(value)
        try:
            return parse_timespan(text)
        except ConversionError as exc:
            raise ConversionError(f'Cannot convert value "{text}" to type "System.TimeSpan". Error: "{exc}"') from None
    raise ConversionError(f'Cannot convert the "{dotnet_string(value)}" value of type "{dotnet_type_name(value)}" '
                          'to type "System.TimeSpan".')


def to_timespan_from_python(value: Any) -> TimeSpan:
    """A ``[TimeSpan]`` parameter's value as the Python API takes it: a ``datetime.timedelta``,
    a :class:`TimeSpan`, ISO 8601 duration text (``"PT1H"``, as Graph writes durations) or
    ``TimeSpan.Parse`` text (``"01:00:00"``, ``"1.00:00:00"``).

    A bare ``int`` or ``float`` raises :class:`ConversionError`: PowerShell would read ``3600``
    as 3600 ticks (0.36 ms) and ``3600.0`` as 3600 days, and a Python caller means neither.
    Everything else converts as PowerShell does (:func:`to_timespan`).
    """
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        ticks_reading = f"{value} ticks ({value / TICKS_PER_SECOND:g} s)" if isinstance(value, int) else None
        raise ConversionError(
            f"A bare number ({value!r}) is not accepted for a TimeSpan from Python: PowerShell would read it as "
            f"{ticks_reading or f'{value:g} days'}. Pass a datetime.timedelta (for example "
            "datetime.timedelta(hours=1)), ISO 8601 text ('PT1H') or 'hh:mm:ss' text ('01:00:00').")
    if isinstance(value, str) and value.strip(" \t\r\n").lstrip("-").startswith("P"):
        try:
            return parse_xsd_duration(value)
        except ConversionError as exc:
            raise ConversionError(f'Cannot convert value "{value}" to type "System.TimeSpan". Error: "{exc}"') from None
    return to_timespan(value)


# --- XmlConvert.ToTimeSpan (XsdDuration) -------------------------------------------------------

_XSD = re.compile(
    r"^(-)?P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)D)?(?:T(?=\d)(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)(?:\.(\d+))?S)?)?$")


def parse_xsd_duration(text: str) -> TimeSpan:
    """``XmlConvert.ToTimeSpan``: ISO 8601 durations; a year is 365 days, a month 30 days.

    Whitespace around the value is ignored, designators are upper-case only, digits beyond the
    seventh fractional one are cut off.

    >>> parse_xsd_duration("PT1H30M"), parse_xsd_duration("P1D")
    (TimeSpan(ticks=54000000000), TimeSpan(ticks=864000000000))
    """
    stripped = text.strip(" \t\r\n")
    m = _XSD.match(stripped)
    if not m or stripped in ("P", "-P") or stripped.endswith("T"):
        raise ConversionError(f"The string '{text}' is not a valid TimeSpan value.")
    sign, years, months, days, hours, minutes, seconds, fraction = m.groups()
    if m.group(0).rstrip("-P") == "" or all(g is None for g in m.groups()[1:]):
        raise ConversionError(f"The string '{text}' is not a valid TimeSpan value.")
    total_days = int(years or 0) * 365 + int(months or 0) * 30 + int(days or 0)
    ticks = ((total_days * 24 + int(hours or 0)) * 60 + int(minutes or 0)) * 60 * TICKS_PER_SECOND
    ticks += int(seconds or 0) * TICKS_PER_SECOND + int((fraction or "0")[:7].ljust(7, "0"))
    if ticks > MAX_TICKS:
        raise ConversionError(f"The string '{text}' is not a valid TimeSpan value.")
    return TimeSpan(-ticks if sign else ticks)


# --- Model-shaped values and the identity (AutoRest TypeConverter) -----------------------------

def members_of(value: Any, what: str) -> tuple[list[tuple[Any, Any]], bool]:
    """The (key, value) pairs of a dict, a JSON object text or an object's attributes.

    Returns the pairs and whether they came from JSON text (JSON ``null`` members are skipped).
    """
    if isinstance(value, dict):
        return list(value.items()), False
    if isinstance(value, (str, bytes)):
        try:
            # Graph's JsonObject is case-insensitive: a member given twice fails, whatever its case.
            parsed = json.loads(value, object_pairs_hook=_unique_members)
        except ConversionError as exc:
            raise ConversionError(f"{what} {exc}") from None
        except ValueError as exc:
            raise ConversionError(f"{what} is a string but not JSON text: {exc}") from None
        if not isinstance(parsed, dict):
            raise ConversionError(f"{what} as JSON text must be an object, not {type(parsed).__name__}")
        return [(k, v) for k, v in parsed.items() if v is not None], True
    if isinstance(value, (bool, int, float, list, tuple)) or value is None:
        raise ConversionError(f"{what} cannot be made from a value of type {dotnet_type_name(value)}")
    attrs = getattr(value, "__dict__", None)
    if attrs is None and hasattr(value, "__slots__"):
        attrs = {k: getattr(value, k) for k in value.__slots__ if hasattr(value, k)}
    if attrs is None:
        raise ConversionError(f"{what} cannot be made from a value of type {dotnet_type_name(value)}")
    return [(k, v) for k, v in attrs.items() if not str(k).startswith("_")], False


def _unique_members(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: set[str] = set()
    for key, _ in pairs:
        if key.lower() in seen:
            raise ConversionError(f"has the key '{key}' more than once (keys are case-insensitive)")
        seen.add(key.lower())
    return dict(pairs)


def unique_keys(pairs: Iterable[tuple[Any, Any]], what: str) -> dict[str, tuple[str, Any]]:
    """{lower key: (key, value)}; a non-string or case-duplicate key fails like ``ToDictionary`` does."""
    out: dict[str, tuple[str, Any]] = {}
    for key, val in pairs:
        if not isinstance(key, str):
            raise ConversionError(f"{what} has the key {key!r} of type {dotnet_type_name(key)}; keys must be strings")
        if key.lower() in out:
            raise ConversionError(f"{what} has the key '{key}' more than once (keys are case-insensitive)")
        out[key.lower()] = (key, val)
    return out


def identity_from_value(value: Any, properties: Iterable[str], warn: Callable[[str], None]) -> dict[str, str]:
    """``-InputObject`` (a dict, an object with attributes, or JSON text) -> {property: string}.

    Only the identity's own ``properties`` are kept (matched case-insensitively, values through
    ``Convert.ToString``); the original ignores other keys silently, we also ``warn`` naming them.
    A ``None`` value counts as absent: the original would likely turn it into ``""`` and call
    ``.../presences//...`` (fact sheet 4, inferred); failing with the null-value message is safer.
    """
    pairs, _ = members_of(value, "InputObject")
    members = unique_keys(pairs, "InputObject")
    canonical = {p.lower(): p for p in properties}
    out: dict[str, str] = {}
    ignored = []
    for lower, (key, val) in members.items():
        name = canonical.get(lower)
        if name is None:
            ignored.append(key)
        elif val is not None:
            out[name] = dotnet_string(val)
    if ignored:
        warn("InputObject: " + ", ".join(f"'{k}'" for k in ignored)
             + " is not an identity property; the original cmdlet ignores it silently, so it was not used.")
    return out
