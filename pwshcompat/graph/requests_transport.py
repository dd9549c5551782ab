"""A transport over ``requests``: for proxies, targets the keep-alive path leaves alone, other origins.

One ``requests.Session`` per transport, with the environment read once (``trust_env`` off, so
``~/.netrc`` can never replace the bearer token and proxies are not re-read per call), sending
straight through the session's connection adapter: the client follows redirects itself and
Graph sets no cookies, so ``Session.request``'s merging, redirect and cookie passes are pure
per-call cost (bench/FINDINGS.md section 3).

Errors: requests' exceptions, the urllib3 exceptions requests lets through, and the standard
library's socket and ``http.client`` errors are mapped to :class:`~.transport.TransportError` in
:func:`map_error`, the one boundary of this transport.
"""

from __future__ import annotations

import http.client
import ssl
from typing import TYPE_CHECKING, Any

from .. import cancellation
from . import transport
from .transport import Headers, Request, Response, TransportError

if TYPE_CHECKING:
    import requests

__all__ = ["RequestsTransport", "foreign_exceptions", "map_error"]


def foreign_exceptions() -> tuple[type[BaseException], ...]:
    """What this transport's boundary catches (requests is imported only when this transport is used)."""
    import requests
    import urllib3

    return (requests.RequestException, urllib3.exceptions.HTTPError, OSError, http.client.HTTPException, ValueError)


def map_error(exc: BaseException, request: Request) -> TransportError | None:
    """The :class:`TransportError` for an exception raised while requests sent ``request``, or
    None for anything that is not a sending failure (a bug must not pass for a network error)."""
    import requests
    import urllib3

    exceptions = requests.exceptions
    u3 = urllib3.exceptions
    if isinstance(exc, (exceptions.InvalidHeader, exceptions.InvalidJSONError)):
        return TransportError(f"The format of a request header is invalid: {exc}", "System.FormatException")
    if isinstance(exc, (exceptions.Timeout, u3.TimeoutError, TimeoutError)):
        return transport.timeout_error(request)
    if isinstance(exc, (exceptions.SSLError, u3.SSLError, ssl.SSLError, ssl.CertificateError)):
        return transport.tls_error(request, exc)
    if isinstance(exc, (exceptions.InvalidURL, exceptions.MissingSchema, exceptions.InvalidSchema,
                        exceptions.URLRequired, u3.LocationValueError)):
        return transport.invalid_uri(request)
    if isinstance(exc, (exceptions.ProxyError, u3.ProxyError)):
        return TransportError(f"The proxy tunnel request to the proxy failed ({transport.where(request.url)})")
    if isinstance(exc, (exceptions.ConnectionError, u3.ProtocolError, u3.NewConnectionError, u3.MaxRetryError,
                        http.client.HTTPException)):  # urllib3's IncompleteRead is http.client's too
        return transport.connection_error(request, str(exc))
    if isinstance(exc, (exceptions.ContentDecodingError, exceptions.ChunkedEncodingError, u3.DecodeError,
                        u3.ResponseError, u3.HTTPError, requests.RequestException)):
        return transport.send_error()
    if isinstance(exc, OSError):
        return transport.connection_error(request, str(exc), refused=isinstance(exc, ConnectionRefusedError))
    if isinstance(exc, ValueError):  # a request urllib3 or http.client refuses to write
        return transport.send_error()
    return None


class RequestsTransport:
    """Sends each request through one ``requests.Session``; thread-safe as requests' adapters are."""

    def __init__(self, endpoint: str, *, verify: bool | str = True) -> None:
        import requests

        session = requests.Session()
        session.trust_env = False
        session.proxies.update(requests.utils.get_environ_proxies(endpoint))
        session.verify = verify
        self.session = session
        self.verify = verify

    def handle_request(self, request: Request) -> Response:
        try:
            # requests offers no way to interrupt a request from another thread: a stopped command
            # (Ctrl+C) returns at once (CommandStoppedError) and leaves the request to end on its own.
            return cancellation.call(self._send, request)
        except foreign_exceptions() as exc:
            mapped = map_error(exc, request)
            if mapped is None:
                raise
            raise mapped from exc

    def _send(self, request: Request) -> Response:
        import requests

        session = self.session
        prepared = requests.PreparedRequest()
        prepared.prepare(method=request.method, url=request.url, headers=request.headers, data=request.body)
        reply: requests.Response = session.get_adapter(request.url).send(
            prepared, timeout=request.timeout, verify=self.verify, proxies=session.proxies)
        content = reply.content  # read the body now, so the connection goes back to the pool at once
        missing = getattr(reply.raw, "length_remaining", None)
        if missing:  # urllib3 1.26 returns a body cut short of its Content-Length as if it were whole
            raise http.client.IncompleteRead(content, missing)
        body = prepared.body.encode("utf-8") if isinstance(prepared.body, str) else prepared.body
        sent = Request(request.method, prepared.url or request.url, dict(prepared.headers), body, request.timeout)
        return Response(status_code=reply.status_code, reason=reply.reason or "", headers=Headers(_header_lines(reply)),
                        content=content, url=reply.url or request.url, request=sent, elapsed=reply.elapsed)

    def close(self) -> None:
        self.session.close()


def _header_lines(reply: Any) -> list[tuple[str, str]]:
    """The reply's header lines as received (urllib3's, a repeated header once per line; requests
    joins them), for -ResponseHeadersVariable."""
    raw = getattr(getattr(reply, "raw", None), "headers", None)
    lines = getattr(raw, "iteritems", None) or getattr(raw, "items", None)
    return [(str(k), str(v)) for k, v in lines()] if callable(lines) else list(reply.headers.items())
