"""Keep-alive ``http.client`` connections to the Graph endpoint: the client's hot path.

Why not ``requests`` for every request (bench/FINDINGS.md section 10):

* on urllib3 1.26 each request re-parses and re-escapes its URL three times (requests'
  ``prepare_url``, then twice in ``HTTPConnectionPool.urlopen``), a per-character loop that cost
  more than everything else pwshcompat does per call;
* importing requests (urllib3, chardet, idna, cookiejar) costs a PowerShell session about 10 MiB
  and 50 ms of its cold start, for features a Graph call does not use.

The Graph client builds its request targets already escaped, so when a target is plainly valid
and no proxy applies it is sent as it is, over connections kept here, and ``requests`` is not even
imported. What goes on the wire is what the ``requests`` path sends: the same target and headers,
``Content-Length`` as requests sets it, TLS verified against the same CA bundle.

Stopping: a command the host stops (Ctrl+C, :mod:`pwshcompat.cancellation`) shuts the request's
socket down and raises ``CommandStoppedError``, which is not a transport failure.

Errors: the standard library's exceptions (``OSError`` and its socket, TLS and timeout
subclasses, ``http.client.HTTPException``, ``zlib.error``, and the ``ValueError`` http.client
raises for a request it cannot write) are mapped to :class:`~.transport.TransportError` in
:func:`map_error`, the one boundary of this transport.
"""

from __future__ import annotations

import datetime
import http.client
import logging
import os
import re
import select
import socket
import ssl
import threading
import time
import urllib.parse
import zlib
from typing import Any, Mapping

from .. import cancellation
from . import transport
from .transport import Headers, Request, Response, TransportError

__all__ = ["FOREIGN_EXCEPTIONS", "KeepAliveTransport", "for_endpoint", "map_error"]

log = logging.getLogger("pwshcompat.graph")

# An escaped request target that urllib3 would send unchanged: RFC 3986 path and query
# characters, percent escapes with upper-case hex (as EscapeDataString writes them), no fragment.
_CLEAN_TARGET = re.compile(r"/(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/?]|%[0-9A-F]{2})*")
# Dot segments, which urllib3 would remove from the path.
_DOT_SEGMENT = re.compile(r"/\.{1,2}(?:[/?]|$)")
_MAX_IDLE = 32  # idle connections kept (requests keeps 10; 16 runspaces would churn through them)

#: What this transport's boundary catches: everything the standard library raises while
#: connecting, writing a request, reading a reply or decoding its body.
FOREIGN_EXCEPTIONS: tuple[type[BaseException], ...] = (OSError, http.client.HTTPException, zlib.error, ValueError)


def map_error(exc: BaseException, request: Request) -> TransportError | None:
    """The :class:`TransportError` for a standard-library exception, or None for anything else
    (a bug, which must not pass for a network failure)."""
    if isinstance(exc, TimeoutError):  # socket.timeout is TimeoutError since Python 3.10
        return transport.timeout_error(request)
    if isinstance(exc, (ssl.SSLError, ssl.CertificateError)):
        return transport.tls_error(request, exc)
    if isinstance(exc, (OSError, http.client.HTTPException)):
        return transport.connection_error(request, str(exc), refused=isinstance(exc, ConnectionRefusedError),
                                          unresolved=isinstance(exc, socket.gaierror))
    if isinstance(exc, (zlib.error, ValueError)):  # an undecodable body; a request http.client cannot write
        return transport.send_error()
    return None


def for_endpoint(endpoint: str, *, verify: bool | str, proxies: Mapping[str, str]) -> "KeepAliveTransport | None":
    """A keep-alive transport for ``endpoint``'s origin, or None when requests must carry the
    traffic (a proxy applies, or the endpoint is not a plain http(s) origin)."""
    parts = urllib.parse.urlsplit(endpoint)
    if parts.scheme not in ("http", "https") or not parts.hostname or not parts.hostname.isascii():
        return None
    if parts.username or parts.password or not endpoint.startswith(f"{parts.scheme}://{parts.netloc}"):
        return None
    if proxies.get(parts.scheme) or proxies.get("all") or proxies.get(f"{parts.scheme}://{parts.hostname}"):
        return None
    try:
        port = parts.port
    except ValueError:
        return None
    return KeepAliveTransport(f"{parts.scheme}://{parts.netloc}", parts.scheme, parts.hostname, port, verify=verify)


class KeepAliveTransport:
    """Idle keep-alive connections to one origin, newest first; safe to share between threads."""

    def __init__(self, origin: str, scheme: str, host: str, port: int | None, *, verify: bool | str = True) -> None:
        self.origin = origin  # "scheme://netloc" as the endpoint spells it: URLs are matched on it
        self.scheme, self.host = scheme, host
        self.port = port or (443 if scheme == "https" else 80)
        self._verify = verify
        self._ssl: ssl.SSLContext | None = None
        self._idle: list[http.client.HTTPConnection] = []
        self._lock = threading.Lock()
        self.connections_opened = 0  # for logs and tests: how well keep-alive works

    def target_of(self, url: str) -> str | None:
        """The request target to send for ``url``, or None when this transport cannot send it
        as it is (another origin, a target urllib3 would rewrite)."""
        if not url.startswith(self.origin):
            return None
        target = url[len(self.origin):]
        if not _CLEAN_TARGET.fullmatch(target) or _DOT_SEGMENT.search(target.split("?", 1)[0]):
            return None
        return target

    def can_send(self, url: str) -> bool:
        return self.target_of(url) is not None

    def handle_request(self, request: Request) -> Response:
        """Send one request (headers already validated) and read the whole reply."""
        target = self.target_of(request.url)
        if target is None:
            raise transport.invalid_uri(request)
        try:
            return self._send(request, target)
        except FOREIGN_EXCEPTIONS as exc:
            mapped = map_error(exc, request)
            if mapped is None:
                raise
            raise mapped from exc

    def _send(self, request: Request, target: str) -> Response:
        wire_headers = dict(request.headers)
        if request.body is not None:
            wire_headers["Content-Length"] = str(len(request.body))
        elif request.method not in ("GET", "HEAD"):
            wire_headers["Content-Length"] = "0"  # as requests sets it
        started = time.perf_counter()
        token = cancellation.current()
        conn = self._checkout(request.timeout)
        # Stopping the command (Ctrl+C) shuts the socket down, which ends a blocked read at once.
        try:
            with token.register(lambda: _abort(conn)):
                if conn.sock is None and token.can_be_cancelled:
                    conn.connect()  # a cancellation while connecting is seen just below
                token.raise_if_cancelled()
                conn.request(request.method, target, body=request.body, headers=wire_headers)
                raw = conn.getresponse()
                content = raw.read()
        except BaseException as exc:
            conn.close()
            if token.cancelled and not isinstance(exc, cancellation.CommandStoppedError):
                raise cancellation.CommandStoppedError() from exc
            raise
        if raw.will_close:
            conn.close()
        else:
            self._checkin(conn)
        received = Headers(raw.msg.items())
        sent = Request(request.method, request.url, wire_headers, request.body, request.timeout)
        return Response(status_code=raw.status, reason=raw.reason, headers=received,
                        content=_decoded(content, received.get("Content-Encoding")), url=request.url,
                        request=sent, elapsed=datetime.timedelta(seconds=time.perf_counter() - started))

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()

    def _checkout(self, timeout: float) -> http.client.HTTPConnection:
        while True:
            with self._lock:
                conn = self._idle.pop() if self._idle else None
            if conn is None:
                return self._connection(timeout)
            # A connection the server closed while idle reads as ready (EOF): drop it, as urllib3 does.
            if conn.sock is not None and not _readable(conn.sock):
                conn.timeout = timeout
                conn.sock.settimeout(timeout)
                return conn
            conn.close()

    def _checkin(self, conn: http.client.HTTPConnection) -> None:
        with self._lock:
            if len(self._idle) < _MAX_IDLE:
                self._idle.append(conn)
                return
        conn.close()

    def _connection(self, timeout: float) -> http.client.HTTPConnection:
        with self._lock:
            self.connections_opened += 1
            number = self.connections_opened
        log.debug("Opening connection %d to %s", number, self.origin)
        if self.scheme == "http":
            return http.client.HTTPConnection(self.host, self.port, timeout=timeout)
        if self._ssl is None:
            self._ssl = _ssl_context(self._verify)
        return http.client.HTTPSConnection(self.host, self.port, timeout=timeout, context=self._ssl)


def _abort(conn: http.client.HTTPConnection) -> None:
    """End whatever ``conn`` is blocked on (another thread's call, on cancellation)."""
    sock = conn.sock
    if sock is not None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass  # already closed


def _readable(sock: Any) -> bool:
    """True when a read would not block: on an idle keep-alive connection, the server hung up."""
    if hasattr(select, "poll"):  # no limit on descriptor numbers, unlike select()
        poller = select.poll()
        poller.register(sock, select.POLLIN)
        return bool(poller.poll(0))
    return bool(select.select([sock], [], [], 0)[0])  # Windows


def _ssl_context(verify: bool | str) -> ssl.SSLContext:
    """Certificate checks as requests makes them: certifi's CA bundle, or the one ``verify`` names."""
    if verify is False:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    if verify is True:
        try:
            import certifi  # what requests verifies against
        except ImportError:
            return ssl.create_default_context()
        verify = certifi.where()
    if os.path.isdir(verify):
        return ssl.create_default_context(capath=verify)
    return ssl.create_default_context(cafile=verify)


def _decoded(content: bytes, encoding: str | None) -> bytes:
    """The body with its Content-Encoding removed, as urllib3 decodes gzip and deflate."""
    if not content or not encoding:
        return content
    encoding = encoding.strip().lower()
    if encoding in ("gzip", "x-gzip"):
        return zlib.decompress(content, 16 + zlib.MAX_WBITS)
    if encoding == "deflate":
        try:
            return zlib.decompress(content)
        except zlib.error:
            return zlib.decompress(content, -zlib.MAX_WBITS)  # raw deflate, as some servers send
    return content
