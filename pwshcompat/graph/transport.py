"""Keep-alive ``http.client`` connections to the Graph endpoint: the client's hot path.

Why not ``requests`` for every request (bench/FINDINGS.md section 10):

* on urllib3 1.26 each request re-parses and re-escapes its URL three times (requests'
  ``prepare_url``, then twice in ``HTTPConnectionPool.urlopen``), a per-character loop that cost
  more than everything else pwshcompat does per call;
* importing requests (urllib3, chardet, idna, cookiejar) costs a PowerShell session about 10 MiB
  and 50 ms of its cold start, for features a Graph call does not use.

The Graph client builds its request targets already escaped, so when a target is plainly valid
and no proxy applies it is sent as it is, over connections kept here, and ``requests`` is not even
imported. Everything else (proxies, odd targets, other origins, sign-in) still goes through
``requests``. What goes on the wire is what the ``requests`` path sends: the same target and
headers, ``Content-Length`` as requests sets it, TLS verified against the same CA bundle. Replies
come back as :class:`Response`, which has the members of ``requests.Response`` that callers use.
Connection errors are the standard library's; :func:`pwshcompat.graph.client.map_transport_error`
maps them.
"""

from __future__ import annotations

import datetime
import http.client
import json
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
from dataclasses import dataclass
from typing import Any, Iterable, Iterator, Mapping

from .. import cancellation

__all__ = ["ConnectionPool", "Headers", "InvalidHeader", "Response", "SentRequest", "pool_for", "validate_headers"]

log = logging.getLogger("pwshcompat.graph")

# An escaped request target that urllib3 would send unchanged: RFC 3986 path and query
# characters, percent escapes with upper-case hex (as EscapeDataString writes them), no fragment.
_CLEAN_TARGET = re.compile(r"/(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/?]|%[0-9A-F]{2})*")
# Dot segments, which urllib3 would remove from the path.
_DOT_SEGMENT = re.compile(r"/\.{1,2}(?:[/?]|$)")
# Header names and values requests refuses (a line break anywhere, a leading space, a colon in a name).
_VALID_NAME = re.compile(r"[^:\s][^:\r\n]*")
_VALID_VALUE = re.compile(r"(?:\S[^\r\n]*)?")
_MAX_IDLE = 10  # as requests' default pool_maxsize


class InvalidHeader(ValueError):
    """A request header that would break the request's framing; nothing was sent."""


def validate_headers(headers: Mapping[str, Any]) -> None:
    """Refuse what requests refuses, before anything is sent on either path."""
    for name, value in headers.items():
        if not isinstance(name, str) or not isinstance(value, str):
            raise InvalidHeader(f"Header {name!r} must be a string with a string value, not {type(value).__name__}.")
        if not _VALID_NAME.fullmatch(name):
            raise InvalidHeader(f"Header name {name!r} contains a line break, a colon or leading white space.")
        if not _VALID_VALUE.fullmatch(value):
            raise InvalidHeader(f"Header {name!r} has a value with a line break or leading white space: {value!r}.")


class Headers(Mapping[str, str]):
    """Response headers: case-insensitive, in arrival order, a repeated header's values joined
    with ", " (as urllib3 joins them), each name spelled as it first arrived."""

    def __init__(self, pairs: Iterable[tuple[str, str]] = ()) -> None:
        self._store: dict[str, tuple[str, str]] = {}
        #: Every header line as received, a repeated header once per line (-ResponseHeadersVariable).
        self.pairs: list[tuple[str, str]] = list(pairs)
        for name, value in self.pairs:
            key = name.lower()
            seen = self._store.get(key)
            self._store[key] = (seen[0], f"{seen[1]}, {value}") if seen else (name, value)

    def __getitem__(self, name: str) -> str:
        return self._store[name.lower()][1]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._store

    def __iter__(self) -> Iterator[str]:
        return (name for name, _ in self._store.values())

    def __len__(self) -> int:
        return len(self._store)

    def __repr__(self) -> str:
        return repr(dict(self.items()))


@dataclass
class SentRequest:
    """What was sent (for ``-Debug`` output): the members of ``requests.PreparedRequest`` used."""

    method: str
    url: str
    headers: Mapping[str, str]
    body: bytes | None


@dataclass
class Response:
    """A complete reply: the members of ``requests.Response`` the Graph client's callers use."""

    status_code: int
    reason: str
    headers: Headers
    content: bytes
    url: str
    request: SentRequest
    elapsed: datetime.timedelta

    @property
    def encoding(self) -> str | None:
        """The charset the Content-Type names; else what requests assumes for text and JSON."""
        content_type = self.headers.get("Content-Type", "")
        media, _, params = content_type.partition(";")
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key.lower() == "charset" and value:
                return value.strip("'\"")
        media = media.strip().lower()
        if media.startswith("text/"):
            return "ISO-8859-1"
        if media == "application/json":
            return "utf-8"
        return None

    @property
    def text(self) -> str:
        # requests guesses a missing charset with chardet; Graph replies are JSON, so UTF-8.
        return self.content.decode(self.encoding or "utf-8", errors="replace")

    def json(self) -> Any:
        return json.loads(self.content)

    def close(self) -> None:
        """Nothing to release: the body is read and the connection is back in its pool."""


def pool_for(endpoint: str, *, verify: bool | str, proxies: Mapping[str, str]) -> "ConnectionPool | None":
    """A pool for ``endpoint``'s origin, or None when requests must carry the traffic (a proxy
    applies, or the endpoint is not a plain http(s) origin)."""
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
    return ConnectionPool(f"{parts.scheme}://{parts.netloc}", parts.scheme, parts.hostname, port, verify=verify)


class ConnectionPool:
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
        """The request target to send for ``url``, or None when requests should send it instead."""
        if not url.startswith(self.origin):
            return None
        target = url[len(self.origin):]
        if not _CLEAN_TARGET.fullmatch(target) or _DOT_SEGMENT.search(target.split("?", 1)[0]):
            return None
        return target

    def send(self, method: str, url: str, target: str, body: bytes | None, headers: Mapping[str, str],
             timeout: float) -> Response:
        """Send one request (headers already validated) and read the whole reply; connection
        errors propagate as raised."""
        wire_headers = dict(headers)
        if body is not None:
            wire_headers["Content-Length"] = str(len(body))
        elif method not in ("GET", "HEAD"):
            wire_headers["Content-Length"] = "0"  # as requests sets it
        started = time.perf_counter()
        token = cancellation.current()
        conn = self._checkout(timeout)
        # Stopping the command (Ctrl+C) shuts the socket down, which ends a blocked read at once.
        try:
            with token.register(lambda: _abort(conn)):
                if conn.sock is None and token.can_be_cancelled:
                    conn.connect()  # a cancellation while connecting is seen just below
                token.raise_if_cancelled()
                conn.request(method, target, body=body, headers=wire_headers)
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
        return Response(status_code=raw.status, reason=raw.reason, headers=received,
                        content=_decoded(content, received.get("Content-Encoding")), url=url,
                        request=SentRequest(method, url, wire_headers, body),
                        elapsed=datetime.timedelta(seconds=time.perf_counter() - started))

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
