"""Invoke-MgGraphRequest: any Graph REST call through the current connection.

Facts from auth-and-pain.md §C.1 (``Invoke-MgGraphRequest.md``, ``InvokeMgGraphRequest.cs``):
``-Method`` GET/POST/PUT/PATCH/DELETE (default GET); ``-Uri`` relative to the environment's Graph
endpoint or absolute (a Graph host is re-pointed at the current environment, like the original's
NationalCloudHandler); ``-Body`` as a string or as a hashtable/object serialised to JSON, with
``application/json`` by default for POST/PUT/PATCH; ``-OutputType`` HashTable (default), PSObject,
HttpResponseMessage or Json; ``-OutputFilePath`` writes the body to a file and nothing to the
pipeline unless ``-PassThru``; HTTP errors are terminating ``InvokeGraphHttpResponseException``
errors whose ErrorDetails is the response body, unless ``-SkipHttpErrorCheck``. No paging.

The output takes the original's .NET types in PowerShell (:mod:`pwshcompat.hostvalues`): a JSON
object is a case-insensitive ``Hashtable`` (nested objects too, ``StringUtil.ConvertFromJson``),
``-OutputType HttpResponseMessage`` a real ``System.Net.Http.HttpResponseMessage``, and an HTTP
error's exception ``Microsoft.Graph.PowerShell.Authentication.Helpers.HttpResponseException`` (an
``HttpRequestException``) whose ``Response`` is the response, with the message
"Response status code does not indicate success: NotFound (Not Found)." (``HttpStatusCode`` name,
then the reason phrase).

The request goes through the Graph client (:mod:`pwshcompat.graph.client`), so it shares the
connection's session, token refresh, the one retry after a 401, throttling retries and the
"Authentication needed. Please call Connect-MgGraph." check. Not supported: ``-SessionVariable``
and ``-GraphRequestSession`` (there is no web session object here); using them is an error.
"""

from __future__ import annotations

import json
import re
import types
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ..commands import command
from ..errors import ErrorCategory, ErrorRecord, TerminatingError
from ..graph import connection
from ..hostvalues import HttpResponseMessage, hashtable_from_json
from ..runtime import CommandRuntime

COMMAND_TYPE = "Microsoft.Graph.PowerShell.Authentication.Cmdlets.InvokeMgGraphRequest"
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
OUTPUT_TYPES = ("HashTable", "PSObject", "HttpResponseMessage", "Json")
# Hosts of the public Graph clouds; an absolute URI on one of them goes to the current environment.
GRAPH_HOSTS = {"graph.microsoft.com", "graph.microsoft.us", "dod-graph.microsoft.us", "microsoftgraph.chinacloudapi.cn"}
# System.Net.HttpStatusCode's names of the error statuses (the message names the status by them).
_STATUS_NAMES = {
    400: "BadRequest", 401: "Unauthorized", 402: "PaymentRequired", 403: "Forbidden", 404: "NotFound",
    405: "MethodNotAllowed", 406: "NotAcceptable", 407: "ProxyAuthenticationRequired", 408: "RequestTimeout",
    409: "Conflict", 410: "Gone", 411: "LengthRequired", 412: "PreconditionFailed", 413: "RequestEntityTooLarge",
    414: "RequestUriTooLong", 415: "UnsupportedMediaType", 416: "RequestedRangeNotSatisfiable",
    417: "ExpectationFailed", 421: "MisdirectedRequest", 423: "Locked", 424: "FailedDependency",
    426: "UpgradeRequired", 428: "PreconditionRequired", 429: "TooManyRequests", 431: "RequestHeaderFieldsTooLarge",
    451: "UnavailableForLegalReasons", 500: "InternalServerError", 501: "NotImplemented", 502: "BadGateway",
    503: "ServiceUnavailable", 504: "GatewayTimeout", 505: "HttpVersionNotSupported", 506: "VariantAlsoNegotiates",
    507: "InsufficientStorage", 508: "LoopDetected", 510: "NotExtended", 511: "NetworkAuthenticationRequired",
}


def _invalid(message: str, error_id: str, target: Any = None) -> TerminatingError:
    return TerminatingError(ErrorRecord(message, error_id, ErrorCategory.InvalidArgument, target, command=COMMAND_TYPE))


def _choice(bound: dict[str, Any], name: str, allowed: tuple[str, ...], default: str) -> str:
    value = bound.get(name)
    if value is None:
        return default
    for option in allowed:
        if str(value).lower() == option.lower():
            return option
    raise _invalid(f"Cannot bind parameter '{name}'. Cannot convert value \"{value}\" to type \"{name}\". "
                   f"Specify one of the following enumerator names and try again: {', '.join(allowed)}",
                   "CannotConvertArgumentNoMessage", value)


def _relative(uri: str, graph_endpoint: str) -> str:
    """The path (and query) to request on the current environment's Graph endpoint."""
    text = str(uri).strip()
    if not text:
        raise _invalid("Cannot validate argument on parameter 'Uri'. The argument is null or empty.",
                       "ParameterArgumentValidationError", uri)
    parts = urlsplit(text)
    if parts.scheme:
        own = urlsplit(graph_endpoint).netloc.lower()
        if parts.scheme not in ("http", "https") or (parts.netloc.lower() != own and parts.hostname not in GRAPH_HOSTS):
            raise _invalid(f"Invalid Host '{parts.netloc}': Invoke-MgGraphRequest only sends requests to Microsoft "
                           f"Graph ({own} in the current environment).", "InvalidUri", uri)
        text = parts.path + (f"?{parts.query}" if parts.query else "")
    return text if text.startswith("/") else "/" + text


def _body(bound: dict[str, Any], method: str) -> tuple[bytes | None, str | None]:
    """(body bytes, default content type)."""
    if bound.get("InputFilePath"):
        path = Path(str(bound["InputFilePath"])).expanduser()
        try:
            return path.read_bytes(), "application/octet-stream"
        except OSError as exc:
            raise _invalid(f"Cannot read -InputFilePath '{path}': {exc.strerror}.", "InputFileNotFound", str(path)) from None
    body = bound.get("Body")
    if body is None:
        return None, None
    if method == "GET":
        raise _invalid("A GET request cannot have a body. Use -Method POST, PUT or PATCH to send -Body.",
                       "GetRequestWithBody", "Body")
    if isinstance(body, (bytes, bytearray)):
        return bytes(body), "application/octet-stream"
    if isinstance(body, str):
        return body.encode("utf-8"), "application/json"
    try:
        return json.dumps(body, default=_plain).encode("utf-8"), "application/json"
    except (TypeError, ValueError) as exc:
        raise _invalid(f"Cannot serialise -Body to JSON: {exc}.", "InvalidBody", "Body") from None


def _plain(value: Any) -> Any:
    if hasattr(value, "__dict__"):
        return {k: v for k, v in vars(value).items() if not k.startswith("_")}
    return str(value)


def _headers(bound: dict[str, Any], content_type: str | None) -> dict[str, str]:
    headers: dict[str, str] = {}
    for key, value in (bound.get("Headers") or {}).items():
        text = ", ".join(map(str, value)) if isinstance(value, list) else str(value)
        if re.search(r"[\r\n]", str(key) + text):
            raise _invalid(f"The header '{key}' contains a line break, which HTTP does not allow.", "InvalidHeader", key)
        headers[str(key)] = text
    if bound.get("ContentType"):
        headers["Content-Type"] = str(bound["ContentType"])
    elif content_type and not any(k.lower() == "content-type" for k in headers):
        headers["Content-Type"] = content_type
    if bound.get("UserAgent"):
        headers["User-Agent"] = str(bound["UserAgent"])
    return headers


def _to_psobject(value: Any) -> Any:
    if isinstance(value, dict):
        return types.SimpleNamespace(**{str(k): _to_psobject(v) for k, v in value.items()})
    if isinstance(value, list):
        return [_to_psobject(v) for v in value]
    return value


def _response_message(response: Any, method: str) -> HttpResponseMessage:
    """The response as the original hands it out (``-OutputType HttpResponseMessage``, ``.Response``
    of an HTTP error); the body is already decoded, so Content-Encoding goes, as in .NET's
    automatic decompression."""
    headers = tuple((str(k), str(v)) for k, v in response.headers.items() if k.lower() != "content-encoding")
    return HttpResponseMessage(response.status_code, response.reason or "", headers, bytes(response.content or b""),
                               method, str(response.url or ""))


def _decode(response: Any, output_type: str, method: str) -> Any:
    if output_type == "HttpResponseMessage":
        return _response_message(response, method)
    text = response.content.decode(response.encoding or "utf-8", errors="replace") if response.content else ""
    if output_type == "Json":
        return text
    if not text:
        return None
    if "json" not in response.headers.get("Content-Type", "application/json").lower():
        return text
    try:
        if output_type == "PSObject":
            return _to_psobject(json.loads(text))
        return hashtable_from_json(text)
    except ValueError:
        return text


def _output_file(bound: dict[str, Any], response: Any) -> Path | None:
    target = bound.get("OutputFilePath")
    if not target and not bound.get("InferOutputFileName"):
        return None
    path = Path(str(target or ".")).expanduser()
    if bound.get("InferOutputFileName"):
        match = re.search(r'filename\*?=(?:UTF-8\'\')?"?([^";]+)"?', response.headers.get("Content-Disposition", ""))
        name = Path(match.group(1)).name if match else Path(urlsplit(response.url or "").path).name
        if not name:
            raise _invalid("Cannot infer an output file name from the response.", "InferOutputFileNameFailed")
        path = (path if path.is_dir() or not target else path.parent) / name
    return path


@command("Invoke-MgGraphRequest")
def invoke_mg_graph_request(parameter_set: str, bound: dict[str, Any], runtime: CommandRuntime) -> None:
    for unsupported in ("SessionVariable", "GraphRequestSession"):
        if bound.get(unsupported) is not None:
            raise TerminatingError(ErrorRecord(f"-{unsupported} is not supported by pwshcompat's Invoke-MgGraphRequest.",
                                               "NotSupported", ErrorCategory.NotImplemented, unsupported, command=COMMAND_TYPE))
    method = _choice(bound, "Method", METHODS, "GET")
    output_type = _choice(bound, "OutputType", OUTPUT_TYPES, "HashTable")
    if "Uri" not in bound:
        raise _invalid("Cannot process command because of one or more missing mandatory parameters: Uri.",
                       "MissingMandatoryParameter", "Uri")
    from ..graph import client as graph_client

    current = connection.current()
    path = _relative(bound["Uri"], current.graph_endpoint if current else "")
    data, content_type = _body(bound, method)
    headers = _headers(bound, content_type if method in ("POST", "PUT", "PATCH") or data is not None else None)
    response = graph_client.for_current_context().request(method, path, data=data, headers=headers)

    if bound.get("StatusCodeVariable"):
        runtime.set_variable(str(bound["StatusCodeVariable"]), response.status_code)
    if response.status_code >= 400 and not bound.get("SkipHttpErrorCheck"):
        status = _STATUS_NAMES.get(response.status_code, str(response.status_code))
        record = ErrorRecord(
            f"Response status code does not indicate success: {status} ({response.reason or ''}).",
            "InvokeGraphHttpResponseException", ErrorCategory.InvalidOperation, f"{method} {path}", command=COMMAND_TYPE,
            exception_type="Microsoft.Graph.PowerShell.Authentication.Helpers.HttpResponseException",
            details_message=response.text or None)
        record.extra["response"] = _response_message(response, method)
        raise TerminatingError(record)
    if bound.get("ResponseHeadersVariable"):
        runtime.set_variable(str(bound["ResponseHeadersVariable"]), {k: [v] for k, v in response.headers.items()})
    out_path = _output_file(bound, response)
    if out_path is not None:
        out_path.write_bytes(response.content)
        if not bound.get("PassThru"):
            return
    value = _decode(response, output_type, method)
    if value is not None:
        runtime.write_object(value)
