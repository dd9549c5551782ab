"""Input values that keep what their .NET type means once they cross into Python.

The PowerShell host (``src/PwshCompat.Host/ToPython.cs``) hands a command plain Python values.
For most .NET values that is enough; for the ones below the original module's behaviour depends
on the .NET type, so the host passes one of these instead. Each is a subclass of the plain value
it would otherwise be (a ``str``, ``float``, ``dict`` or ``list``), so code that only needs the
plain value sees no difference; code that needs the .NET meaning checks for the class.

What the original does with each (AutoRest's ``JsonSerializable.ToJsonValue``, ``Convert.ToString``
and the model TypeConverters; facts: ../shared/research/original-observed.md, "Body"):

* :class:`DateTime` / :class:`DateTimeOffset`: a ``System.DateTime`` (written as an ISO date in
  ``-AdditionalProperties``) or ``System.DateTimeOffset`` (written as its ``ToString()`` text);
* :class:`Number`: a ``float``, ``double`` or ``decimal`` with its exact .NET text (``[float]0.1``
  is ``0.1``, not ``0.10000000149011612``);
* :class:`PSCustomObject`: a ``[pscustomobject]``, whose string form is ``@{a=1; b=x}``;
* :class:`TypedList` / :class:`DotNetDictionary`: a collection that is not an ``object[]`` or a
  ``Hashtable``, with its ``ToString()`` text and, for a dictionary the original does not write as
  a JSON object (a generic ``Dictionary[string,int]``), the JSON items it writes instead;
* :class:`WrappedTimeSpan`: a ``TimeSpan`` inside a hashtable that PowerShell keeps wrapped in a
  ``PSObject`` (a ``New-TimeSpan`` result): the original's ``value is TimeSpan`` test fails for it.

``byte[]`` crosses as ``bytes``.
"""

from __future__ import annotations

import datetime as _dt
from typing import Any

from .conversion import TimeSpan

__all__ = ["DateTime", "DateTimeOffset", "DotNetDictionary", "Number", "PSCustomObject", "TypedList", "WrappedTimeSpan"]


class DateTime(str):
    """A ``System.DateTime``: its round-trip text (``ToString("o")``), which also tells its kind.

    ``2024-01-02T03:04:05.0000000`` is Unspecified, ``...Z`` UTC, ``...+02:00`` Local (with the
    machine's offset then). ``wrapped`` is True when PowerShell kept it in a ``PSObject`` inside a
    hashtable (``@{ when = Get-Date }``), where the original's ``value is DateTime`` test fails;
    ``text`` is its ``ToString()`` in the host's culture (what ``Convert.ToString`` gives).
    """

    wrapped: bool = False
    text: str = ""

    def __new__(cls, round_trip: str, wrapped: bool = False, text: str = "") -> "DateTime":
        self = super().__new__(cls, round_trip)
        self.wrapped = wrapped
        self.text = text or round_trip
        return self

    @property
    def kind(self) -> str:
        """``Unspecified``, ``Utc`` or ``Local``, as .NET's DateTimeKind."""
        if self.endswith(("Z", "z")):
            return "Utc"
        return "Local" if _offset_start(self) is not None else "Unspecified"

    def value(self) -> _dt.datetime:
        """The date and time (with its offset for Utc and Local; naive for Unspecified)."""
        return _parse_round_trip(self)


class DateTimeOffset(str):
    """A ``System.DateTimeOffset``: its round-trip text; ``text`` is its ``ToString()`` (the host's culture)."""

    text: str = ""

    def __new__(cls, round_trip: str, text: str) -> "DateTimeOffset":
        self = super().__new__(cls, round_trip)
        self.text = text
        return self

    def value(self) -> _dt.datetime:
        return _parse_round_trip(self)


class Number(float):
    """A .NET ``float``, ``double`` or ``decimal`` with ``text``, its invariant ``ToString()``."""

    text: str = ""

    def __new__(cls, value: float, text: str) -> "Number":
        self = super().__new__(cls, value)
        self.text = text
        return self


class PSCustomObject(dict):  # type: ignore[type-arg]
    """A ``[pscustomobject]``: its properties in order; ``text`` is its string form (``@{a=1; b=x}``)."""

    text: str = ""

    def __init__(self, properties: Any = (), text: str = "") -> None:
        super().__init__(properties)
        self.text = text


class TypedList(list):  # type: ignore[type-arg]
    """A collection that is not an ``object[]``; ``text`` is ``Convert.ToString`` of it (``System.Int32[]``)."""

    text: str = ""

    def __init__(self, items: Any = (), text: str = "") -> None:
        super().__init__(items)
        self.text = text


class DotNetDictionary(dict):  # type: ignore[type-arg]
    """A dictionary that is not a ``Hashtable``: ``text`` is ``Convert.ToString`` of it.

    ``json_items`` is None when the original writes it as a JSON object (an ``[ordered]``
    dictionary, a ``Dictionary[string,object]``); otherwise the array items it writes instead:
    the text of each ``KeyValuePair`` (``"[k, 1]"``), or a one-member object per ``DictionaryEntry``.
    """

    text: str = ""
    json_items: list[Any] | None = None

    def __init__(self, items: Any = (), text: str = "", json_items: list[Any] | None = None) -> None:
        super().__init__(items)
        self.text = text
        self.json_items = json_items


class WrappedTimeSpan(TimeSpan):
    """A ``TimeSpan`` that PowerShell kept wrapped in a ``PSObject`` inside a hashtable."""


def _offset_start(text: str) -> int | None:
    """Where a ``+hh:mm``/``-hh:mm`` offset starts in round-trip text, if it has one."""
    time_at = text.find("T")
    if time_at < 0:
        return None
    for i in range(len(text) - 1, time_at, -1):
        if text[i] in "+-":
            return i
    return None


def _parse_round_trip(text: str) -> _dt.datetime:
    """``ToString("o")`` text -> datetime (Python keeps six fractional digits of the seven)."""
    body, offset = text, ""
    if body.endswith(("Z", "z")):
        body, offset = body[:-1], "+00:00"
    else:
        at = _offset_start(body)
        if at is not None:
            body, offset = body[:at], body[at:]
    head, dot, fraction = body.partition(".")
    if dot:
        head += "." + fraction[:6].ljust(6, "0")
    return _dt.datetime.fromisoformat(head + offset)


def convert_to_string(value: Any) -> str:
    """``Convert.ToString(value)`` as the original applies it to a string member of a model.

    Unlike PowerShell's ``[string]`` (which joins an array's items), a collection gives its type
    name: ``System.Object[]``, ``System.Collections.Hashtable``; a ``[pscustomobject]`` gives its
    string form ``@{a=1}``; ``None`` gives ``""``. A Python object with attributes is taken as a
    ``[pscustomobject]``, a response model object as the model's type name.
    """
    from .conversion import dotnet_string, double_text

    if value is None:
        return ""
    if isinstance(value, (DateTime, DateTimeOffset, Number, PSCustomObject, TypedList, DotNetDictionary)):
        return value.text
    if isinstance(value, str):
        return value
    if isinstance(value, float):
        return double_text(value) if not (value != value or value in (float("inf"), float("-inf"))) else dotnet_string(value)
    if isinstance(value, (list, tuple)):
        return "System.Object[]"
    if isinstance(value, dict):
        return "System.Collections.Hashtable"
    if isinstance(value, (bytes, bytearray)):
        return "System.Byte[]"
    type_name = getattr(value, "type_name", None)
    if isinstance(type_name, str) and callable(getattr(value, "to_wire", None)):
        return type_name
    return dotnet_string(value)
