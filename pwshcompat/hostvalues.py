"""Output values that stand for a particular .NET type once they reach PowerShell.

A command writes these like any other value; for a Python caller they are ordinary Python objects
(a dict, a small record). The PowerShell host (``src/PwshCompat.Host/FromPython.cs``) turns each into
the .NET type the original cmdlet writes, so that scripts keep working: ``-is [hashtable]``,
``ContainsKey(...)``, ``.StatusCode`` on an ``HttpResponseMessage`` and so on.
"""

from __future__ import annotations

import json
import types
from dataclasses import dataclass
from typing import Any

__all__ = ["Hashtable", "HttpResponseMessage", "JsonKeysError", "JsonObject", "hashtable_from_json", "object_from_json"]


class Hashtable(dict):  # type: ignore[type-arg]
    """A JSON object as the original Invoke-MgGraphRequest returns it by default.

    In PowerShell it becomes a ``System.Collections.Hashtable`` with case-insensitive keys, its
    objects nested as Hashtables and its arrays as ``object[]``; JSON values take the .NET types
    of the original's JSON reader (Newtonsoft.Json): integers ``Int64``, other numbers ``Double``,
    and ISO 8601 date-times ``DateTime``. For a Python caller it is a plain dict (keys keep their
    case).
    """


class JsonObject(types.SimpleNamespace):
    """A JSON object as the original Invoke-MgGraphRequest returns it with ``-OutputType PSObject``.

    In PowerShell it becomes a ``PSCustomObject`` (``new PSObject()`` with a note property per
    member), its objects nested the same way and its arrays ``object[]``; values take the same .NET
    types as in a :class:`Hashtable` (``Int64``, ``Double``, ``DateTime`` for ISO 8601 text). For
    a Python caller, the members are attributes.
    """


class JsonKeysError(ValueError):
    """The original's StringUtil.ConvertFromJson refuses the JSON's member names (Microsoft.Graph.
    Authentication's own messages and error ids): ``error_id`` such as
    ``InvokeGraphRequestDuplicateKeysInJsonString``, ``str(error)`` the message; the exception is
    an ``InvalidOperationException``."""

    def __init__(self, message: str, error_id: str) -> None:
        super().__init__(message)
        self.message = message
        self.error_id = error_id


class _Members(list):  # type: ignore[type-arg]
    """A JSON object's (name, value) pairs as parsed, before the original's rules apply."""


def _ordinal_upper(name: str) -> str:
    """The key StringComparer.OrdinalIgnoreCase compares by: each character's simple upper case."""
    return "".join(u if len(u := c.upper()) == 1 else c for c in name)


def _build(value: Any, as_hashtable: bool) -> Any:
    """StringUtil.ConvertFromJson's walk (PopulateHashTableFromJDictionary / PopulateFromJDictionary):
    objects in order, members in order, the first refused name stops it."""
    if isinstance(value, list) and not isinstance(value, _Members):
        return [_build(v, as_hashtable) for v in value]
    if not isinstance(value, _Members):
        return value
    members: dict[str, Any] = {}
    for name, item in value:  # Newtonsoft keeps the last of an exactly repeated name, at the end
        members.pop(name, None)
        members[name] = item
    seen: dict[str, str] = {}  # OrdinalIgnoreCase key -> name
    built: dict[str, Any] = {}
    for name, item in members.items():
        if not as_hashtable and name == "":
            raise JsonKeysError("The provided JSON includes a property whose name is an empty string, this is only "
                                "supported using the -OutputType HashTable switch.", "InvokeGraphRequestEmptyKeyInJsonString")
        if as_hashtable and _ordinal_upper(name) in seen:
            raise JsonKeysError("Cannot convert the JSON string because a dictionary that was converted from the string "
                                f"contains the duplicated key '{name}'.", "InvokeGraphRequestDuplicateKeysInJsonString")
        # (For a PSObject the helper's different-casing test compares names exactly, so it never fires:
        # PowerShell's member collection takes the later name and value. The host does the same.)
        built[name] = _build(item, as_hashtable)
        seen[_ordinal_upper(name)] = name
    return Hashtable(built) if as_hashtable else JsonObject(**built)


def object_from_json(text: str, as_hashtable: bool = True) -> Any:
    """``text`` as the original's StringUtil.ConvertFromJson reads it: every JSON object a
    :class:`Hashtable` (``as_hashtable``, the default output) or a :class:`JsonObject`
    (``-OutputType PSObject``). In a Hashtable two names that differ only in case raise
    :class:`JsonKeysError` (the Hashtable compares without regard to case), in a JsonObject an
    empty name does; a name repeated exactly keeps its last value, placed last (Newtonsoft.Json).
    A JsonObject keeps names that differ only in case apart; PowerShell then keeps the later.

    Raises ``ValueError`` when ``text`` is not JSON.
    """
    return _build(json.loads(text, object_pairs_hook=_Members), as_hashtable)


def hashtable_from_json(text: str) -> Any:
    """:func:`object_from_json` with every JSON object a :class:`Hashtable`."""
    return object_from_json(text, as_hashtable=True)


@dataclass(frozen=True)
class HttpResponseMessage:
    """An HTTP response, which PowerShell receives as a ``System.Net.Http.HttpResponseMessage``.

    ``Headers`` holds the response's header lines as received, in order (a repeated header's values
    already joined with ", "); ``Body`` the body with any Content-Encoding removed. The request is
    named by ``RequestMethod`` and ``RequestUri`` (the message's ``RequestMessage`` in .NET).
    """

    StatusCode: int
    ReasonPhrase: str
    Headers: tuple[tuple[str, str], ...]
    Body: bytes
    RequestMethod: str
    RequestUri: str

    @property
    def IsSuccessStatusCode(self) -> bool:
        """True for a 2xx status, as .NET's property of that name."""
        return 200 <= self.StatusCode < 300

    @property
    def Content(self) -> str:
        """The body as text: in the charset its Content-Type names, else UTF-8."""
        charset = "utf-8"
        for name, value in self.Headers:
            if name.lower() == "content-type":
                for parameter in value.split(";")[1:]:
                    key, _, found = parameter.strip().partition("=")
                    if key.lower() == "charset" and found:
                        charset = found.strip("'\"")
        try:
            return self.Body.decode(charset, errors="replace")
        except LookupError:
            return self.Body.decode("utf-8", errors="replace")
