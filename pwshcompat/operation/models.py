"""Graph model values: request bodies built from PowerShell-shaped input, and response objects.

One generic path serves every model ``spec/models.json`` defines, through a codec per property
type (facts: ../shared/research/cmdlet-semantics.md section 2, AutoRest's model TypeConverter and
JSON serializer as Graph's build rewrites them):

* **input** (:func:`from_value`): a dict, an object with attributes or JSON object text; members
  match case-insensitively; unknown members become additional properties in the given order;
  ``None`` members are dropped, except that a known string member given ``$null`` is sent as
  ``""`` (``Convert.ToString(null)``), and a known string member given something else is sent as
  its ``Convert.ToString`` text (``System.Object[]``, ``@{a=1}``). A member whose value the original
  cannot convert (a duration that is not ISO 8601, a flag that is not a Boolean, a TimeSpan or
  DateTime that PowerShell kept wrapped in a PSObject, ...) is dropped silently by the original; we
  drop it too and report a warning naming it.
* **output** (:func:`to_wire`): additional properties first (in their order), then the known
  members in the model's order, each through its codec: ISO 8601 durations
  (``XmlConvert.ToString(TimeSpan)``), UTC date-times with seven fractional digits, nested models
  the same way, ``None`` members omitted. A member given twice (in any case) fails as .NET's
  dictionary does, before anything is sent. Additional values are written as AutoRest's
  ``JsonSerializable.ToJsonValue`` writes them (:func:`json_value`), and the text by
  :mod:`.jsontext`.
* **responses** (:func:`from_wire`): a JSON object from Graph -> :class:`GraphObject`, whose
  attributes are the model's PowerShell property names (``.Availability``) and whose
  ``AdditionalProperties`` holds every other member (``@odata.context`` included), as the original's
  model objects do.
"""

from __future__ import annotations

import base64
import datetime as _dt
import decimal
import json
from typing import Any, Callable, Iterator

from .. import dotnetvalues
from ..conversion import ConversionError, TimeSpan, dotnet_string, dotnet_type_name, members_of, parse_xsd_duration, unique_keys
from ..dotnetvalues import convert_to_string
from ..spec import Model, ModelProperty
from ..spec import model as model_named
from . import jsontext

__all__ = ["Body", "GraphObject", "ValueNotWritable", "from_value", "from_wire", "graph_object", "iso_date", "json_value",
           "to_wire"]

Warn = Callable[[str], None]
_DROP = object()


class ValueNotWritable(ValueError):
    """A body value the original cannot write either; ``exception_type`` is the .NET exception it reports."""

    def __init__(self, message: str, exception_type: str = "System.ArgumentException") -> None:
        super().__init__(message)
        self.exception_type = exception_type


class Body:
    """A model value being sent: known members (PowerShell name -> decoded value) and additional ones."""

    def __init__(self, model: Model) -> None:
        self.model = model
        self.values: dict[str, Any] = {}
        self.additional: dict[str, Any] = {}

    def __repr__(self) -> str:
        return f"Body({self.model.name}, values={self.values!r}, additional={self.additional!r})"


def _decode(p: ModelProperty, value: Any, from_json: bool, warn: Warn, where: str) -> Any:
    """``value`` for property ``p`` as the original's converter takes it, or ``_DROP`` (warned)."""
    def dropped(what: str) -> Any:
        warn(f"{where}: '{p.wire}' = '{dotnet_string(value)}' is not {what}; the original cmdlet drops it silently, "
             "so it was not sent.")
        return _DROP

    kind = p.type
    if kind == "string":
        return json.dumps(value) if from_json and not isinstance(value, str) else convert_to_string(value)
    if kind == "duration":
        if isinstance(value, dotnetvalues.WrappedTimeSpan):
            warn(f"{where}: '{p.wire}' = '{value}' is a TimeSpan that PowerShell keeps wrapped in a PSObject (a "
                 "New-TimeSpan result or a variable holding one); the original cmdlet drops it silently, so it was not "
                 "sent. Give [TimeSpan]::FromHours(1) or ISO 8601 text such as 'PT1H' instead.")
            return _DROP
        if isinstance(value, TimeSpan):
            return value
        if isinstance(value, _dt.timedelta):
            return TimeSpan.from_timedelta(value)
        try:
            return parse_xsd_duration(dotnet_string(value))
        except ConversionError:
            return dropped("an ISO 8601 duration (such as PT1H or P1D)")
    if kind == "boolean":
        if isinstance(value, bool):
            return value
        if isinstance(value, (int, float)):
            return value != 0
        if isinstance(value, str) and value.strip().lower() in ("true", "false"):
            return value.strip().lower() == "true"
        return dropped("a Boolean")
    if kind == "int32":
        if isinstance(value, int) and not isinstance(value, bool) and -(2**31) <= value < 2**31:
            return value
        try:
            number = int(dotnet_string(value).strip())
        except ValueError:
            return dropped("a 32-bit integer")
        return number if -(2**31) <= number < 2**31 else dropped("a 32-bit integer")
    if kind == "dateTime":
        if isinstance(value, dotnetvalues.DateTime) and value.wrapped or isinstance(value, dotnetvalues.DateTimeOffset):
            # `value is DateTime` fails; XmlConvert.ToDateTime(value.ToString()) then fails on the culture's text.
            what = "a DateTimeOffset" if isinstance(value, dotnetvalues.DateTimeOffset) else \
                "a DateTime that PowerShell keeps wrapped in a PSObject (a Get-Date result)"
            warn(f"{where}: '{p.wire}' = '{value}' is {what}; the original cmdlet drops it silently, so it was not "
                 "sent. Give a [DateTime] or ISO 8601 text instead.")
            return _DROP
        parsed = parse_datetime(value.value() if isinstance(value, dotnetvalues.DateTime) else value)
        return dropped("a date and time") if parsed is None else parsed
    if kind == "string[]":
        items = value if isinstance(value, (list, tuple)) else [value]
        return [json.dumps(v) if from_json and not isinstance(v, str) else convert_to_string(v) for v in items]
    nested = model_named(kind)
    if isinstance(value, Body):
        return value
    try:
        return from_value(value, nested, warn, f"{where}.{p.name}")
    except ConversionError:
        return dropped(f"a {nested.name} object (a hashtable, an object or JSON object text)")


def parse_datetime(value: Any) -> _dt.datetime | None:
    """A date-time from a ``datetime`` or ISO 8601 text (``XmlConvert.ToDateTime``, as UTC); None if neither."""
    if isinstance(value, _dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=_dt.timezone.utc)
    if isinstance(value, str):
        text = value.strip()
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        # Python takes at most six fractional digits; .NET writes seven.
        head, dot, rest = text.partition(".")
        if dot:
            digits = "".join(c for c in rest[:7] if c.isdigit())
            text = head + "." + digits[:6].ljust(6, "0") + rest[len(digits):]
        try:
            parsed = _dt.datetime.fromisoformat(text)
        except ValueError:
            return None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=_dt.timezone.utc)
    return None


def from_value(value: Any, model: Model, warn: Warn, what: str = "BodyParameter") -> Body:
    """A dict, an object with attributes, a returned :class:`GraphObject` of ``model`` or JSON object
    text -> :class:`Body` of ``model``.

    Raises :class:`ConversionError` (.NET's message) when ``value`` cannot be a model at all: not
    JSON object text, another type, a key that is not a string or given twice in any case.
    """
    if isinstance(value, Body):
        return value
    if isinstance(value, GraphObject):
        # A returned object given back (``StatusMessage=presence.StatusMessage``), as PowerShell passes a
        # model object of the parameter's type on: its properties and AdditionalProperties, not its
        # Python attributes (which were ``type_name`` and ``AdditionalProperties`` alone). One of another
        # model is refused, as the binder refuses it for a parameter (binder._model_conversion).
        if value._model.name != model.name:
            raise ConversionError(f"{what} takes a {model.name} object, not a {value._model.name}")
        return _body_of(value)
    pairs, from_json = members_of(value, what)
    members = unique_keys(pairs, what)
    body = Body(model)
    known = {p.wire.lower() for p in model.properties}
    for lower, (key, val) in members.items():
        if lower in known or val is None:
            continue
        if model.additional_properties:
            body.additional[key] = val
    for p in model.properties:
        entry = members.get(p.wire.lower())
        if entry is None:
            continue
        if entry[1] is None:
            if p.type == "string" and not from_json:
                body.values[p.name] = ""  # Convert.ToString(null); JSON nulls are skipped
            continue
        decoded = _decode(p, entry[1], from_json, warn, what)
        if decoded is not _DROP:
            body.values[p.name] = decoded
    return body


def expanded(model: Model, bound: dict[str, Any], members: dict[str, str], extra: Any, warn: Warn) -> Body:
    """The body of an ``*Expanded`` set: each bound member parameter, then ``-AdditionalProperties``.

    Member values come already converted by the binder (strings, TimeSpan, string lists); a model
    member (``-StatusMessage @{...}``) is converted here. A key of ``-AdditionalProperties`` that is
    not a string is dropped (the original looks it up as text and finds nothing) with a warning.
    """
    body = Body(model)
    for parameter, property_name in members.items():
        if parameter not in bound or bound[parameter] is None:
            continue
        p = model.property(property_name)
        value = bound[parameter]
        if p.is_model:
            body.values[p.name] = from_value(value, model_named(p.type), warn, parameter)
            continue
        decoded = _decode(p, value, False, warn, parameter)
        if decoded is not _DROP:
            body.values[p.name] = decoded
    for key, value in (extra or {}).items():
        if value is None:
            continue
        if not isinstance(key, str):
            warn(f"AdditionalProperties: the key {key!r} is not a string; the original cmdlet drops it silently, so it "
                 "was not sent.")
            continue
        body.additional[key] = value
    return body


def format_datetime(value: _dt.datetime) -> str:
    """The original's date-time text: UTC, ``yyyy-MM-ddTHH:mm:ss.fffffffZ``."""
    utc = value.astimezone(_dt.timezone.utc)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond:06d}0Z"


def _encode(p: ModelProperty, value: Any, sending: bool) -> Any:
    if isinstance(value, Body):
        return to_wire(value, sending)
    if p.type == "duration":
        return value.to_iso8601()
    if p.type == "dateTime":
        return format_datetime(value)
    return value


def to_wire(body: Body, sending: bool = True) -> dict[str, Any]:
    """The JSON members as the original writes them (additional first, then the model's order).

    Raises ``ValueError`` naming the key when a member would appear twice (case-insensitive).
    """
    members: dict[str, Any] = {}
    seen: set[str] = set()
    named = [(p.wire, _encode(p, body.values[p.name], sending)) for p in body.model.properties if p.name in body.values]
    for key, value in [*((k, json_value(v, sending)) for k, v in body.additional.items() if v is not None), *named]:
        if key.lower() in seen:
            raise ValueError(f"An item with the same key has already been added. Key: {key}")
        seen.add(key.lower())
        members[key] = value
    return members


def json_value(value: Any, sending: bool = True) -> Any:
    """``JsonSerializable.ToJsonValue`` for an additional-property value: what :mod:`.jsontext` writes.

    Strings, Booleans and numbers as they are (a .NET ``float``/``double``/``decimal`` as its
    text: ``[float]0.1`` is ``0.1``); a ``DateTime`` (any kind) or a Python ``datetime`` as the ISO
    date AutoRest writes (``2024-01-02T03:04:05Z``, no fraction); a ``DateTimeOffset`` as its
    ``ToString()`` text; a TimeSpan as its ``ToString()`` (``"01:00:00"``, not ISO); ``byte[]``
    as base64; a ``[pscustomobject]`` as its string form (``"@{a=1; b=x}"``); hashtables and
    ``[ordered]`` dictionaries as objects (``None`` members dropped); a generic dictionary such as
    ``Dictionary[string,int]`` as an array of its pair texts (``["[k, 1]"]``); other collections
    as arrays; models as their JSON; anything else as its text.

    Raises ``ValueError`` (.NET's NullReferenceException message) for ``None`` inside a
    collection, which the original cannot write either, and for NaN or an infinity, when
    ``sending``; a response's members (``sending=False``) keep their nulls.
    """
    if isinstance(value, Body):
        return to_wire(value)
    if isinstance(value, GraphObject):
        return value.to_wire()
    if isinstance(value, dotnetvalues.DateTime):
        return iso_date(value.value())
    if isinstance(value, dotnetvalues.DateTimeOffset):
        return value.text
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return value
    if isinstance(value, dotnetvalues.Number):
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueNotWritable(f"The value {value.text} cannot be sent as JSON.")
        # A negative zero reaches Graph as 0 (original-observed.md: -0.0 -> 0).
        return jsontext.Number(value.text[1:] if value == 0 and value.text.startswith("-") else value.text)
    if isinstance(value, (int, float)):
        if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
            raise ValueNotWritable(f"The value {dotnet_string(value)} cannot be sent as JSON.")
        return value
    if isinstance(value, decimal.Decimal):
        return jsontext.Number(format(value, "f"))
    if isinstance(value, TimeSpan):
        return str(value)
    if isinstance(value, _dt.timedelta):
        return str(TimeSpan.from_timedelta(value))
    if isinstance(value, _dt.datetime):
        return iso_date(value)
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, dotnetvalues.PSCustomObject):
        return value.text
    if isinstance(value, dotnetvalues.DotNetDictionary) and value.json_items is not None:
        return [item if isinstance(item, str) else {str(k): json_value(v, sending) for k, v in item.items()}
                for item in value.json_items]
    if isinstance(value, dict):
        return {str(k): json_value(v, sending) for k, v in value.items() if v is not None}
    if isinstance(value, (list, tuple, set, frozenset)):
        if sending and any(v is None for v in value):
            raise ValueNotWritable("Object reference not set to an instance of an object.", "System.NullReferenceException")
        return [None if v is None else json_value(v, sending) for v in value]
    return convert_to_string(value)


def iso_date(value: _dt.datetime) -> str | None:
    """AutoRest's ``JsonDate`` text: ``2024-01-02T03:04:05Z``, ``2024-01-02T03:04+02:00``, ``2024-01-02Z``.

    A naive datetime counts as UTC (a .NET DateTime of kind Unspecified); seconds are left out when
    zero and the time when midnight; fractions are never written. Year 1 (``DateTime.MinValue``)
    is ``None`` (JSON null), as AutoRest writes it.
    """
    offset = value.utcoffset() or _dt.timedelta(0)
    if value.year == 1:
        return None
    text = f"{value.year}-{value.month:02d}-{value.day:02d}"
    if (value.hour, value.minute, value.second) != (0, 0, 0):
        text += f"T{value.hour:02d}:{value.minute:02d}"
        if value.second:
            text += f":{value.second:02d}"
    if not offset:
        return text + "Z"
    # TimeSpan.Hours and .Minutes carry the offset's sign, and only a positive offset gets a '+'.
    minutes_total = round(offset.total_seconds() / 60)
    sign = -1 if minutes_total < 0 else 1
    hours, minutes = divmod(abs(minutes_total), 60)
    return text + ("+" if minutes_total > 0 else "") + _two(sign * hours) + ":" + _two(sign * minutes)


def _two(number: int) -> str:
    """``number.ToString("00")``: at least two digits, a minus sign before them."""
    return ("-" if number < 0 else "") + f"{abs(number):02d}"


# --- responses ----------------------------------------------------------------------------------

class GraphObject:
    """A Graph object as the original writes it to the pipeline (a model object, not a hashtable).

    Attributes are the model's PowerShell property names (``presence.Availability``; any case);
    ``AdditionalProperties`` holds the members the model does not know, ``@odata.context``
    included. :attr:`type_name` is the original's .NET type name, e.g.
    ``Microsoft.Graph.Beta.PowerShell.Models.MicrosoftGraphPresence``, which PowerShell shows and
    formats it by. ``to_wire()`` gives the JSON members back.
    """

    def __init__(self, model: Model, type_name: str, values: dict[str, Any], additional: dict[str, Any]) -> None:
        self.__dict__["_model"] = model
        self.__dict__["type_name"] = type_name
        self.__dict__["_values"] = values
        self.__dict__["AdditionalProperties"] = additional

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            # No model property starts with "_"; copy and pickle look up ``__setstate__`` and the
            # like on an object whose ``__dict__`` is still empty, where ``self._model`` recursed.
            raise AttributeError(name)
        if name.lower() == "additionalproperties":   # any case, like the model's properties
            return self.__dict__["AdditionalProperties"]
        try:
            p = self._model.property(name)
        except KeyError:
            raise AttributeError(f"{self._model.name} has no property {name!r}") from None
        return self._values.get(p.name)

    def __copy__(self) -> GraphObject:
        """A copy whose properties can be set without changing this object (values are shared)."""
        return GraphObject(self._model, self.type_name, dict(self._values), dict(self.AdditionalProperties))

    def __setattr__(self, name: str, value: Any) -> None:
        try:
            p = self._model.property(name)
        except KeyError:
            raise AttributeError(f"{self._model.name} has no property {name!r}") from None
        self._values[p.name] = value

    def __dir__(self) -> list[str]:
        return [*(p.name for p in self._model.properties), "AdditionalProperties", "to_wire", "type_name"]

    def __iter__(self) -> Iterator[tuple[str, Any]]:
        """(property, value) for every model property (None when absent), then AdditionalProperties."""
        for p in self._model.properties:
            yield p.name, self._values.get(p.name)
        yield "AdditionalProperties", self.AdditionalProperties

    def __eq__(self, other: object) -> bool:
        return isinstance(other, GraphObject) and (self.type_name, self._values, self.AdditionalProperties) == (
            other.type_name, other._values, other.AdditionalProperties)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        shown = ", ".join(f"{k}={v!r}" for k, v in self._values.items())
        return f"{self.type_name.rsplit('.', 1)[-1]}({shown})"

    def to_wire(self) -> dict[str, Any]:
        """The JSON members (additional first, then the model's), as :func:`to_wire` writes a body."""
        body = Body(self._model)
        for name, value in self._values.items():
            body.values[name] = _body_of(value)
        body.additional = dict(self.AdditionalProperties)
        return to_wire(body, sending=False)

    def ps_model(self) -> tuple[str, dict[str, Any]]:
        """(type name, properties in order with AdditionalProperties last): how the host builds the object."""
        return self.type_name, dict(self)


def graph_object(body: Body, namespace: str) -> GraphObject:
    """A body being sent as a model object of its type in ``namespace`` (the error target's ``body``)."""
    values = {k: graph_object(v, namespace) if isinstance(v, Body) else v for k, v in body.values.items()}
    return GraphObject(body.model, f"{namespace}.{body.model.name}", values, dict(body.additional))


def _body_of(value: Any) -> Any:
    if isinstance(value, GraphObject):
        inner = Body(value._model)
        inner.values = {k: _body_of(v) for k, v in value._values.items()}
        inner.additional = dict(value.AdditionalProperties)
        return inner
    return value


def from_wire(data: Any, model: Model, namespace: str) -> GraphObject:
    """A JSON object from Graph -> :class:`GraphObject` of ``model`` (type name in ``namespace``).

    Member names match case-insensitively; a value that does not fit its property (Graph sending
    a number where a string is declared) is kept as given, never dropped.
    """
    if not isinstance(data, dict):
        raise ConversionError(f"expected a JSON object for {model.name}, got {dotnet_type_name(data)}")
    by_wire = {p.wire.lower(): p for p in model.properties}
    values: dict[str, Any] = {}
    additional: dict[str, Any] = {}
    for key, value in data.items():
        p = by_wire.get(key.lower())
        if p is None:
            additional[key] = value
        elif value is not None:
            values[p.name] = _from_wire_value(p, value, namespace)
    return GraphObject(model, f"{namespace}.{model.name}", values, additional)


def _from_wire_value(p: ModelProperty, value: Any, namespace: str) -> Any:
    if p.is_model and isinstance(value, dict):
        return from_wire(value, model_named(p.type), namespace)
    if p.type == "duration" and isinstance(value, str):
        try:
            return parse_xsd_duration(value)
        except ConversionError:
            return value
    if p.type == "dateTime" and isinstance(value, str):
        return parse_datetime(value) or value
    return value
