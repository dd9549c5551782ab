"""The HTTP client for Microsoft Graph: one client per connection context.

Requests go through a :class:`~.transport.Transport` (by default :class:`~.transport.DefaultTransport`:
the client's own keep-alive ``http.client`` connections where they can carry a request,
``requests`` otherwise; a caller can pass another, ``GraphClient(ctx, transport=...)``).

What it does on every request, after the original's v2 handler chain (fact sheet section 10;
Kiota RetryHandler/RedirectHandler, Microsoft.Graph.Authentication handlers):

* **headers**: the caller's first, then ``Cache-Control: no-store, no-cache`` and the transport
  defaults, then ``SdkVersion``, the bearer token and ``client-request-id: <new GUID>``, a fresh
  one on every attempt (a caller's ``client-request-id`` is replaced, as the original does);
  names are merged case-insensitively; a value that is not ASCII is refused before sending
  (:func:`.transport.validate_headers`);
* **transport rules**: ``https`` is required, except to loopback hosts (the local emulator);
  certificates are verified (``REQUESTS_CA_BUNDLE`` is honoured); every request has the
  request context's ``ClientTimeout`` (300 s by default);
* **auth**: ``Authorization: Bearer <token>`` from the connection context; on a 401 the token is
  refreshed once (``get_token(force_refresh=True)``) and the request sent once more;
* **pacing**: every attempt first asks the :mod:`.pacing` pacer shared by all clients of the same
  endpoint, tenant and application, and reports its outcome to it: one 429 pauses every sender;
* **retries** on 429, 503 and 504: ``MaxRetry`` times (3), waiting ``Retry-After`` (seconds or
  an HTTP date) or ``RetryDelay * 2**n`` (3 s, 6 s, 12 s), at most 180 s per wait, and within
  ``RetriesTimeLimit`` when set; each retry carries ``Retry-Attempt: n``; when the retries run out
  the request fails with the original's "Too many retries performed" error;
* **stopping**: a command the host stops (Ctrl+C, :mod:`pwshcompat.cancellation`) ends its
  request, its retry waits and its retries at once with ``CommandStoppedError``;
* **redirects** (301/302/303/307/308, at most 5; 303 becomes GET): ``Authorization`` is never sent
  to another host, and a change of scheme is refused;
* **errors**: transports raise only :class:`~.transport.TransportError` (each maps its own
  library's exceptions); the client turns it into :class:`GraphRequestError`, whose record is what
  the original's catch-all writes (``NotSpecified``, empty error id, the .NET exception type);
* **logging** through the ``pwshcompat.graph`` logger, with the token removed.
"""

from __future__ import annotations

import atexit
import email.utils
import functools
import ipaddress
import json
import locale
import logging
import os
import platform
import re
import threading
import time
import urllib.parse
import uuid
from typing import Any, Mapping

from .. import __version__, cancellation
from ..errors import AuthenticationNeededError, ErrorCategory, ErrorRecord, PSError
from . import connection, http_status, pacing, request_context, transport
from .connection import Connection
from .headers import CONTENT_HEADERS
from .transport import Request, Response, Transport, TransportError

# What a request returns, whichever transport sent it.
AnyResponse = Response

__all__ = [
    "GraphClient",
    "GraphRequestError",
    "RETRY_STATUSES",
    "close_clients",
    "for_current_context",
    "format_request_log",
    "format_response_log",
    "map_transport_error",
]

log = logging.getLogger("pwshcompat.graph")
log.addHandler(logging.NullHandler())

RETRY_STATUSES = frozenset({429, 503, 504})
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
MAX_REDIRECTS = 5  # Kiota RedirectHandlerOption.DefaultMaxRedirect
MAX_DELAY_SECONDS = 180.0  # Kiota RetryHandlerOption.MaxDelay
SDK_VERSION = __version__  # pwshcompat's, in the User-Agent
CLIENT_REQUEST_ID = "client-request-id"
_LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"})
# Set by the client on every attempt, whatever the caller's headers say.
_CLIENT_SET = frozenset({"sdkversion", "authorization", CLIENT_REQUEST_ID, "retry-attempt"})


class GraphRequestError(PSError):
    """A request that got no usable HTTP response (network, TLS, timeout, retries exhausted, policy)."""


def _error(message: str, exception_type: str, cause: BaseException | None = None) -> GraphRequestError:
    record = ErrorRecord(message, "", ErrorCategory.NotSpecified, exception_type=exception_type)
    if cause is not None:
        record.extra["cause"] = f"{type(cause).__name__}: {cause}"
    return GraphRequestError(record)


def _from_transport(exc: TransportError) -> GraphRequestError:
    return _error(exc.message, exc.exception_type, exc.__cause__ or exc)


def map_transport_error(exc: BaseException, url: str, timeout: float) -> GraphRequestError:
    """The error for a foreign exception raised while sending to ``url``: the standard library's
    (the keep-alive path) or requests' and urllib3's. Each transport maps its own exceptions at
    its boundary; this applies the same mappings to an exception caught elsewhere."""
    import sys

    from . import keepalive

    if isinstance(exc, TransportError):
        return _from_transport(exc)
    request = Request("GET", url, {}, None, timeout)
    mapped = None
    if "requests" in sys.modules or "urllib3" in sys.modules:
        from . import requests_transport

        mapped = requests_transport.map_error(exc, request)
    mapped = mapped or keepalive.map_error(exc, request) or transport.send_error()
    return _error(mapped.message, mapped.exception_type, exc)


@functools.lru_cache(maxsize=64)  # called per request with the same few hosts
def _is_loopback(host: str | None) -> bool:
    if not host:
        return False
    if host.lower() in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _check_transport(url: str) -> None:
    parts = urllib.parse.urlsplit(url)
    if parts.scheme == "https":
        return
    if parts.scheme == "http" and _is_loopback(parts.hostname):
        return
    raise _error(f"Refusing to send a bearer token over '{parts.scheme}' to '{parts.hostname}': Microsoft Graph "
                 "requires https (plain http is allowed only to a loopback address such as 127.0.0.1).",
                 "System.Security.Authentication.AuthenticationException")


def _user_agent() -> str:
    """Shaped like the original's ``Mozilla/5.0 ({Platform}; {OS}; {Culture}) PowerShell/{ver}``."""
    culture = (locale.getlocale()[0] or "en_US").replace("_", "-")
    return f"Mozilla/5.0 ({platform.system()}; {platform.platform(terse=True)}; {culture}) pwshcompat/{SDK_VERSION}"


def _retry_after_seconds(value: str | None) -> float | None:
    """``Retry-After`` as Kiota reads it: integer seconds, or an HTTP date.

    For a date Kiota takes ``(date - now).Seconds``, the seconds *component* of the difference,
    and falls back to the exponential delay when that is not positive; we keep that quirk.
    """
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(int(value))
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    diff = when.timestamp() - time.time()
    component = int(abs(diff)) % 60 * (1 if diff >= 0 else -1)
    return float(component) if component > 0 else None


def _same_origin(a: str, b: str) -> bool:
    pa, pb = urllib.parse.urlsplit(a), urllib.parse.urlsplit(b)
    return (pa.scheme, pa.hostname, pa.port) == (pb.scheme, pb.hostname, pb.port)


def _merge_headers(*sources: Mapping[str, str]) -> dict[str, str]:
    """One header per name, whatever its case; a later source wins, at the name's first position
    (as requests' CaseInsensitiveDict.update merges them)."""
    store: dict[Any, tuple[str, str]] = {}
    for source in sources:
        for name, value in source.items():
            store[name.lower() if isinstance(name, str) else name] = (name, value)
    return dict(store.values())


def _environment_proxies(endpoint: str) -> dict[str, str]:
    """The proxies the environment sets for ``endpoint`` (none when ``no_proxy`` names it)."""
    if not any(name.lower().endswith("_proxy") for name in os.environ):
        return {}  # the usual case, without importing urllib.request (it costs a session ~2 MiB)
    import urllib.request

    proxies = urllib.request.getproxies()
    if proxies and urllib.request.proxy_bypass(urllib.parse.urlsplit(endpoint).hostname or ""):
        return {}
    return proxies


_DEFAULT_PACER: Any = object()  # "look up the shared pacer" (None means no pacing)


class GraphClient:
    """Sends requests for one connection (:class:`~.connection.Connection`: its Graph endpoint, tenant,
    application and tokens).

    ``transport``: what sends each request (default: :class:`~.transport.DefaultTransport` for
    the connection's Graph endpoint, with the environment's proxy and CA settings); ``pacer``: the
    :class:`~.pacing.Pacer` every attempt asks first (default: the one shared by the process for
    this endpoint, tenant and application; None sends without pacing).
    """

    def __init__(self, ctx: Connection, *, transport: Transport | None = None,
                 pacer: pacing.Pacer | None = _DEFAULT_PACER) -> None:
        self.context = ctx
        endpoint = ctx.graph_endpoint
        # Proxy and CA settings are read from the environment once, here, rather than on every call.
        self.verify: bool | str = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True
        # Sent with every request, in requests' order, unless the caller's headers replace them.
        self.default_headers = {
            "User-Agent": _user_agent(),
            "Accept-Encoding": "gzip",
            "Accept": "*/*",
            "Connection": "keep-alive",
            "Cache-Control": "no-store, no-cache",
        }
        self.transport: Transport = transport if transport is not None else _default_transport(
            endpoint, self.verify, _environment_proxies(endpoint))
        if pacer is _DEFAULT_PACER:
            origin = urllib.parse.urlsplit(endpoint)
            try:
                pacer = pacing.shared((origin.scheme, origin.netloc.lower(), ctx.tenant_id,
                                       ctx.client_id or f"context-{id(ctx)}"))
            except ValueError as exc:  # PWSHCOMPAT_PACING is neither on nor off: nothing is sent
                raise _error(str(exc), "System.ArgumentException") from None
        self.pacer: pacing.Pacer | None = pacer

    def close(self) -> None:
        """Close the transport's connections."""
        self.transport.close()

    def _token(self, force_refresh: bool = False) -> str:
        return self.context.get_token(force_refresh=force_refresh)

    def request(self, method: str, path: str, *, data: bytes | None = None,
                headers: Mapping[str, str] | None = None, timeout: float | None = None) -> AnyResponse:
        """Send ``method path`` (``path`` relative to the environment's Graph endpoint, or absolute).

        ``headers``: the caller's request headers, sent first (``Authorization``, ``SdkVersion``,
        ``client-request-id`` and ``Retry-Attempt`` among them are replaced); ``data``: the body;
        ``timeout``: seconds, default the request context's ``ClientTimeout``.
        Returns the final response, whatever its status (callers turn non-2xx into errors).
        Raises :class:`GraphRequestError` when there is no usable response.
        """
        endpoint = self.context.graph_endpoint.rstrip("/")
        url = path if path.startswith(("http://", "https://")) else endpoint + path
        _check_transport(url)
        settings = request_context.current()
        if timeout is None:
            timeout = settings.client_timeout
        all_headers = {k: v for k, v in (headers or {}).items()
                       if not (isinstance(k, str) and k.lower() in _CLIENT_SET)}
        if data is not None and not any(isinstance(k, str) and k.lower() == "content-type" for k in all_headers):
            all_headers["Content-Type"] = "application/json"
        # RequestHeaderHandler replaces SdkVersion, AuthenticationHandler sets Authorization.
        flavour = "graph-powershell-beta" if urllib.parse.urlsplit(url).path.startswith("/beta") else "graph-powershell"
        fixed = {"SdkVersion": f"{flavour}/{SDK_VERSION}", "Authorization": f"Bearer {self._token()}"}

        response = self._send_with_redirects(method, url, data, all_headers, fixed, timeout)
        if response.status_code == 401:
            response.close()
            fixed["Authorization"] = f"Bearer {self._token(force_refresh=True)}"
            response = self._send_with_redirects(method, url, data, all_headers, fixed, timeout)
        return self._retry(method, url, data, all_headers, fixed, timeout, response, settings)

    def _retry(self, method: str, url: str, data: bytes | None, headers: dict[str, str], fixed: dict[str, str],
               timeout: float, response: AnyResponse, settings: request_context.RequestContext) -> AnyResponse:
        if response.status_code not in RETRY_STATUSES or settings.max_retry <= 0:
            return response
        waited = 0.0
        for attempt in range(1, settings.max_retry + 1):
            delay = _retry_after_seconds(response.headers.get("Retry-After"))
            if delay is None:
                delay = settings.retry_delay * (2 ** (attempt - 1))
            delay = min(delay, MAX_DELAY_SECONDS)
            if settings.retries_time_limit > 0 and waited + delay > settings.retries_time_limit:
                return response
            waited += delay
            log.debug("HTTP %s from %s %s; retry %d of %d in %.3g s", response.status_code, method, url, attempt,
                      settings.max_retry, delay)
            response.close()
            if delay > 0:  # a stopped command (Ctrl+C) stops waiting: CommandStoppedError
                if self.pacer is not None:
                    self.pacer.sleep(delay)
                elif cancellation.current().wait(delay):
                    raise cancellation.CommandStoppedError()
            fixed["Retry-Attempt"] = str(attempt)
            response = self._send_with_redirects(method, url, data, headers, fixed, timeout)
            if response.status_code not in RETRY_STATUSES:
                return response
        raise _error(f"Too many retries performed. More than {settings.max_retry} retries encountered while sending "
                     "the request.", "System.AggregateException")

    def _send_with_redirects(self, method: str, url: str, data: bytes | None, headers: dict[str, str],
                             fixed: dict[str, str], timeout: float) -> AnyResponse:
        original = url
        for _ in range(MAX_REDIRECTS + 1):
            response = self._send(method, url, data, headers, fixed, timeout)
            if response.status_code not in REDIRECT_STATUSES or "Location" not in response.headers:
                return response
            target = urllib.parse.urljoin(url, response.headers["Location"])
            if urllib.parse.urlsplit(target).scheme != urllib.parse.urlsplit(url).scheme:
                return response  # Kiota refuses scheme changes: the 3xx is the answer
            _check_transport(target)
            if response.status_code == 303:
                method, data = "GET", None
                headers = {k: v for k, v in headers.items() if k.lower() != "content-type"}
            if not _same_origin(original, target):
                headers = {k: v for k, v in headers.items() if k.lower() != "cookie"}
                fixed = {k: v for k, v in fixed.items() if k.lower() != "authorization"}
            response.close()
            url = target
        raise _error(f"Too many redirects performed. Max redirects exceeded: {MAX_REDIRECTS}.",
                     "Microsoft.Kiota.Abstractions.ApiException")

    def _send(self, method: str, url: str, data: bytes | None, headers: dict[str, str], fixed: dict[str, str],
              timeout: float) -> AnyResponse:
        """One attempt: the headers in the original's order, the pacer asked first and told after."""
        given = {name.lower() for name in headers}
        merged = _merge_headers(headers, {k: v for k, v in self.default_headers.items() if k.lower() not in given})
        merged.update(fixed)
        merged[CLIENT_REQUEST_ID] = str(uuid.uuid4())
        request = Request(method, url, merged, data, timeout)
        try:
            transport.validate_headers(merged)
        except TransportError as exc:
            raise _from_transport(exc) from None
        pacer = self.pacer
        sent_at = pacer.acquire() if pacer is not None else 0.0
        try:
            response = self.transport.handle_request(request)
        except TransportError as exc:
            if pacer is not None:
                pacer.finished(sent_at, None)
            raise _from_transport(exc) from exc
        except BaseException:
            if pacer is not None:
                pacer.finished(sent_at, None)
            raise
        if pacer is not None:
            status = response.status_code
            pacer.finished(sent_at, status,
                           _retry_after_seconds(response.headers.get("Retry-After")) if status == 429 else None)
        if log.isEnabledFor(logging.DEBUG):
            log.debug("%s %s -> %s", method, url, response.status_code)
        return response


def _default_transport(endpoint: str, verify: bool | str, proxies: Mapping[str, str]) -> Transport:
    return transport.DefaultTransport(endpoint, verify=verify, proxies=proxies)


_ACCESS_TOKEN_JSON = re.compile(r'("access_token"\s*:\s*)"[^"]*"')
_MAX_LOGGED_TEXT = 10240


def _log_body(text: str) -> str:
    """The body as the original logs it: pretty JSON with access tokens redacted; long text cut."""
    try:
        text = json.dumps(json.loads(text), indent=2, ensure_ascii=False)
    except ValueError:
        if len(text) > _MAX_LOGGED_TEXT:
            text = text[:_MAX_LOGGED_TEXT] + "\r\nDATA TRUNCATED DUE TO SIZE\r\n"
    return _ACCESS_TOKEN_JSON.sub(r'\1"<redacted>"', text)


def format_headers(headers: Mapping[str, str]) -> str:
    """``{name,-30}: {value}`` lines with Authorization removed (HttpMessageLogFormatter)."""
    return "\n".join(f"{k:<30}: {v}" for k, v in headers.items() if k.lower() != "authorization")


def format_request_log(request: Any) -> str:
    """The ``-Debug`` request block of the original, without the Authorization header."""
    body = request.body.decode("utf-8", "replace") if isinstance(request.body, bytes) else (request.body or "")
    return ("============================ HTTP REQUEST ============================\n\n"
            f"HTTP Method:\n{request.method}\n\nAbsolute Uri:\n{request.url}\n\n"
            f"Headers:\n{format_headers(_without_content_headers(request.headers))}\n\n"
            f"Body:\n{_log_body(body)}\n\n")


def format_response_log(response: AnyResponse) -> str:
    """The ``-Debug`` response block of the original (status name, headers, body)."""
    status = http_status.dotnet_name(response.status_code)
    return ("============================ HTTP RESPONSE ============================\n\n"
            f"Status Code:\n{status}\n\nHeaders:\n{format_headers(_without_content_headers(response.headers))}\n\n"
            f"Body:\n{_log_body(response.text)}\n\n")


def _without_content_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """The message's own headers: the original's log lists the content's (HttpContent) apart."""
    return {k: v for k, v in headers.items() if k.lower() not in CONTENT_HEADERS}


def require_context() -> Connection:
    """The current connection; raises :class:`AuthenticationNeededError` (the original's
    "Authentication needed" error) when there is none."""
    ctx = connection.current()
    if ctx is None:
        raise AuthenticationNeededError(
            ErrorRecord("Authentication needed. Please call Connect-MgGraph.", "", ErrorCategory.NotSpecified,
                        exception_type="System.Security.Authentication.AuthenticationException"))
    return ctx


_clients: dict[int, GraphClient] = {}
_clients_lock = threading.Lock()


@atexit.register
def _close_all() -> None:
    """Close the keep-alive connections when the process ends."""
    with _clients_lock:
        for client in _clients.values():
            client.close()
        _clients.clear()


def close_clients() -> None:
    """Close every client: the next request makes a new one, which reads the proxy and CA
    variables again (a host calls this when they change, see pwshcompat.bridge.update_environment)."""
    _close_all()


def for_current_context() -> GraphClient:
    """The client of the current connection (one per context, so one session per connection)."""
    ctx = require_context()
    client = _clients.get(id(ctx))
    if client is None or client.context is not ctx:
        with _clients_lock:
            client = _clients.get(id(ctx))
            if client is None or client.context is not ctx:
                for key in [k for k, c in _clients.items() if c.context is not connection.current()]:
                    _clients.pop(key).close()
                client = _clients[id(ctx)] = GraphClient(ctx)
    return client
