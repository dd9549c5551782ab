"""The original's JSON reader: AutoRest's ``JsonNode.Parse``, as Graph's modules read error bodies.

The original parses an error response's body with the JSON reader AutoRest puts in every module
(runtime ``json/Parser``: ``SourceReader``, ``JsonTokenizer``, ``TokenReader``, ``JsonParser``),
not with a strict JSON parser. What it accepts and how it fails decide which error record a
response becomes (:func:`pwshcompat.operation.responses.service_error`), so this module reads text
the same way:

* only the first value is read, and it must be an object or an array (``Expected '{' or '['. Was
  String: Bad.``); empty text, white space or a NUL first give no value at all, and text after the
  first value is never looked at;
* a word that is not ``true``/``false``/``null`` is a string token, so ``{error: {code: x}}`` reads
  as ``{"error": {"code": "x"}}``; a number is any run of digits, ``.``, ``e``, ``E``, ``-``, ``+``;
* a missing ``}``, ``:`` or value fails with the reader's own message (``Expected String while
  reading Expected field name). Was Eof: .``); an unknown escape fails with ``System.Exception``,
  a bad ``\\u`` escape with ``FormatException``, a backslash at the very end with
  ``EndOfStreamException``;
* objects compare member names without regard to case (Graph's build makes ``JsonObject``
  case-insensitive), so a member given twice in any case fails with ``ArgumentException`` "An item
  with the same key has already been added. Key: <name>".

Characters are classified as .NET's ``char`` methods do (``IsWhiteSpace``, ``IsDigit``,
``IsLetter``), one UTF-16 code unit at a time.
"""

from __future__ import annotations

import array
import unicodedata
from typing import Any

from ..conversion import well_formed
from .jsontext import Number

__all__ = ["JsonObject", "ParseError", "member", "parse"]

# AutoRest's ParserException; the caller names it in the module's namespace
# (<namespace>.Runtime.Json.ParserException).
PARSER_EXCEPTION = "ParserException"
# Deeper nesting than this is refused rather than recursing on (.NET would exhaust its stack).
MAX_DEPTH = 512

_LITERALS = ("Boolean", "Null", "Number", "String")
_SYMBOLS = {"[": "LeftBracket", "]": "RightBracket", ",": "Comma", ":": "Colon", "{": "LeftBrace",
            "}": "RightBrace", "\0": "Terminator"}
_ESCAPES = {'"': '"', "/": "/", "\\": "\\", "0": "\0", "a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r",
            "t": "\t", "v": "\v"}
_NUMBER_CHARS = frozenset(".eE-+")
_NUMBER_WHITE = frozenset("\t\n\v\f\r ")  # what int.Parse allows around a number


class ParseError(ValueError):
    """The reader failed: ``message`` and ``exception_type`` are .NET's (``exception_type`` is
    :data:`PARSER_EXCEPTION` for the reader's own ParserException)."""

    def __init__(self, message: str, exception_type: str = PARSER_EXCEPTION) -> None:
        message = well_formed(message)  # half a pair quoted from the text shows as U+FFFD
        super().__init__(message)
        self.message = message
        self.exception_type = exception_type


class JsonObject(dict):  # type: ignore[type-arg]
    """A JSON object as the reader builds it: members in order, names as given."""


def member(obj: Any, name: str) -> Any:
    """``obj[name]`` as Graph's case-insensitive ``JsonObject`` looks it up; None when absent or not an object."""
    if not isinstance(obj, dict):
        return None
    if name in obj:
        return obj[name]
    lower = name.lower()
    return next((v for k, v in obj.items() if k.lower() == lower), None)


def _is_white(c: str) -> bool:
    return c in "\t\n\v\f\r \x85\xa0" or (c > "\xff" and unicodedata.category(c) in ("Zs", "Zl", "Zp"))


def _is_digit(c: str) -> bool:
    return "0" <= c <= "9" or (c > "\x7f" and unicodedata.category(c) == "Nd")


def _is_letter(c: str) -> bool:
    return ("a" <= c <= "z") or ("A" <= c <= "Z") or (c > "\x7f" and unicodedata.category(c)[0] == "L")


def _units(text: str) -> str | list[str]:
    """``text`` as UTF-16 code units (a character beyond U+FFFF is two), as .NET reads a string."""
    if all(c <= "\uffff" for c in text):
        return text
    codes = array.array("H", text.encode("utf-16-le", "surrogatepass"))
    return [chr(u) for u in codes]


def _text(units: list[str]) -> str:
    """Code units back to text, a high and a low surrogate in a row joined again."""
    joined = "".join(units)
    if not any("\ud800" <= c <= "\udfff" for c in joined):
        return joined
    return joined.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "surrogatepass")


class _Token:
    __slots__ = ("kind", "value")

    def __init__(self, kind: str, value: str | None) -> None:
        self.kind, self.value = kind, value

    def __str__(self) -> str:  # JsonToken.ToString()
        return f"{self.kind}: {self.value if self.value is not None else ''}"


class _Reader:
    """SourceReader, JsonTokenizer and TokenReader in one: characters in, tokens out."""

    def __init__(self, text: str) -> None:
        self.units = _units(text)
        self.pos = 0
        self.current = "\0"
        self.eof = False
        self.next_char()  # the tokenizer starts with the first character
        self.token = self.read_token()  # the parser starts with the first token

    def next_char(self) -> None:
        if self.pos < len(self.units):
            self.current = self.units[self.pos]
            self.pos += 1
            return
        if self.eof:
            raise ParseError("Cannot advance past end of stream.", "System.IO.EndOfStreamException")
        self.eof = True
        self.current = "\0"

    def next(self) -> None:
        self.token = self.read_token()

    def ensure(self, kind: str, reader_name: str) -> None:
        if self.token.kind != kind:
            raise ParseError(f"Expected {kind} while reading {reader_name}). Was {self.token}.")

    def read_token(self) -> _Token:
        while _is_white(self.current):
            self.next_char()
        if self.eof:
            return _Token("Eof", None)
        c = self.current
        if c == '"':
            return self.read_quoted()
        symbol = _SYMBOLS.get(c)
        if symbol is not None:
            self.next_char()
            return _Token(symbol, c)
        if _is_digit(c) or c in "-+":
            out = []
            while _is_digit(self.current) or self.current in _NUMBER_CHARS:
                out.append(self.current)
                self.next_char()
            return _Token("Number", _text(out))
        if not _is_letter(c):
            raise ParseError(f"Expected literal (number, boolean, or null). Was '{_text([c])}'.")
        out = []
        while _is_letter(self.current) or _is_digit(self.current) or self.current == "_":
            out.append(self.current)
            self.next_char()
        word = _text(out)
        if word in ("true", "false"):
            return _Token("Boolean", word)
        if word == "null":
            return _Token("Null", word)
        return _Token("String", word)

    def read_quoted(self) -> _Token:
        self.next_char()  # the opening quote
        out: list[str] = []
        while self.current != '"':
            if self.eof:
                raise ParseError("Unexpected EOF while reading quoted string.")
            if self.current == "\\":
                out.append(self.read_escape())
                continue
            out.append(self.current)
            self.next_char()
        self.next_char()  # the closing quote
        return _Token("String", _text(out))

    def read_escape(self) -> str:
        self.next_char()
        escaped = self.current
        self.next_char()
        if escaped == "u":
            digits = []
            for _ in range(4):
                digits.append(self.current)
                self.next_char()
            hex_text = "".join(digits)
            core = hex_text.strip("".join(_NUMBER_WHITE))
            if not core or any(c not in "0123456789abcdefABCDEF" for c in core):
                raise ParseError(f"The input string '{_text(digits)}' was not in a correct format.",
                                 "System.FormatException")
            return chr(int(core, 16))
        found = _ESCAPES.get(escaped)
        if found is None:
            raise ParseError(f"Unrecognized escape sequence '\\{_text([escaped])}'", "System.Exception")
        return found


def parse(text: str) -> Any:
    """The first JSON value of ``text`` as the original's reader takes it: a :class:`JsonObject`, a
    list, or None when the text holds no value (empty, white space, a NUL first). Inside, strings
    are ``str``, ``true``/``false`` ``bool``, ``null`` None and numbers :class:`~.jsontext.Number`
    (their text, which the reader does not check).

    Raises :class:`ParseError` where the original's reader throws, with its message and exception type.
    """
    reader = _Reader(text)
    if reader.token.kind in ("Eof", "Terminator"):
        return None
    if reader.token.kind == "LeftBrace":
        return _object(reader, 0)
    if reader.token.kind == "LeftBracket":
        return _array(reader, 0)
    raise ParseError(f"Expected '{{' or '['. Was {reader.token}.")


def _deeper(depth: int) -> int:
    if depth >= MAX_DEPTH:
        raise ParseError(f"The JSON text is nested more than {MAX_DEPTH} levels deep.",
                         "System.InsufficientExecutionStackException")
    return depth + 1


def _literal(reader: _Reader) -> Any:
    token = reader.token
    reader.next()
    if token.kind == "Boolean":
        return token.value == "true"
    if token.kind == "Null":
        return None
    if token.kind == "Number":
        return Number(token.value or "")
    return token.value


def _object(reader: _Reader, depth: int) -> JsonObject:
    depth = _deeper(depth)
    reader.ensure("LeftBrace", "object")
    reader.next()
    result = JsonObject()
    seen: set[str] = set()
    while reader.token.kind != "RightBrace":
        if reader.token.kind == "Comma":
            reader.next()
        reader.ensure("String", "Expected field name")
        name = reader.token.value or ""
        reader.next()
        reader.ensure("Colon", "field")
        reader.next()
        kind = reader.token.kind
        if kind in _LITERALS:
            value = _literal(reader)
        elif kind == "LeftBracket":
            value = _array(reader, depth)
        elif kind == "LeftBrace":
            value = _object(reader, depth)
        else:
            raise ParseError(f"Unexpected token reading field value. Was {reader.token}.")
        if name.lower() in seen:
            raise ParseError(f"An item with the same key has already been added. Key: {name}", "System.ArgumentException")
        seen.add(name.lower())
        result[name] = value
    reader.next()
    return result


def _array(reader: _Reader, depth: int) -> list[Any]:
    depth = _deeper(depth)
    reader.ensure("LeftBracket", "array")
    reader.next()
    result: list[Any] = []
    while reader.token.kind != "RightBracket":
        if reader.token.kind == "Comma":
            reader.next()
        kind = reader.token.kind
        if kind in _LITERALS:
            result.append(_literal(reader))
        elif kind == "LeftBracket":
            result.append(_array(reader, depth))
        elif kind == "LeftBrace":
            result.append(_object(reader, depth))
        else:
            raise ParseError(f"Expected comma, literal, or object. Was {reader.token}.")
    reader.next()
    return result
