"""Managed identity token endpoints on loopback, minting tokens from an emulator's tenant.

A server of its own beside the emulator (the emulator's ports serve Graph and sign-in only). It
serves the two protocols ``Connect-MgGraph -Identity`` speaks (see :mod:`pwshcompat.auth.managed_identity`):

* IMDS: ``GET /metadata/identity/oauth2/token?api-version=2018-02-01&resource=...[&client_id=...]``
  with the header ``Metadata: true``; point ``AZURE_POD_IDENTITY_AUTHORITY_HOST`` at :attr:`url`.
* App Service: ``GET /msi/token?api-version=2019-08-01&resource=...`` with ``X-IDENTITY-HEADER``;
  set ``IDENTITY_ENDPOINT`` to :attr:`app_service_endpoint` and ``IDENTITY_HEADER`` to :attr:`identity_header`.

    with ManagedIdentityEndpoint(emu, user_assigned={"client-id-1"}) as mi:
        ...

Tokens are app tokens with the presence roles; the system-assigned identity's client id is
:data:`SYSTEM_ASSIGNED_CLIENT_ID`. An unknown user-assigned client id gets 400, like Azure.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any, Iterable
from urllib.parse import parse_qs, urlsplit

from . import wire
from .identity import PRESENCE_ROLES

if TYPE_CHECKING:
    from .server import Emulator

SYSTEM_ASSIGNED_CLIENT_ID = "5a3f9c1e-7d2b-4e8a-b6c0-91d4e2f7a3b5"
LIFETIME_SECONDS = 3600


class ManagedIdentityEndpoint:
    """A loopback server answering managed identity token requests for ``emulator``'s tenant."""

    def __init__(self, emulator: "Emulator", *, user_assigned: Iterable[str] = ()) -> None:
        self.emulator = emulator
        self.user_assigned = set(user_assigned)
        self.identity_header = secrets.token_hex(16)
        self.requests: list[tuple[str, dict[str, str], dict[str, list[str]]]] = []
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._httpd.daemon_threads = True

    @property
    def url(self) -> str:
        return wire.url("http", self._httpd)

    @property
    def app_service_endpoint(self) -> str:
        return f"{self.url}/msi/token"

    def start(self) -> "ManagedIdentityEndpoint":
        threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> "ManagedIdentityEndpoint":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def answer(self, path: str, headers: dict[str, str]) -> tuple[int, dict[str, Any]]:
        parts = urlsplit(path)
        query = parse_qs(parts.query)
        self.requests.append((parts.path, headers, query))
        if parts.path == "/metadata/identity/oauth2/token":
            if headers.get("metadata", "").lower() != "true":
                return 400, {"error": "invalid_request", "error_description": "Required metadata header not specified"}
            version = "2018-02-01"
        elif parts.path == "/msi/token":
            if headers.get("x-identity-header") != self.identity_header:
                return 401, {"error": "unauthorized", "error_description": "The X-IDENTITY-HEADER is missing or wrong."}
            version = "2019-08-01"
        else:
            return 404, {"error": "not_found", "error_description": f"No managed identity endpoint at {parts.path}."}
        if query.get("api-version", [""])[0] != version:
            return 400, {"error": "invalid_request", "error_description": f"api-version must be {version}."}
        resource = query.get("resource", [""])[0]
        if not resource:
            return 400, {"error": "invalid_request", "error_description": "Required query variable 'resource' is missing."}
        requested = query.get("client_id")
        if requested and requested[0] not in self.user_assigned:
            return 400, {"error": "invalid_request", "error_description": "Identity not found"}
        client_id = requested[0] if requested else SYSTEM_ASSIGNED_CLIENT_ID
        token = self.emulator.tenant.issue_access_token(client_id=client_id, audience=resource, roles=PRESENCE_ROLES)
        expires_on = int(self.emulator.clock.timestamp()) + LIFETIME_SECONDS
        return 200, {"access_token": token, "expires_on": str(max(expires_on, int(time.time()) + LIFETIME_SECONDS)),
                     "expires_in": str(LIFETIME_SECONDS), "resource": resource, "token_type": "Bearer",
                     "client_id": client_id}


def _handler(endpoint: ManagedIdentityEndpoint) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            status, payload = endpoint.answer(self.path, {k.lower(): v for k, v in self.headers.items()})
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler
