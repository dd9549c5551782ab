"""What a Graph response becomes: the original's error records and the response-headers variable.

Facts: ../shared/research/cmdlet-semantics.md sections 8 and 9, original-observed.md "Errors".
"""

from __future__ import annotations

from typing import Any, Iterable

from ..dotnetvalues import convert_to_string
from ..errors import ErrorCategory, ErrorRecord
from ..graph.headers import header_pairs
from ..graph.http_status import dotnet_name
from . import autorest_json
from .request import CONTENT_HEADERS

__all__ = ["ErrorTarget", "HeaderDict", "RECOMMENDED_ACTION", "header_pairs", "not_specified",
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
    """.NET's HttpStatusCode name: ``TooManyRequests``, ``RequestUriTooLong``, ``418`` (:mod:`..graph.http_status`)."""
    return dotnet_name(status)


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
    * a body the original's JSON reader fails on (text, HTML, or text starting with ``{`` that is
      not JSON: :mod:`.autorest_json`): its catch-all writes NotSpecified with no error id and the
      reader's exception (a ``ParserException`` "Expected '{' or '['. Was String: Bad.", or .NET's
      own type for a bad escape or a member given twice); ErrorDetails add the status and the
      start of the body, which the original leaves out;
    * an empty body or JSON without the envelope: ``RestException`1`` with the status name as error
      id and "The server responded with a Request Error, Status: BadRequest" (Server Error for 5xx).

    The envelope is read as the original's model reads it: member names in any case, ``code``
    and ``message`` only when they are JSON strings.
    """
    status = response.status_code
    text = response.text
    target_name = str(target) if target is not None else None
    try:
        envelope = autorest_json.parse(text)
    except autorest_json.ParseError as failure:
        exception_type = failure.exception_type
        if exception_type == autorest_json.PARSER_EXCEPTION:
            exception_type = f"{namespace}.Runtime.Json.ParserException"
        shown = text if len(text) <= 2000 else text[:2000] + "..."
        return ErrorRecord(
            failure.message, "", ErrorCategory.NotSpecified, command=internal_type, exception_type=exception_type,
            details_message=(f"{failure.message}\n\nStatus: {status} ({status_name(status)})\n"
                             f"Content-Type: {response.headers.get('Content-Type', '')}\n\nBody:\n{shown}"))
    error = autorest_json.member(envelope, "error")
    code, message = (value if isinstance(value, str) else None
                     for value in (autorest_json.member(error, "code"), autorest_json.member(error, "message")))
    extra = {"target_name": target_name} if target_name is not None else {}
    if code is not None and message is not None:
        date = autorest_json.member(autorest_json.member(error, "innerError"), "date")
        headers = [(k, v) for k, v in response.headers.items() if k.lower() not in CONTENT_HEADERS]
        return ErrorRecord(
            f"[{code}] : {message}", code, ErrorCategory.InvalidOperation, target=target, command=internal_type,
            details_message=_error_details(message, status, code, date if isinstance(date, str) else "", headers),
            recommended_action=RECOMMENDED_ACTION, extra=extra)
    # RestException`1: the code falls back to the status name, the message to a generic text.
    rest_code = code if code is not None else status_name(status)
    kind = "Server Error" if status >= 500 else "Request Error"
    rest_message = message if message is not None else f"The server responded with a {kind}, Status: {status_name(status)}"
    return ErrorRecord(rest_message, rest_code, ErrorCategory.InvalidOperation, target=target, command=internal_type,
                       exception_type=f"{namespace}.Runtime.RestException`1", details_message=rest_message, extra=extra)


def not_specified(message: str, internal_type: str, exception_type: str) -> ErrorRecord:
    """What Graph's injected catch-all writes: NotSpecified, empty id, the cmdlet type as FQEID."""
    return ErrorRecord(message, "", ErrorCategory.NotSpecified, command=internal_type, exception_type=exception_type)
