"""A scripted https sign-in endpoint on 127.0.0.1 for error-path tests.

It answers OpenID discovery for any tenant like the emulator does, and the token endpoint with
whatever the test sets in ``token_answer`` (status, content type, body): a real server that sends
real bytes, for answers the emulator never gives (non-JSON, an error text that quotes a secret).
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from pwshcompat.emulator.tls import tls_files


class SignInServer:
    def __init__(self) -> None:
        self.token_answer: tuple[int, str, bytes] = (200, "application/json", b"{}")
        self.discovery_answer: tuple[int, str, bytes] | None = None   # None: a well-formed document
        self.paths: list[str] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _answer(self, status: int, content_type: str, body: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:
                server.paths.append("GET " + self.path)
                if server.discovery_answer is not None:
                    self._answer(*server.discovery_answer)
                    return
                tenant = self.path.strip("/").split("/")[0]
                root = f"{server.url}/{tenant}"
                self._answer(200, "application/json", json.dumps({
                    "issuer": f"{root}/v2.0", "authorization_endpoint": f"{root}/oauth2/v2.0/authorize",
                    "token_endpoint": f"{root}/oauth2/v2.0/token",
                    "device_authorization_endpoint": f"{root}/oauth2/v2.0/devicecode",
                    "jwks_uri": f"{root}/discovery/v2.0/keys"}).encode())

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                server.paths.append("POST " + self.path)
                self._answer(*server.token_answer)

            def log_message(self, *args: Any) -> None:
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.socket = tls_files().server_context().wrap_socket(self._httpd.socket, server_side=True)
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.02,), daemon=True)

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self._httpd.server_address[1]}"

    @property
    def ca_bundle(self) -> str:
        return str(tls_files().ca_bundle)

    def __enter__(self) -> "SignInServer":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
