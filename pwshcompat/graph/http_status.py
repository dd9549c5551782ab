""".NET's names of HTTP status codes, as the original module prints them.

The original names a status by ``System.Net.HttpStatusCode``'s ``ToString()``: in ErrorDetails
("Status: 414 (RequestUriTooLong)"), as the error id and message of ``RestException`1`` ("...
Status: RequestUriTooLong"), in the ``-Debug`` response dump ("Status Code:") and in
Invoke-MgGraphRequest's message. Where two names share a value, ``ToString()`` gives one of them
(302 ``Found``, 307 ``RedirectKeepVerb``, 422 ``UnprocessableEntity``); a status the enum does not
name (418, 425, 509, ...) is its number.

The table is .NET 8's (pwsh 7.4 LTS), read from the .NET 8.0.31 runtime with ``ToString()`` for
every code from 100 to 599; .NET 10 (pwsh 7.6) gives the same names. Python's ``HTTPStatus``
phrases differ (``Request-URI Too Long``, ``I'm a Teapot``, ``Temporary Redirect``), hence data.
"""

from __future__ import annotations

__all__ = ["DOTNET_NAMES", "dotnet_name"]

DOTNET_NAMES: dict[int, str] = {
    100: "Continue", 101: "SwitchingProtocols", 102: "Processing", 103: "EarlyHints", 200: "OK", 201: "Created",
    202: "Accepted", 203: "NonAuthoritativeInformation", 204: "NoContent", 205: "ResetContent",
    206: "PartialContent", 207: "MultiStatus", 208: "AlreadyReported", 226: "IMUsed", 300: "MultipleChoices",
    301: "MovedPermanently", 302: "Found", 303: "SeeOther", 304: "NotModified", 305: "UseProxy", 306: "Unused",
    307: "RedirectKeepVerb", 308: "PermanentRedirect", 400: "BadRequest", 401: "Unauthorized",
    402: "PaymentRequired", 403: "Forbidden", 404: "NotFound", 405: "MethodNotAllowed", 406: "NotAcceptable",
    407: "ProxyAuthenticationRequired", 408: "RequestTimeout", 409: "Conflict", 410: "Gone", 411: "LengthRequired",
    412: "PreconditionFailed", 413: "RequestEntityTooLarge", 414: "RequestUriTooLong", 415: "UnsupportedMediaType",
    416: "RequestedRangeNotSatisfiable", 417: "ExpectationFailed", 421: "MisdirectedRequest",
    422: "UnprocessableEntity", 423: "Locked", 424: "FailedDependency", 426: "UpgradeRequired",
    428: "PreconditionRequired", 429: "TooManyRequests", 431: "RequestHeaderFieldsTooLarge",
    451: "UnavailableForLegalReasons", 500: "InternalServerError", 501: "NotImplemented", 502: "BadGateway",
    503: "ServiceUnavailable", 504: "GatewayTimeout", 505: "HttpVersionNotSupported", 506: "VariantAlsoNegotiates",
    507: "InsufficientStorage", 508: "LoopDetected", 510: "NotExtended", 511: "NetworkAuthenticationRequired",
}


def dotnet_name(status: int) -> str:
    """``((HttpStatusCode)status).ToString()``: ``NotFound``, ``RequestUriTooLong``, ``418``."""
    return DOTNET_NAMES.get(status, str(status))
