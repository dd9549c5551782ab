"""The emulator's HTTP server: a threading server on loopback that records every request."""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

_SET_PREFERRED = re.compile(
    r"^/(beta|v1\.0)/communications/presences/([^/]+)/(?:microsoft\.graph\.)?setUserPreferredPresence$"
)


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body or b"null")


class Emulator:
    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.requests: list[RecordedRequest] = []
        self.presences: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer((host, port), _handler_for(self))
        self._httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def graph_url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def issue_token(self, **claims: Any) -> str:
        """A bearer token this emulator accepts (for -AccessToken / AccessToken= in tests)."""
        import secrets

        return "emu." + secrets.token_urlsafe(16)

    def start(self) -> "Emulator":
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="pwshcompat-emulator", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> "Emulator":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _handle(self, req: RecordedRequest) -> tuple[int, dict[str, Any] | None]:
        with self._lock:
            self.requests.append(req)
        if not req.headers.get("authorization", "").startswith("Bearer "):
            return 401, _error("InvalidAuthenticationToken", "Access token is empty.")
        match = _SET_PREFERRED.match(req.path)
        if req.method == "POST" and match:
            with self._lock:
                self.presences[match.group(2)] = req.json()
            return 200, None
        return 404, _error("UnknownError", f"No route for {req.method} {req.path}")


def _error(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}


def _handler_for(emulator: Emulator) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            headers = {k.lower(): v for k, v in self.headers.items()}
            status, payload = emulator._handle(RecordedRequest(self.command, self.path, headers, body))
            data = json.dumps(payload).encode() if payload is not None else b""
            self.send_response(status)
            if data:
                self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PATCH = do_DELETE = do_PUT = _serve

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler
