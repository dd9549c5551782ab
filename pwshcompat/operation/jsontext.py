"""JSON text as the original module writes request bodies (AutoRest's ``JsonWriter``, pretty form).

Facts: ../shared/research/original-observed.md ("Body"), AutoRest's runtime ``json/Writers/JsonWriter.cs``:

* objects put each member on its own line, indented two spaces per level; an empty object is
  ``{`` newline ``}``;
* an array of plain values stays on one line with a space inside each bracket (``[ 1, 2, 3 ]``,
  ``[ ]``); an array that holds an object or an array puts each item on its own line;
* strings are escaped as .NET's ``HttpUtility.JavaScriptStringEncode`` does: ``"`` ``\\``
  ``\\b`` ``\\f`` ``\\n`` ``\\r`` ``\\t`` by name; other control characters, ``<`` ``>`` ``&``
  ``'`` and U+0085, U+2028, U+2029 as ``\\u00xx`` (lower-case hex); everything else as is;
* numbers are written as their .NET text (:class:`Number` carries text made elsewhere);
* lines end with the platform's newline (``Environment.NewLine``).
"""

from __future__ import annotations

import os
from typing import Any

from ..conversion import double_text

__all__ = ["Number", "dumps", "escape"]

_NAMED = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t"}
_HEX = frozenset("<>&'\u0085\u2028\u2029")


class Number:
    """A JSON number written exactly as ``text`` (a .NET number's ``ToString()``)."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return f"Number({self.text!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Number) and other.text == self.text

    __hash__ = None  # type: ignore[assignment]


def escape(text: str) -> str:
    """``HttpUtility.JavaScriptStringEncode(text)``: the inside of a JSON string."""
    if text.isascii() and text.isprintable() and not any(c in _NAMED or c in _HEX for c in text):
        return text
    out = []
    for c in text:
        named = _NAMED.get(c)
        if named is not None:
            out.append(named)
        elif c < " " or c in _HEX:
            out.append(f"\\u{ord(c):04x}")
        else:
            out.append(c)
    return "".join(out)


def dumps(value: Any, newline: str = os.linesep) -> str:
    """``value`` (dict, list, str, bool, int, float, :class:`Number` or None) as the original's JSON text.

    Raises ``ValueError`` for a float that is NaN or infinite, ``TypeError`` for any other type.
    """
    out: list[str] = []
    _write(value, 0, out, newline)
    return "".join(out)


def _write(value: Any, level: int, out: list[str], newline: str) -> None:
    if value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, str):
        out.append('"' + escape(value) + '"')
    elif isinstance(value, Number):
        out.append(value.text)
    elif isinstance(value, int):
        out.append(str(int(value)))
    elif isinstance(value, float):
        out.append(double_text(value))
    elif isinstance(value, dict):
        out.append("{")
        inner = newline + "  " * (level + 1)
        for i, (key, item) in enumerate(value.items()):
            out.append(("," if i else "") + inner + '"' + escape(str(key)) + '": ')
            _write(item, level + 1, out, newline)
        out.append(newline + "  " * level + "}")
    elif isinstance(value, (list, tuple)):
        nested = any(isinstance(item, (dict, list, tuple)) for item in value)
        out.append("[")
        for i, item in enumerate(value):
            out.append(("," if i else "") + (newline + "  " * (level + 1) if nested else " "))
            _write(item, level + 1, out, newline)
        out.append(newline + "  " * level + "]" if nested else " ]")
    else:
        raise TypeError(f"no JSON form for a value of type {type(value).__name__}")
