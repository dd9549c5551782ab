"""What a Graph response becomes: the original's error records and the response-headers variable.

Facts: ../shared/research/cmdlet-semantics.md sections 8 and 9, original-observed.md "Errors".
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any, Iterable

from ..errors import ErrorCategory, ErrorRecord
from .request import CONTENT_HEADERS

__all__ = ["HeaderDict", "RECOMMENDED_ACTION", "not_specified", "response_headers", "service_error", "status_name"]

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
    """The ``-ResponseHeadersVariable`` value of ``response``."""
    return HeaderDict((k, [v]) for k, v in response.headers.items())


def status_name(status: int) -> str:
    """.NET's HttpStatusCode name: ``TooManyRequests``, ``ServiceUnavailable``, ..."""
    try:
        return HTTPStatus(status).phrase.replace(" ", "").replace("-", "")
    except ValueError:
        return str(status)


def _error_details(message: str, status: int, code: str, date: str, headers: Iterable[tuple[str, str]]) -> str:
    """HttpMessageLogFormatter.GetErrorLogAsync's layout (fact sheet 8.1)."""
    lines = [message, "", f"Status: {status} ({status_name(status)})", f"ErrorCode: {code}", f"Date: {date}", "",
             "Headers:"]
    lines += [f"{k:<30}: {v}" for k, v in headers if k.lower() != "authorization"]
    return "\n".join(lines) + "\n"


def service_error(response: Any, target: dict[str, Any], internal_type: str,
                  namespace: str = "Microsoft.Graph.Beta.PowerShell") -> ErrorRecord:
    """The non-terminating record the original writes for a non-2xx response (``namespace``: the
    module's .NET namespace, which names its ``RestException``)."""
    try:
        envelope = response.json()
    except ValueError:
        envelope = None
    error = envelope.get("error") if isinstance(envelope, dict) else None
    error = error if isinstance(error, dict) else {}
    code, message = error.get("code"), error.get("message")
    status = response.status_code
    if code is not None and message is not None:
        inner = error.get("innerError") or error.get("innererror") or {}
        date = inner.get("date", "") if isinstance(inner, dict) else ""
        headers = [(k, v) for k, v in response.headers.items() if k.lower() not in CONTENT_HEADERS]
        return ErrorRecord(
            f"[{code}] : {message}", str(code), ErrorCategory.InvalidOperation, target=target, command=internal_type,
            details_message=_error_details(str(message), status, str(code), str(date), headers),
            recommended_action=RECOMMENDED_ACTION)
    # RestException: the code falls back to the status name, the message to the body or a generic text.
    rest_code = str(code) if code is not None else status_name(status)
    kind = "Server Error" if status >= 500 else "Request Error"
    rest_message = str(message) if message is not None else (
        response.text or f"The server responded with a {kind}, Status: {status_name(status)}")
    return ErrorRecord(rest_message, rest_code, ErrorCategory.InvalidOperation, target=target, command=internal_type,
                       exception_type=f"{namespace}.Runtime.RestException",
                       details_message=rest_message)


def not_specified(message: str, internal_type: str, exception_type: str) -> ErrorRecord:
    """What Graph's injected catch-all writes: NotSpecified, empty id, the cmdlet type as FQEID."""
    return ErrorRecord(message, "", ErrorCategory.NotSpecified, command=internal_type, exception_type=exception_type)
