"""HTTP plumbing shared by the emulator's two ports: servers, request framing, limits, error answers.

Every request gets an HTTP answer with a status line, also when it is malformed (issue 19.3):

=============================================  ======  ===================================================
request                                        status  why
=============================================  ======  ===================================================
``GET /`` without an HTTP version (HTTP/0.9)   400     answered as HTTP/1.0, with a status line
``Content-Length`` not a non-negative integer  400     ``abc``, ``-1``, ``1e3``
two ``Content-Length`` values that differ      400     RFC 9110 §8.6: the framing is ambiguous
``Content-Length`` and ``Transfer-Encoding``   400     RFC 9112 §6.1: a request-smuggling shape
POST/PUT/PATCH with neither                    411     as Microsoft's front ends answer (``LengthRequired``)
a transfer coding other than ``chunked``       501     ``gzip``, ``chunked, gzip``; chunked bodies are read
a body over ``max_body_bytes``                 413     refused before it is read; the connection is closed
a body that does not arrive in ``read_timeout``  408    fewer bytes than declared, then silence (Graph's
                                                       front ends answer 408 to a stalled upload too)
a JSON body nested deeper than ``MAX_JSON_DEPTH``  400  checked by :func:`load_json`
an unknown method, an over-long line           501/4xx  ``http.server``'s own checks, in the same envelope
an exception while serving                     500     last resort: the connection still gets an answer
=============================================  ======  ===================================================

Error bodies use the envelope of the port: Graph's ``{"error": {"code", "message", "innerError"}}``
on the Graph port, OAuth's ``{"error", "error_description"}`` on the sign-in port.
"""

from __future__ import annotations

import io
import json
import logging
import socket
import ssl
import struct
import sys
import uuid
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, cast

#: Request bodies above this many bytes are refused with 413 (*unconfirmed*: Graph's own cap for JSON
#: bodies is not documented for presence; 4 MiB is the request limit Graph documents for its uploads).
MAX_BODY_BYTES = 4 * 1024 * 1024
#: JSON nested deeper than this is refused with 400 (no presence body nests deeper than 4).
MAX_JSON_DEPTH = 64
#: How long a connection may stay silent, in seconds: while a request's body is still due (then 408),
#: and between requests on a kept-alive connection (then it is closed without an answer).
READ_TIMEOUT_SECONDS = 60.0
#: After a 413, at most this much of the refused body is read and discarded, with this idle timeout.
_DRAIN_BYTES, _DRAIN_SECONDS = 256 * 1024 * 1024, 2.0
#: The Content-Type Graph sends with JSON answers (graph-presence.md §1.5).
JSON_TYPE = "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8"

log = logging.getLogger("pwshcompat.emulator")

#: The error body of a port: ``(status, code, message) -> JSON object``.
ErrorBody = Callable[[int, str, str], dict[str, Any]]
#: A request handler: ``(handler, method, path, headers, body)``; it answers through :func:`send`.
Serve = Callable[[BaseHTTPRequestHandler, str, str, dict[str, str], bytes], None]


class RequestError(Exception):
    """A request the emulator answers with an error before (or instead of) serving it."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def graph_error_body(status: int, code: str, message: str) -> dict[str, Any]:
    """Graph's error envelope (graph-presence.md §4.1) for errors raised below the Graph API."""
    return {"error": {"code": code, "message": message, "innerError": {
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S"),
        "request-id": str(uuid.uuid4()), "client-request-id": str(uuid.uuid4())}}}


def oauth_error_body(status: int, code: str, message: str) -> dict[str, Any]:
    """The sign-in port's error shape (RFC 6749 §5.2)."""
    return {"error": "invalid_request", "error_description": message}


def load_json(body: bytes) -> Any:
    """Parse a JSON body, refusing nesting deeper than ``MAX_JSON_DEPTH``.

    Raises ``ValueError`` with a message fit for a 400 answer (malformed JSON, bad UTF-8, too deep).
    """
    try:
        value = json.loads(body)
    except RecursionError:
        raise ValueError(f"The JSON payload is nested more than {MAX_JSON_DEPTH} levels deep.") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValueError(f"The payload is not valid JSON: {exc}") from None
    if json_depth(value) > MAX_JSON_DEPTH:
        raise ValueError(f"The JSON payload is nested more than {MAX_JSON_DEPTH} levels deep.")
    return value


def json_depth(value: Any) -> int:
    """How deeply ``value`` nests objects and arrays (a scalar is 0); iterative, so any depth is safe."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in children)
    return deepest


class Server(ThreadingHTTPServer):
    """One port of the emulator; ``max_body_bytes``, ``read_timeout`` and ``error_body`` are read by
    its handlers."""

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128    # the default 5 drops connections when parallel clients start together

    def __init__(self, address: tuple[str, int], serve: Serve, error_body: ErrorBody) -> None:
        self.max_body_bytes = MAX_BODY_BYTES
        self.read_timeout = READ_TIMEOUT_SECONDS
        self.error_body = error_body
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, _handler(serve))

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients that hang up (timeouts, resets) are normal here; anything else is still reported."""
        if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError, ssl.SSLError)):
            super().handle_error(request, client_address)


class TlsServer(Server):
    """TLS with the handshake in the request's own thread, so one slow client cannot stall accept()."""

    def __init__(self, address: tuple[str, int], serve: Serve, error_body: ErrorBody,
                 context: ssl.SSLContext) -> None:
        super().__init__(address, serve, error_body)
        self.context = context

    def get_request(self) -> tuple[socket.socket, Any]:
        sock, address = super().get_request()
        return self.context.wrap_socket(sock, server_side=True, do_handshake_on_connect=False), address

    def finish_request(self, request: Any, client_address: Any) -> None:
        try:
            request.settimeout(30)
            request.do_handshake()
        except (ssl.SSLError, OSError):
            return
        super().finish_request(request, client_address)


def _handler(serve: Serve) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        timeout = READ_TIMEOUT_SECONDS   # setup() applies the server's read_timeout
        server: Server
        raw_requestline: bytes
        answered = False

        def setup(self) -> None:
            super().setup()
            self.connection.settimeout(self.server.read_timeout)
            # Headers and body go out in separate writes; without this, Nagle + delayed ACK add ~40 ms.
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def parse_request(self) -> bool:
            self.answered = False
            self.requestline = str(self.raw_requestline, "iso-8859-1").rstrip("\r\n")
            words = self.requestline.split()
            if len(words) == 2:
                # HTTP/0.9 ("GET /"): http.server would answer without a status line; answer as 1.0 instead.
                self.command, self.path = words
                self.request_version = "HTTP/1.0"
                self.close_connection = True
                self.send_error(400, "The request line has no HTTP version; HTTP/0.9 is not supported.")
                return False
            return super().parse_request()

        def handle_expect_100(self) -> bool:
            """Say "100 Continue" only for a body the emulator will read; a client declaring a body over
            the cap gets the 413 before it sends it."""
            length = (self.headers.get("Content-Length") or "").strip()
            if length.isascii() and length.isdigit() and (len(length) > 18 or int(length) > self.server.max_body_bytes):
                return True
            return super().handle_expect_100()

        def _serve(self) -> None:
            try:
                body = self._read_body()
            except RequestError as exc:
                self.close_connection = True   # the rest of the body (if any) is not read: the framing is lost
                self.answer_error(exc.status, exc.code, exc.message)
                if exc.status == 413:
                    self._drain()
                return
            headers = {k.lower(): v for k, v in self.headers.items()}
            try:
                serve(self, self.command, self.path, headers, body)
            except (ConnectionError, TimeoutError, ssl.SSLError):
                raise
            except Exception as exc:   # a bug must not leave the client without an answer
                log.exception("emulator: %s %s failed", self.command, self.path)
                if self.answered:
                    self.close_connection = True
                    return
                self.close_connection = True
                self.answer_error(500, "InternalServerError",
                                  f"The emulator failed on this request ({type(exc).__name__}); this is a bug.")

        do_GET = do_POST = do_PATCH = do_DELETE = do_PUT = _serve

        def _read_body(self) -> bytes:
            lengths = [v.strip() for value in self.headers.get_all("Content-Length") or [] for v in value.split(",")]
            codings = [c.strip().lower() for value in self.headers.get_all("Transfer-Encoding") or []
                       for c in value.split(",") if c.strip()]
            if codings:
                if lengths:
                    raise RequestError(400, "BadRequest", "A request must not carry both Content-Length and "
                                       "Transfer-Encoding.")
                if codings != ["chunked"]:
                    raise RequestError(501, "NotImplemented", f"Transfer-Encoding '{', '.join(codings)}' is not "
                                       "supported; send the body with Content-Length or chunked.")
                try:
                    return self._read_chunked()
                except TimeoutError:
                    raise self._timed_out("part of the chunked body") from None
            if not lengths:
                if self.command in ("POST", "PUT", "PATCH"):
                    raise RequestError(411, "LengthRequired", f"A {self.command} request needs a Content-Length "
                                       "header (Content-Length: 0 for no body) or a chunked body.")
                return b""
            if len(set(lengths)) != 1:
                raise RequestError(400, "BadRequest", f"Conflicting Content-Length values: {', '.join(lengths)}.")
            text = lengths[0]
            if not (text.isascii() and text.isdigit()):
                raise RequestError(400, "BadRequest", f"Content-Length must be a non-negative integer, not '{text}'.")
            if len(text) > 18 or int(text) > self.server.max_body_bytes:
                raise RequestError(413, "RequestEntityTooLarge", f"The request body ({text} bytes) is larger than "
                                   f"the {self.server.max_body_bytes} bytes this emulator accepts.")
            length = int(text)
            parts, received = [], 0
            while received < length:
                try:
                    part = cast(io.BufferedReader, self.rfile).read1(min(length - received, 1 << 16))
                except TimeoutError:
                    raise self._timed_out(f"{received} of the {length} bytes declared by Content-Length") from None
                if not part:
                    raise RequestError(400, "BadRequest", f"The body ended after {received} of {length} bytes.")
                parts.append(part)
                received += len(part)
            return b"".join(parts)

        def _timed_out(self, what: str) -> RequestError:
            return RequestError(408, "RequestTimeout", f"The request body did not arrive: {what} came before "
                                f"{self.server.read_timeout:g} s without data. Send the whole body, or the "
                                "Content-Length that matches it.")

        def _drain(self) -> None:
            """After a 413: let a client that is still sending finish (bytes discarded, at most
            ``_DRAIN_BYTES``, for at most ``_DRAIN_SECONDS`` of silence), so it can read the answer
            instead of getting a connection reset."""
            try:
                self.wfile.flush()
                self.connection.shutdown(socket.SHUT_WR)
                self.connection.settimeout(_DRAIN_SECONDS)
                drained = 0
                while drained < _DRAIN_BYTES:
                    chunk = self.connection.recv(1 << 16)
                    if not chunk:
                        break
                    drained += len(chunk)
            except OSError:
                pass

        def _read_chunked(self) -> bytes:
            """A chunked body (RFC 9112 §7.1), within the same size cap; trailers are read and dropped."""
            chunks, total = [], 0
            while True:
                line = self.rfile.readline(1026)
                size_text = line.split(b";", 1)[0].strip()
                try:
                    if not line.endswith(b"\n") or not size_text or size_text.startswith((b"-", b"+")):
                        raise ValueError
                    size = int(size_text, 16)
                except ValueError:
                    raise RequestError(400, "BadRequest", "Malformed chunked body: a chunk size line is not "
                                       "hexadecimal.") from None
                if size == 0:
                    break
                total += size
                if total > self.server.max_body_bytes:
                    raise RequestError(413, "RequestEntityTooLarge", f"The chunked request body is larger than the "
                                       f"{self.server.max_body_bytes} bytes this emulator accepts.")
                data = self.rfile.read(size)
                if len(data) != size or self.rfile.readline(3) not in (b"\r\n", b"\n"):
                    raise RequestError(400, "BadRequest", "Malformed chunked body: a chunk is shorter than its size.")
                chunks.append(data)
            for _ in range(100):   # trailer fields, up to the empty line
                if self.rfile.readline(65537) in (b"\r\n", b"\n", b""):
                    break
            else:
                raise RequestError(400, "BadRequest", "Malformed chunked body: too many trailer lines.")
            return b"".join(chunks)

        def answer_error(self, status: int, code: str, message: str) -> None:
            """An error in this port's envelope (used for framing errors and by ``send_error``)."""
            send(self, status, self.server.error_body(status, code, message),
                 {"Connection": "close"} if self.close_connection else {})

        def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
            """``http.server``'s own errors (bad request line, unknown method, 414, 431) in our envelope."""
            self.close_connection = True
            if self.request_version == "HTTP/0.9":   # never answer without a status line
                self.request_version = "HTTP/1.0"
            names = {400: "BadRequest", 404: "NotFound", 414: "RequestUriTooLong", 431: "RequestHeaderFieldsTooLarge",
                     501: "NotImplemented", 505: "HttpVersionNotSupported"}
            self.answer_error(code, names.get(code, "BadRequest"), message or self.responses.get(code, ("",))[0])

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


def send(handler: BaseHTTPRequestHandler, status: int, payload: Any, headers: dict[str, str],
         content_type: str = JSON_TYPE) -> None:
    """Answer with ``payload`` as JSON (``bytes`` go out as they are; None: no body)."""
    if isinstance(payload, bytes):
        data = payload
    else:
        data = json.dumps(payload).encode() if payload is not None else b""
    handler.answered = True  # type: ignore[attr-defined]
    handler.send_response(status)
    for name, value in headers.items():
        if name.lower() != "content-type":
            handler.send_header(name, value)
    if data:
        handler.send_header("Content-Type", content_type)
    handler.send_header("Content-Length", str(len(data)))
    handler.end_headers()
    if handler.command != "HEAD":
        handler.wfile.write(data)


def reset(handler: BaseHTTPRequestHandler) -> None:
    """Drop the connection with a TCP RST (SO_LINGER 0), as a failing load balancer would."""
    handler.close_connection = True
    handler.answered = True  # type: ignore[attr-defined]
    try:
        handler.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        handler.connection.close()
    except OSError:
        pass


def url(scheme: str, httpd: ThreadingHTTPServer) -> str:
    """The URL clients use: a wildcard bind address (0.0.0.0, ::) is reached through loopback."""
    host, port = httpd.server_address[:2]
    host = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(str(host), str(host))
    return f"{scheme}://[{host}]:{port}" if ":" in host else f"{scheme}://{host}:{port}"
