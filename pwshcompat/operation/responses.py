"""What a Graph response becomes: the original's error records and the response-headers variable.

Facts: ../shared/research/cmdlet-semantics.md sections 8 and 9, original-observed.md "Errors".
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any, Iterable

from ..dotnetvalues import convert_to_string
from ..errors import ErrorCategory, ErrorRecord
from .request import CONTENT_HEADERS

__all__ = ["ErrorTarget", "HeaderDict", "RECOMMENDED_ACTION", "autorest_parse_error", "header_pairs", "not_specified",
           "response_headers", "service_error", "status_name"]

RECOMMENDED_ACTION = "See service error codes: https://learn.microsoft.com/graph/errors"


class HeaderDict(dict):  # type: ignore[type-arg]
    """Response headers as the original stores them: name -> list of values, case-insensitive lookup.

    A plain ``dict`` subclass so it crosses into PowerShell as a header dictionary.
    """

    def _key(self, key: object) -> object:
        if isinstance(key, str) and not dict.__contains__(self, key):
            lower = key.lower()
            for k in self.keys():
                if k.lower() == lower:
                    return k
        return key

    def __getitem__(self, key: object) -> Any:
        return dict.__getitem__(self, self._key(key))

    def __contains__(self, key: object) -> bool:
        return dict.__contains__(self, self._key(key))

    def get(self, key: object, default: Any = None) -> Any:
        return dict.get(self, self._key(key), default)


def header_pairs(response: Any) -> list[tuple[str, str]]:
    """Every header line of ``response`` as received, a repeated header once per line: from the
    transport's headers when they keep the lines, from urllib3's for a ``requests`` response."""
    pairs = getattr(response.headers, "pairs", None)
    if pairs is not None:
        return list(pairs)
    raw = getattr(getattr(response, "raw", None), "headers", None)
    lines = getattr(raw, "iteritems", None) or getattr(raw, "items", None)
    if callable(lines):
        return [(str(k), str(v)) for k, v in lines()]
    return list(response.headers.items())


def response_headers(response: Any) -> HeaderDict:
    """The ``-ResponseHeadersVariable`` value of ``response``, as the original fills its
    ``Dictionary[string, IEnumerable[string]]`` (original-observed.md, "Other"): the response
    headers, then the content headers (``Content-Type``, ``Content-Length``, ``Expires``, ...);
    a header that came more than once has one value per line (``X-Multi: one`` and ``X-Multi:
    two`` give ``@('one', 'two')``).
    """
    general: dict[str, list[str]] = {}
    content: dict[str, list[str]] = {}
    spelled: dict[str, str] = {}
    for name, value in header_pairs(response):
        key = name.lower()
        spelled.setdefault(key, name)
        (content if key in CONTENT_HEADERS else general).setdefault(key, []).append(value)
    return HeaderDict((spelled[k], v) for k, v in [*general.items(), *content.items()])


def status_name(status: int) -> str:
    """.NET's HttpStatusCode name: ``TooManyRequests``, ``ServiceUnavailable``, ..."""
    try:
        return HTTPStatus(status).phrase.replace(" ", "").replace("-", "")
    except ValueError:
        return str(status)


class ErrorTarget:
    """The TargetObject of the original's service errors: the operation's parameters as AutoRest's
    anonymous object holds them (original-observed.md, "Errors").

    Its attributes, in order, are the operation's path parameters (``PresenceId``, or ``InputObject``
    with the identity), ``Headers`` and, for an operation with a request body, ``body`` (the body
    model, every member present). ``str()`` is the anonymous object's text, which PowerShell shows as
    CategoryInfo's target: ``{ PresenceId = u1, Headers = , body = <model type> }``. (AutoRest's
    generator may also list an operation's query and header parameters there; none was observed.)
    """

    def __init__(self, members: dict[str, Any]) -> None:
        self.__dict__.update(members)

    def __str__(self) -> str:
        def text(value: Any) -> str:
            type_name = getattr(value, "type_name", None)
            return type_name if isinstance(type_name, str) else convert_to_string(value)

        return "{ " + ", ".join(f"{k} = {text(v)}" for k, v in vars(self).items()) + " }"

    def __repr__(self) -> str:
        return f"ErrorTarget({vars(self)!r})"


_JSON_TOKENS = {"[": None, "{": None, "]": "RightBracket", "}": "RightBrace", ",": "Comma", ":": "Colon"}


def autorest_parse_error(text: str) -> str | None:
    """The message of the ``ParserException`` AutoRest's JSON reader throws for ``text``, or None
    when it reads (or may read) a JSON value: empty text and text starting with ``{`` or ``[``.

    The reader takes the first token (``Bad request`` -> ``String: Bad``, ``502 ...`` -> ``Number:
    502``) and fails with "Expected '{' or '['. Was <token>."; a first character that cannot start
    a token gives "Expected literal (number, boolean, or null). Was '<c>'." (AutoRest's
    ``JsonTokenizer``/``JsonParser``).
    """
    i, n = 0, len(text)
    while i < n and text[i].isspace():
        i += 1
    if i == n or text[i] in "{[\0":
        return None
    c = text[i]
    if c in _JSON_TOKENS:
        token = f"{_JSON_TOKENS[c]}: {c}"
    elif c == '"':
        j, value = i + 1, []
        while j < n and text[j] != '"':
            if text[j] == "\\" and j + 1 < n:
                value.append({"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f"}.get(text[j + 1], text[j + 1]))
                j += 2
                continue
            value.append(text[j])
            j += 1
        if j >= n:
            return "Unexpected EOF while reading quoted string."
        token = "String: " + "".join(value)
    elif c.isdigit() or c in "-+":
        j = i
        while j < n and (text[j].isdigit() or text[j] in ".eE-+"):
            j += 1
        token = "Number: " + text[i:j]
    elif c.isalpha():
        j = i
        while j < n and (text[j].isalnum() or text[j] == "_"):
            j += 1
        word = text[i:j]
        token = {"true": "Boolean: true", "false": "Boolean: false", "null": "Null: null"}.get(word, "String: " + word)
    else:
        return f"Expected literal (number, boolean, or null). Was '{c}'."
    return f"Expected '{{' or '['. Was {token}."


def _error_details(message: str, status: int, code: str, date: str, headers: Iterable[tuple[str, str]]) -> str:
    """HttpMessageLogFormatter.GetErrorLogAsync's layout (fact sheet 8.1)."""
    lines = [message, "", f"Status: {status} ({status_name(status)})", f"ErrorCode: {code}", f"Date: {date}", "",
             "Headers:"]
    lines += [f"{k:<30}: {v}" for k, v in headers if k.lower() != "authorization"]
    return "\n".join(lines) + "\n"


def service_error(response: Any, target: Any, internal_type: str,
                  namespace: str = "Microsoft.Graph.Beta.PowerShell") -> ErrorRecord:
    """The non-terminating record the original writes for a non-2xx response (``namespace``: the
    module's .NET namespace, which names its ``RestException`1`` and JSON ``ParserException``).

    * a Graph error envelope (``{"error": {"code", "message"}}``): InvalidOperation, the code as
      error id, "[code] : message", ErrorDetails with the status, code, date and headers;
    * a body that is not JSON (text, HTML): the original's reader fails on it, and its catch-all
      writes NotSpecified with no error id and a ``ParserException`` ("Expected '{' or '['. Was
      String: Bad."); ErrorDetails add the status and the start of the body, which the original
      leaves out;
    * an empty body or JSON without the envelope: ``RestException`1`` with the status name as error
      id and "The server responded with a Request Error, Status: BadRequest" (Server Error for 5xx).
    """
    status = response.status_code
    text = response.text
    target_name = str(target) if target is not None else None
    parse_error = autorest_parse_error(text)
    if parse_error is not None:
        shown = text if len(text) <= 2000 else text[:2000] + "..."
        record = ErrorRecord(
            parse_error, "", ErrorCategory.NotSpecified, command=internal_type,
            exception_type=f"{namespace}.Runtime.Json.ParserException",
            details_message=(f"{parse_error}\n\nStatus: {status} ({status_name(status)})\n"
                             f"Content-Type: {response.headers.get('Content-Type', '')}\n\nBody:\n{shown}"))
        return record
    try:
        envelope = response.json() if text.strip() else None
    except ValueError:
        envelope = None
    error = envelope.get("error") if isinstance(envelope, dict) else None
    error = error if isinstance(error, dict) else {}
    code, message = error.get("code"), error.get("message")
    extra = {"target_name": target_name} if target_name is not None else {}
    if code is not None and message is not None:
        inner = error.get("innerError") or error.get("innererror") or {}
        date = inner.get("date", "") if isinstance(inner, dict) else ""
        headers = [(k, v) for k, v in response.headers.items() if k.lower() not in CONTENT_HEADERS]
        return ErrorRecord(
            f"[{code}] : {message}", str(code), ErrorCategory.InvalidOperation, target=target, command=internal_type,
            details_message=_error_details(str(message), status, str(code), str(date), headers),
            recommended_action=RECOMMENDED_ACTION, extra=extra)
    # RestException`1: the code falls back to the status name, the message to a generic text.
    rest_code = str(code) if code is not None else status_name(status)
    kind = "Server Error" if status >= 500 else "Request Error"
    rest_message = str(message) if message is not None else f"The server responded with a {kind}, Status: {status_name(status)}"
    return ErrorRecord(rest_message, rest_code, ErrorCategory.InvalidOperation, target=target, command=internal_type,
                       exception_type=f"{namespace}.Runtime.RestException`1", details_message=rest_message, extra=extra)


def not_specified(message: str, internal_type: str, exception_type: str) -> ErrorRecord:
    """What Graph's injected catch-all writes: NotSpecified, empty id, the cmdlet type as FQEID."""
    return ErrorRecord(message, "", ErrorCategory.NotSpecified, command=internal_type, exception_type=exception_type)
