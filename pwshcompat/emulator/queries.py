"""OData query options on presences: ``$select``, ``$expand``, ``$filter``, ``$orderby``, ``$top``,
``$skip``, ``$count``, ``$search`` and server-side paging (``$skiptoken`` in ``@odata.nextLink``).

What Graph's presence service accepts is not documented beyond ``$filter=id in (...)`` for change
notifications (graph-presence.md §8); the rest follows Graph's conventions for collections and is
*unconfirmed* for presences:

* ``$select`` names properties of ``microsoft.graph.presence`` (case-insensitively); an unknown
  name is 400 with OData's message. ``$expand`` is always 400: presence has no navigation property.
* ``$filter`` understands ``eq``, ``ne``, ``in (...)``, ``and``, ``or``, ``not`` and parentheses
  over ``id``, ``availability``, ``activity``, ``sequenceNumber`` and the primitive members of the
  complex properties (``workLocation/workLocationType``, ``outOfOfficeSettings/isOutOfOffice``, ...);
  strings compare case-insensitively, as the presence values are matched on input.
* ``$orderby`` takes ``property [asc|desc]``, comma separated; without it items come by id.
* ``$top`` is the page size (1..999, as Graph's directory collections; the PowerShell SDK pages
  with it); ``$skip`` skips items; ``$count=true`` adds ``@odata.count``; more items than the page
  holds give ``@odata.nextLink`` with a ``$skiptoken``.
* ``$search`` is 400: Graph supports it only on directory objects, messages and people.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass, field
from typing import Any, Callable
from urllib.parse import parse_qsl, quote

from .presence import GraphError

#: The properties of microsoft.graph.presence (§1.1), in their wire spelling.
PROPERTIES = ("id", "availability", "activity", "statusMessage", "outOfOfficeSettings", "workLocation",
              "sequenceNumber")
_COMPLEX = {
    "statusMessage": ("message", "expiryDateTime", "publishedDateTime"),
    "outOfOfficeSettings": ("message", "isOutOfOffice"),
    "workLocation": ("workLocationType", "source", "placeId"),
}


@dataclass(frozen=True)
class EntityType:
    """What ``$select`` may name: an entity type's properties and the members of its complex ones."""

    name: str                                   # e.g. microsoft.graph.presence
    plural: str                                 # for messages: "presences"
    properties: tuple[str, ...]
    complex: dict[str, tuple[str, ...]] = field(default_factory=dict)


PRESENCE = EntityType("microsoft.graph.presence", "presences", PROPERTIES, _COMPLEX)
MAX_TOP = 999
DEFAULT_PAGE_SIZE = 100
_OPTIONS = ("$select", "$expand", "$filter", "$orderby", "$top", "$skip", "$count", "$search", "$skiptoken")
#: What each kind of request accepts (the $count segment takes $filter and $search, as OData says).
ENTITY_OPTIONS = ("$select", "$expand")
COLLECTION_OPTIONS = _OPTIONS
COUNT_OPTIONS = ("$filter", "$search")


def bad(message: str) -> GraphError:
    return GraphError(400, "BadRequest", message)


@dataclass
class Query:
    """The parsed system query options of one request."""

    select: list[str] | None = None
    filter: Callable[[dict[str, Any]], bool] | None = None
    filter_ids: set[str] = field(default_factory=set)     # ids the filter names (an open tenant knows them)
    orderby: list[tuple[str, bool]] = field(default_factory=list)   # (property path, descending)
    top: int | None = None
    skip: int = 0
    count: bool = False
    skiptoken: int | None = None
    raw: dict[str, str] = field(default_factory=dict)   # as sent, for the next link


def parse(query_string: str, allowed: tuple[str, ...], entity: EntityType = PRESENCE) -> Query:
    """The system query options (``$``-prefixed, case-insensitive names) of ``query_string``.

    Others are ignored, as Graph ignores custom query parameters. 400 for an option ``allowed``
    does not list, a repeated option or a malformed value. ``$select`` names properties of
    ``entity`` (``$filter`` and ``$orderby`` only apply to presences).
    """
    query = Query()
    for name, value in parse_qsl(query_string, keep_blank_values=True):
        key = name.strip().lower()
        if not key.startswith("$"):
            continue
        if key not in _OPTIONS:
            raise bad(f"The query parameter '{name}' is not supported.")
        if key == "$search" and key in allowed:
            raise bad(f"The query option '$search' is not supported on {entity.plural}.")
        if key not in allowed:
            raise bad(f"The query option '{name}' is not allowed on this resource.")
        if key in query.raw:
            raise bad(f"Query option '{name}' was specified more than once; it must be specified at most once.")
        query.raw[key] = value
        if key == "$select":
            query.select = _select(value, entity)
        elif key == "$expand":
            names = [p.strip() for p in value.split(",") if p.strip()]
            raise bad(f"Could not find a property named '{names[0] if names else value}' on type "
                      f"'{entity.name}'." if names != ["*"] else
                      f"The type '{entity.name}' has no navigation property to expand.")
        elif key == "$filter":
            query.filter, query.filter_ids = _Filter(value).parse()
        elif key == "$orderby":
            query.orderby = _orderby(value)
        elif key == "$top":
            query.top = _integer(name, value)
            if not 1 <= query.top <= MAX_TOP:
                raise bad(f"Invalid page size specified: '{value}'. Must be between 1 and {MAX_TOP} inclusive.")
        elif key == "$skip":
            query.skip = _integer(name, value)
        elif key == "$count":
            if value.lower() not in ("true", "false"):
                raise bad(f"'{value}' is not a valid count option: use true or false.")
            query.count = value.lower() == "true"
        elif key == "$skiptoken":
            query.skiptoken = _decode_token(value)
    return query


def select(item: dict[str, Any], names: list[str] | None) -> dict[str, Any]:
    """``item`` with only the selected properties (all of them when ``names`` is None)."""
    return item if names is None else {name: item.get(name) for name in names}


def page(items: list[dict[str, Any]], query: Query, page_size: int, next_url: Callable[[str], str]) -> dict[str, Any]:
    """The collection body for ``items`` (already filtered): order, skip, one page, count, next link."""
    for path, descending in reversed(query.orderby or [("id", False)]):
        items = sorted(items, key=lambda item: _sort_key(_lookup(item, path)), reverse=descending)
    start = query.skiptoken if query.skiptoken is not None else query.skip
    size = query.top or page_size
    chosen = items[start:start + size]
    body: dict[str, Any] = {}
    if query.count:
        body["@odata.count"] = len(items)
    body["value"] = [select(item, query.select) for item in chosen]
    if start + size < len(items):
        options = {k: v for k, v in query.raw.items() if k not in ("$skip", "$skiptoken")}
        options["$skiptoken"] = _encode_token(start + size)
        body["@odata.nextLink"] = next_url("&".join(f"{k}={quote(v, safe=',()$')}" for k, v in options.items()))
    return body


def context_select(names: list[str] | None) -> str:
    """The ``(a,b)`` part of an ``@odata.context`` for a ``$select``."""
    return f"({','.join(names)})" if names else ""


# -- $select, $orderby, $top --------------------------------------------------------------------
def _property(text: str, entity: EntityType = PRESENCE) -> str:
    """The wire spelling of a (possibly ``a/b``) property path; 400 when ``entity`` has no such property."""
    parts = [p.strip() for p in text.strip().split("/")]
    canonical = {p.lower(): p for p in entity.properties}
    first = canonical.get(parts[0].lower()) if parts[0] else None
    if first is None:
        raise bad(f"Could not find a property named '{parts[0]}' on type '{entity.name}'.")
    if len(parts) == 1:
        return first
    members = {m.lower(): m for m in entity.complex.get(first, ())}
    if len(parts) != 2 or parts[1].lower() not in members:
        raise bad(f"Could not find a property named '{'/'.join(parts[1:])}' on '{first}'.")
    return f"{first}/{members[parts[1].lower()]}"


def _select(value: str, entity: EntityType = PRESENCE) -> list[str]:
    names = [p.strip() for p in value.split(",")]
    if not value.strip() or any(not n for n in names):
        raise bad(f"Invalid $select value '{value}': a comma-separated list of property names is expected.")
    chosen = []
    for name in names:
        path = _property(name, entity)
        if "/" in path:
            raise bad(f"$select takes properties of {entity.name.rsplit('.', 1)[-1]}, not members of them ('{name}').")
        if path not in chosen:
            chosen.append(path)
    return chosen


def _orderby(value: str) -> list[tuple[str, bool]]:
    result = []
    for clause in value.split(","):
        words = clause.split()
        if not 1 <= len(words) <= 2 or (len(words) == 2 and words[1].lower() not in ("asc", "desc")):
            raise bad(f"Invalid $orderby clause '{clause.strip()}': use 'property' or 'property asc|desc'.")
        path = _property(words[0])
        if path in _COMPLEX:
            raise bad(f"The property '{path}' is not of a primitive type and cannot be ordered by.")
        result.append((path, len(words) == 2 and words[1].lower() == "desc"))
    return result


def _integer(name: str, value: str) -> int:
    if not re.fullmatch(r"\d{1,9}", value.strip()):
        raise bad(f"Invalid value '{value}' for {name}: a non-negative integer is expected.")
    return int(value)


def _encode_token(offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"offset": offset}).encode()).decode().rstrip("=")


def _decode_token(value: str) -> int:
    try:
        data = json.loads(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)))
        offset = data["offset"]
        if isinstance(offset, bool) or not isinstance(offset, int) or offset < 0:
            raise ValueError
        return offset
    except (ValueError, TypeError, KeyError, binascii.Error):
        raise bad("The $skiptoken is not one this service issued; follow @odata.nextLink as given.") from None


def _lookup(item: dict[str, Any], path: str) -> Any:
    value: Any = item
    for part in path.split("/"):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def _sort_key(value: Any) -> tuple[int, Any]:
    if value is None:
        return (0, "")
    if isinstance(value, bool):
        return (1, int(value))
    return (2, str(value).lower())


def _equal(left: Any, right: Any) -> bool:
    if isinstance(left, str) and isinstance(right, str):
        return left.lower() == right.lower()
    return left == right and type(left) is type(right)


# -- $filter ------------------------------------------------------------------------------------
_TOKEN = re.compile(r"\s*(?:(?P<string>'(?:[^']|'')*')|(?P<punct>[(),])|(?P<word>[A-Za-z_][\w/.]*)"
                    r"|(?P<number>-?\d+(?:\.\d+)?))")
Predicate = Callable[[dict[str, Any]], bool]


class _Filter:
    """A recursive-descent parser for the $filter subset above; builds a predicate on presence views."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens: list[tuple[str, Any]] = []
        self.ids: set[str] = set()
        position = 0
        text = text.rstrip()
        while position < len(text):
            match = _TOKEN.match(text, position)
            if match is None:
                raise bad(f"Syntax error at position {position} in $filter '{self.text}'.")
            kind = match.lastgroup or ""
            raw = match.group(kind)
            value: Any = raw[1:-1].replace("''", "'") if kind == "string" else raw
            self.tokens.append((kind, value))
            position = match.end()
        self.position = 0

    def parse(self) -> tuple[Predicate, set[str]]:
        if not self.tokens:
            raise bad("The $filter is empty.")
        predicate = self._or()
        if self.position != len(self.tokens):
            raise bad(f"Syntax error in $filter '{self.text}': unexpected '{self.tokens[self.position][1]}'.")
        return predicate, self.ids

    def _peek_word(self) -> str | None:
        if self.position < len(self.tokens) and self.tokens[self.position][0] == "word":
            return str(self.tokens[self.position][1]).lower()
        return None

    def _take(self, kind: str, value: str | None = None) -> Any:
        if self.position >= len(self.tokens):
            raise bad(f"Syntax error in $filter '{self.text}': it ends too early.")
        token_kind, token = self.tokens[self.position]
        if token_kind != kind or (value is not None and str(token).lower() != value):
            raise bad(f"Syntax error in $filter '{self.text}': expected {value or kind}, found '{token}'.")
        self.position += 1
        return token

    def _or(self) -> Predicate:
        parts = [self._and()]
        while self._peek_word() == "or":
            self.position += 1
            parts.append(self._and())
        return parts[0] if len(parts) == 1 else (lambda item: any(p(item) for p in parts))

    def _and(self) -> Predicate:
        parts = [self._unary()]
        while self._peek_word() == "and":
            self.position += 1
            parts.append(self._unary())
        return parts[0] if len(parts) == 1 else (lambda item: all(p(item) for p in parts))

    def _unary(self) -> Predicate:
        if self._peek_word() == "not":
            self.position += 1
            inner = self._unary()
            return lambda item: not inner(item)
        if self.position < len(self.tokens) and self.tokens[self.position] == ("punct", "("):
            self.position += 1
            inner = self._or()
            self._take("punct", ")")
            return inner
        return self._comparison()

    def _literal(self) -> Any:
        if self.position >= len(self.tokens):
            raise bad(f"Syntax error in $filter '{self.text}': a value is missing at the end.")
        kind, token = self.tokens[self.position]
        self.position += 1
        if kind == "string":
            return token
        if kind == "number":
            return float(token) if "." in token else int(token)
        if kind == "word" and token.lower() in ("true", "false", "null"):
            return {"true": True, "false": False, "null": None}[token.lower()]
        raise bad(f"Syntax error in $filter '{self.text}': '{token}' is not a value.")

    def _comparison(self) -> Predicate:
        word = self._take("word")
        if word.lower() in ("startswith", "endswith", "contains", "any", "all"):
            raise bad(f"The function '{word}' is not supported in a presence $filter; use eq, ne or in.")
        path = _property(word)
        if path in _COMPLEX:
            raise bad(f"The property '{path}' is not of a primitive type; filter on one of its members.")
        operator = (self._peek_word() or "")
        if operator not in ("eq", "ne", "in"):
            found = self.tokens[self.position][1] if self.position < len(self.tokens) else "the end"
            raise bad(f"Unsupported operator '{found}' in $filter: use eq, ne or in (with and, or, not).")
        self.position += 1
        if operator == "in":
            self._take("punct", "(")
            values = [self._literal()]
            while self.position < len(self.tokens) and self.tokens[self.position] == ("punct", ","):
                self.position += 1
                values.append(self._literal())
            self._take("punct", ")")
        else:
            values = [self._literal()]
        if path == "id":
            self.ids.update(v for v in values if isinstance(v, str))
        if operator == "ne":
            return lambda item: not _equal(_lookup(item, path), values[0])
        return lambda item: any(_equal(_lookup(item, path), v) for v in values)
