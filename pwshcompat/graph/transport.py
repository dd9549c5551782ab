"""Keep-alive ``http.client`` connections to the Graph endpoint: the client's hot path.

Why not ``requests`` for every request: on urllib3 1.26 each request re-parses and re-escapes its
URL three times (requests' ``prepare_url``, then twice in ``HTTPConnectionPool.urlopen``), a
per-character loop that costs more than everything else pwshcompat does per call
(bench/FINDINGS.md sections 9 and 10). The Graph client builds its request targets already
escaped, so when the target is plainly valid and no proxy applies it is sent as it is, over
connections kept here. Everything else (proxies, odd targets, other origins, sign-in) still goes
through ``requests``.

What goes on the wire is what the ``requests`` path sends: the same target, the same headers
(after the same validity check), ``Content-Length`` as ``requests`` sets it; TLS is verified
against the same CA bundle. Responses come back as ``requests.Response`` objects with the body
read and decoded, so callers cannot tell the paths apart. Connection errors are raised as the
standard library's exceptions, which :func:`pwshcompat.graph.client.map_transport_error` maps.
"""

from __future__ import annotations

import datetime
import http.client
import logging
import os
import re
import ssl
import threading
import time
import urllib.parse
import zlib
from typing import Mapping

import requests
from requests.structures import CaseInsensitiveDict
from urllib3.util.wait import wait_for_read

__all__ = ["ConnectionPool", "pool_for"]

log = logging.getLogger("pwshcompat.graph")

# An escaped request target that urllib3 would send unchanged: RFC 3986 path and query
# characters, percent escapes with upper-case hex (as EscapeDataString writes them), no fragment.
_CLEAN_TARGET = re.compile(r"/(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/?]|%[0-9A-F]{2})*")
# Dot segments, which urllib3 would remove from the path.
_DOT_SEGMENT = re.compile(r"/\.{1,2}(?:[/?]|$)")
_MAX_IDLE = 10  # as requests' default pool_maxsize


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
             timeout: float) -> requests.Response:
        """Send one request and read the whole response; connection errors propagate as raised."""
        for name, value in headers.items():
            requests.utils.check_header_validity((name, value))  # the same refusal as requests
        wire_headers = dict(headers)
        if body is not None:
            wire_headers["Content-Length"] = str(len(body))
        elif method not in ("GET", "HEAD"):
            wire_headers["Content-Length"] = "0"
        started = time.perf_counter()
        conn = self._checkout(timeout)
        try:
            conn.request(method, target, body=body, headers=wire_headers)
            raw = conn.getresponse()
            content = raw.read()
        except BaseException:
            conn.close()
            raise
        if raw.will_close:
            conn.close()
        else:
            self._checkin(conn)
        return _response(method, url, wire_headers, body, raw, content, time.perf_counter() - started)

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
            if conn.sock is not None and not wait_for_read(conn.sock, timeout=0.0):
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


def _ssl_context(verify: bool | str) -> ssl.SSLContext:
    """Certificate checks as requests makes them: its CA bundle, or the one ``verify`` names."""
    if verify is False:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    bundle = requests.certs.where() if verify is True else verify
    if os.path.isdir(bundle):
        return ssl.create_default_context(capath=bundle)
    return ssl.create_default_context(cafile=bundle)


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


def _response(method: str, url: str, headers: Mapping[str, str], body: bytes | None, raw: http.client.HTTPResponse,
              content: bytes, elapsed: float) -> requests.Response:
    response = requests.Response()
    response.status_code = raw.status
    response.reason = raw.reason
    received: dict[str, tuple[str, str]] = {}
    for name, value in raw.msg.items():  # repeated headers are joined, as urllib3 joins them
        key = name.lower()
        received[key] = (received[key][0], f"{received[key][1]}, {value}") if key in received else (name, value)
    response.headers = CaseInsensitiveDict(dict(received.values()))
    response._content = _decoded(content, response.headers.get("Content-Encoding"))
    response._content_consumed = True
    response.encoding = requests.utils.get_encoding_from_headers(response.headers)
    response.url = url
    response.elapsed = datetime.timedelta(seconds=elapsed)
    request = requests.PreparedRequest()
    request.method, request.url, request.body = method, url, body
    request.headers = CaseInsensitiveDict(headers)
    response.request = request
    return response
