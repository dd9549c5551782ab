"""The transport interface: how the Graph client hands one HTTP request to whatever sends it.

Shaped like httpx's transports: a :class:`Transport` has ``handle_request(request) -> Response``
and ``close()``; it is synchronous and sends exactly one request (no redirects, retries, auth or
pacing: those are the client's). Every transport returns the same :class:`Response` and raises
only :class:`TransportError`: each maps its own library's exceptions at its own boundary, into the
.NET exception type and message the original module reports for the same failure.

Transports in this package:

* :class:`~pwshcompat.graph.keepalive.KeepAliveTransport`: the standard library's ``http.client``
  over connections kept per origin; the hot path (bench/FINDINGS.md sections 9 and 10);
* :class:`~pwshcompat.graph.requests_transport.RequestsTransport`: ``requests``, for proxies,
  unusual targets and other origins;
* :class:`DefaultTransport`: what a :class:`~pwshcompat.graph.client.GraphClient` uses unless it
  is given another: the keep-alive path where it can carry a request, ``requests`` otherwise.

A caller can give the client any object with these two methods (``GraphClient(ctx,
transport=...)``), for example one that sends through .NET's ``HttpClient``.
"""

from __future__ import annotations

import datetime
import json
import re
import threading
import urllib.parse
from dataclasses import dataclass, field
from typing import Any, Iterable, Iterator, Mapping, Protocol, runtime_checkable

__all__ = [
    "DefaultTransport",
    "Headers",
    "Request",
    "Response",
    "Transport",
    "TransportError",
    "validate_headers",
]

# Header names and values that would break a request's framing (a line break anywhere, a leading
# space, a colon in a name): refused before anything is sent, whatever the transport.
_VALID_NAME = re.compile(r"[^:\s][^:\r\n]*")
_VALID_VALUE = re.compile(r"(?:\S[^\r\n]*)?")


class TransportError(Exception):
    """A request that got no HTTP response.

    ``exception_type`` is the .NET exception the original module reports for the same failure
    (``System.Net.Http.HttpRequestException``, ``System.FormatException``, ...) and ``str(exc)``
    its message; the foreign exception, if any, is ``__cause__``.
    """

    def __init__(self, message: str, exception_type: str = "System.Net.Http.HttpRequestException") -> None:
        super().__init__(message)
        self.message = message
        self.exception_type = exception_type


@dataclass
class Request:
    """One request as a transport sends it.

    ``url``: absolute and already escaped; ``headers``: name -> value, one entry per name (the
    client merged them case-insensitively); ``body``: the bytes to send, or None; ``timeout``:
    seconds for connecting and for each read.
    """

    method: str
    url: str
    headers: dict[str, str]
    body: bytes | None = None
    timeout: float = 300.0


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
class Response:
    """A complete reply (the body is read, the connection released).

    It has the members of ``requests.Response`` that the client's callers use: ``status_code``,
    ``reason``, ``headers``, ``content``, ``text``, ``encoding``, ``json()``, ``url``, ``request``
    (the :class:`Request` as sent, with the headers the transport added) and ``elapsed``.
    """

    status_code: int
    reason: str
    headers: Headers
    content: bytes
    url: str
    request: Request
    elapsed: datetime.timedelta = field(default_factory=datetime.timedelta)

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


@runtime_checkable
class Transport(Protocol):
    """Sends one request and returns its complete response; raises only :class:`TransportError`."""

    def handle_request(self, request: Request) -> Response: ...

    def close(self) -> None: ...


def validate_headers(headers: Mapping[str, Any]) -> None:
    """The rules every request's headers must meet before any transport sends them.

    Raises :class:`TransportError`: ``System.FormatException`` for a name or value that would
    break the request's framing (as requests refuses them), and ``System.Net.Http.HttpRequestException``
    "Request headers must contain only ASCII characters." for a non-ASCII value, as .NET's
    ``SocketsHttpHandler`` refuses it when sending (fact sheet original-observed.md, Requests).
    """
    for name, value in headers.items():
        if not isinstance(name, str) or not isinstance(value, str):
            raise TransportError(f"The format of a request header is invalid: header {name!r} must be a string "
                                 f"with a string value, not {type(value).__name__}.", "System.FormatException")
        if not _VALID_NAME.fullmatch(name):
            raise TransportError(f"The format of a request header is invalid: header name {name!r} contains a line "
                                 "break, a colon or leading white space.", "System.FormatException")
        if not _VALID_VALUE.fullmatch(value):
            raise TransportError(f"The format of a request header is invalid: header {name!r} has a value with a line "
                                 f"break or leading white space: {value!r}.", "System.FormatException")
        if not value.isascii() or not name.isascii():
            raise TransportError("Request headers must contain only ASCII characters.")


def where(url: str) -> str:
    """``host:port`` of ``url``, as .NET's socket errors name the remote end."""
    parts = urllib.parse.urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        port = None
    return f"{parts.hostname}:{port or (443 if parts.scheme == 'https' else 80)}"


def timeout_error(request: Request) -> TransportError:
    """HttpClient.Timeout elapsing surfaces as TaskCanceledException with this text."""
    return TransportError(f"The request was canceled due to the configured HttpClient.Timeout of "
                          f"{request.timeout:g} seconds elapsing.", "System.Threading.Tasks.TaskCanceledException")


def tls_error(request: Request, exc: BaseException) -> TransportError:
    """.NET's text; when the server is a pwshcompat emulator whose CA is not trusted, a sentence
    naming the CA file to trust (``pwshcompat.emulator.tls.untrusted_emulator_hint``)."""
    try:  # lazy, and only present with the emulator's dependencies
        from ..emulator.tls import untrusted_emulator_hint

        hint = untrusted_emulator_hint(request.url, exc)
    except ImportError:
        hint = None
    return TransportError("The SSL connection could not be established, see inner exception." + (f" {hint}" if hint else ""))


def connection_error(request: Request, text: str, *, refused: bool = False, unresolved: bool = False) -> TransportError:
    """A failure to connect or to exchange a request and reply, named as .NET's socket errors."""
    lowered = text.lower()
    if refused or "refused" in lowered:
        reason = "Connection refused"
    elif unresolved or any(s in text for s in ("Name or service not known", "nodename nor servname", "getaddrinfo")):
        reason = "Name or service not known"
    else:  # reset, aborted, remote end closed, malformed reply
        reason = "An error occurred while sending the request"
    return TransportError(f"{reason} ({where(request.url)})")


def invalid_uri(request: Request) -> TransportError:
    return TransportError(f"Invalid URI: {request.url}", "System.UriFormatException")


def send_error() -> TransportError:
    """Anything else that kept a request from getting a usable reply (an undecodable body, ...)."""
    return TransportError("An error occurred while sending the request.")


class DefaultTransport:
    """The keep-alive transport for requests it can carry, ``requests`` for the rest.

    The keep-alive path takes a request when its URL is on the endpoint's origin, its target is
    plainly valid (urllib3 would send it unchanged) and no proxy applies; ``requests`` is imported
    only when some request needs it. Both send the same bytes and raise the same errors
    (tests/reliability/test_keep_alive.py holds them to that).
    """

    def __init__(self, endpoint: str, *, verify: bool | str = True, proxies: Mapping[str, str] | None = None) -> None:
        from . import keepalive

        self.endpoint = endpoint
        self.verify = verify
        self.proxies = dict(proxies or {})
        self.keep_alive: keepalive.KeepAliveTransport | None = keepalive.for_endpoint(
            endpoint, verify=verify, proxies=self.proxies)
        self._fallback: Transport | None = None
        self._lock = threading.Lock()

    @property
    def fallback(self) -> Transport:
        """The ``requests`` transport, made on first use."""
        if self._fallback is None:
            with self._lock:
                if self._fallback is None:
                    from .requests_transport import RequestsTransport

                    self._fallback = RequestsTransport(self.endpoint, verify=self.verify)
        return self._fallback

    def handle_request(self, request: Request) -> Response:
        if self.keep_alive is not None and self.keep_alive.can_send(request.url):
            return self.keep_alive.handle_request(request)
        return self.fallback.handle_request(request)

    def close(self) -> None:
        if self.keep_alive is not None:
            self.keep_alive.close()
        if self._fallback is not None:
            self._fallback.close()
