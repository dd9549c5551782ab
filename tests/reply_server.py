"""A recording HTTP server on 127.0.0.1 that answers each request with the reply its ``x-reply``
header names: what a gateway, a proxy or a broken service sends instead of Graph's JSON errors.

    with ReplyServer() as server:          # server.url, server.requests (method, path, headers, body)
        ...  Add-MgEnvironment -GraphEndpoint $server.url; -Headers @{ 'x-reply' = 'html' }

Replies (status, content type, body): see :data:`REPLIES`; a request without ``x-reply`` gets 204.
"""

from __future__ import annotations

import http.server
import json
import threading
from dataclasses import dataclass
from typing import Any

GRAPH_ERROR = json.dumps({"error": {"code": "itemNotFound", "message": "No presence for this id.",
                                    "innerError": {"date": "2024-01-02T03:04:05", "request-id": "r-1"}}})

REPLIES: dict[str, tuple[int, str | None, bytes]] = {
    "graph": (404, "application/json", GRAPH_ERROR.encode()),
    "text": (400, "text/plain", b"Bad request from the gateway"),
    "html": (502, "text/html", b"<html><body><h1>502 Bad Gateway</h1></body></html>"),
    "number": (500, "text/plain", b"500 Internal"),
    "empty": (400, None, b""),
    "empty-server": (500, None, b""),
    "other-json": (400, "application/json", b'{"status": "failed"}'),
    "other-json-server": (502, "application/json", b'{"status": "failed"}'),
    # A response header given twice, and content headers (item 13.20).
    "repeated": (200, "application/json", b'{"value": []}'),
}


@dataclass(frozen=True)
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


class ReplyServer:
    def __init__(self) -> None:
        self.requests: list[Received] = []
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                headers = {k.lower(): v for k, v in self.headers.items()}
                server.requests.append(Received(self.command, self.path, headers, body))
                status, content_type, reply = REPLIES.get(headers.get("x-reply", ""), (204, None, b""))
                self.send_response(status)
                if content_type:
                    self.send_header("Content-Type", content_type)
                if headers.get("x-reply") == "repeated":
                    self.send_header("X-Multi", "one")
                    self.send_header("X-Multi", "two")
                    self.send_header("Set-Cookie", "a=1")
                    self.send_header("Set-Cookie", "b=2")
                    self.send_header("request-id", "r-2")
                    self.send_header("Expires", "-1")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            do_GET = do_POST = do_PATCH = do_DELETE = do_PUT = _answer

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> "ReplyServer":
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._server.shutdown()
        self._server.server_close()
