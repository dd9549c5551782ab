"""The emulator: a Graph endpoint (http) and a sign-in endpoint (https) on loopback, in one object.

    with Emulator() as emu:                      # or Emulator(strict=True) with registered apps
        emu.graph_url, emu.login_url, emu.ca_bundle
        token = emu.issue_token()                # app token with the presence roles
        emu.clock.advance(hours=2)               # ...and now it is expired
        emu.inject("429", count=1, retry_after=0)
        emu.requests                             # every Graph request, in arrival order
        emu.presence("user-id")                  # what GET .../presence would show now
        emu.reset()

The Graph port also serves a small control API under ``/_emulator/`` (no token; see ``control.py``)
so a separate process, e.g. a PowerShell dry run, can read the request log and state.
"""

from __future__ import annotations

import json
import socket
import ssl
import struct
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any, Callable, Iterable
from urllib.parse import parse_qsl, unquote

from . import control
from .clock import Clock
from .faults import FaultRule, Faults
from .graph_api import JSON_TYPE, GraphApi
from .identity import DEFAULT_UPN, DEFAULT_USER_ID, PRESENCE_ROLES, App, DeviceCode, Page, Tenant
from .presence import Preferred, PresenceStore, Session
from .throttling import DOCUMENTED_READS, DOCUMENTED_TOTAL, DOCUMENTED_WINDOW, RateLimits
from .tls import tls_files
from .tokens import GRAPH_APP_ID, GRAPH_RESOURCE

if TYPE_CHECKING:
    import requests

DEFAULT_TENANT_ID = "e7b1d0a3-5c2f-4f0e-9a61-3d8c2b4a9f10"
DEFAULT_CLIENT_ID = "0c9d7a52-3b8e-4d61-a2f4-7e5b1c3d9a80"
#: How often an idle serve loop checks for stop(): the cost of stop() in every test that uses an emulator.
_POLL_SECONDS = 0.02


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the emulator received it (``headers`` keys are lower-case)."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    status: int | None = None          # None when the connection was reset
    fault: str | None = None           # the injected fault kind, if one fired
    time: datetime | None = None       # the emulator clock at arrival

    def json(self) -> Any:
        return json.loads(self.body or b"null")


class Emulator:
    """A local Microsoft Graph presence service and Entra ID tenant (see the module docstring)."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, *, login_port: int = 0, strict: bool = False,
                 clock: Clock | None = None, seed: int = 0, tenant_id: str = DEFAULT_TENANT_ID) -> None:
        self.clock = clock or Clock()
        self.strict = strict
        self.requests: list[RecordedRequest] = []
        self.login_requests: list[RecordedRequest] = []
        self.faults = Faults(seed)
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._graph_httpd = _Server((host, port), _handler(self._serve_graph))
        self._login_httpd = _TlsServer((host, login_port), _handler(self._serve_login), tls_files().server_context())
        self.tenant = Tenant(self.clock, tenant_id=tenant_id, login_url=self.login_url, strict=strict)
        self.store = PresenceStore(self.clock, auto_create_users=not strict)
        self.api = GraphApi(self.store, self.tenant, self.faults, self.clock, self._audiences, lambda: self.graph_url)
        self.api.strict = strict
        self._threads: list[threading.Thread] = []

    # -- addresses -------------------------------------------------------------------------
    @property
    def graph_url(self) -> str:
        return _url("http", self._graph_httpd)

    @property
    def login_url(self) -> str:
        """The https authority host; msal's authority is ``f"{login_url}/{tenant_id}"``."""
        return _url("https", self._login_httpd)

    @property
    def authority(self) -> str:
        return f"{self.login_url}/{self.tenant_id}"

    @property
    def ca_bundle(self) -> str:
        """The PEM file of the CA behind ``login_url``: pass it as ``verify=``; never turn verification off."""
        return str(tls_files().ca_bundle)

    def http_session(self) -> "requests.Session":
        """A ``requests.Session`` that trusts this emulator's CA on every call (e.g. msal's ``http_client``).

        ``verify`` is forced per request because requests lets ``REQUESTS_CA_BUNDLE`` from the
        environment override ``Session.verify``.
        """
        import requests  # lazy: the server itself does not need it

        ca_bundle = self.ca_bundle

        class _TrustingSession(requests.Session):
            def request(self, method: str, url: Any, *args: Any, **kwargs: Any) -> requests.Response:
                kwargs["verify"] = ca_bundle
                return super().request(method, url, *args, **kwargs)

        return _TrustingSession()

    @property
    def tenant_id(self) -> str:
        return self.tenant.tenant_id

    def _audiences(self) -> Iterable[str]:
        return (GRAPH_RESOURCE, GRAPH_RESOURCE + "/", GRAPH_APP_ID, self.graph_url, self.graph_url + "/")

    # -- tokens and the directory ----------------------------------------------------------
    def issue_token(self, *, roles: Iterable[str] | None = None, scp: str | Iterable[str] | None = None,
                    expires_in: float = 3600, client_id: str = DEFAULT_CLIENT_ID, **claims: Any) -> str:
        """A signed access token this emulator accepts, without a sign-in round trip.

        Without ``scp`` it is an application token (``roles`` default to the presence roles); with
        ``scp`` (a string or a list) it is a delegated token for ``oid`` (default: the tenant's user).
        Other keyword arguments override claims, e.g. ``aud="api://other"`` or ``oid=user_id``.
        """
        if scp is None and roles is None:
            roles = PRESENCE_ROLES
        user_id, upn = claims.pop("oid", None), claims.pop("upn", None)
        audience = claims.pop("aud", GRAPH_RESOURCE)
        return self.tenant.issue_access_token(client_id=client_id, audience=audience, roles=roles, scp=scp,
                                              user_id=user_id, upn=upn, lifetime=timedelta(seconds=expires_in),
                                              **claims)

    def register_app(self, client_id: str, *, secret: str | None = None, certificate: Any = None,
                     roles: Iterable[str] = PRESENCE_ROLES, display_name: str = "pwshcompat emulator app") -> App:
        """Register an app (the only apps a strict tenant knows); ``certificate`` is PEM bytes or an x509 object."""
        return self.tenant.register_app(client_id, secret=secret, certificate=certificate, roles=roles,
                                        display_name=display_name)

    def add_user(self, user_id: str) -> None:
        """Make ``user_id`` known (a strict tenant answers 404 for any other user)."""
        self.store.add_user(user_id)

    @property
    def device_code_hook(self) -> Callable[[DeviceCode], None] | None:
        """Called with each new device code; e.g. ``emu.device_code_hook = lambda code: code.approve()``."""
        return self.tenant.device_code_hook

    @device_code_hook.setter
    def device_code_hook(self, hook: Callable[[DeviceCode], None] | None) -> None:
        self.tenant.device_code_hook = hook

    def approve_device_code(self, user_code: str | None = None, *, user_id: str = DEFAULT_USER_ID,
                            upn: str = DEFAULT_UPN) -> DeviceCode:
        """Approve the pending sign-in with ``user_code`` (or the only pending one) as ``user_id``."""
        code = self.tenant.device_code(user_code)
        code.approve(user_id, upn)
        return code

    def deny_device_code(self, user_code: str | None = None) -> DeviceCode:
        code = self.tenant.device_code(user_code)
        code.deny()
        return code

    # -- state and test controls -----------------------------------------------------------
    def inject(self, kind: str | int, path: str = "*", **options: Any) -> FaultRule:
        """Add a fault rule (see ``faults.py``): ``inject("429", path="*/setUserPreferredPresence", count=1)``."""
        return self.faults.add(kind, path, **options)

    def set_rate_limits(self, reads: int | None = DOCUMENTED_READS, total: int | None = DOCUMENTED_TOTAL,
                        window: float = DOCUMENTED_WINDOW, *, enabled: bool = True) -> None:
        """Throttle per app like Graph (see ``throttling.py``); off until called; ``enabled=False`` turns it off."""
        self.api.throttle.configure(RateLimits(reads, total, timedelta(seconds=window)) if enabled else None)

    def presence(self, user_id: str) -> dict[str, Any]:
        """The presence resource as another user would read it now."""
        return self.store.view(user_id, own=False)

    def preferred_presence(self, user_id: str) -> Preferred | None:
        return self.store.preferred(user_id)

    def sessions(self, user_id: str) -> dict[str, Session]:
        return self.store.sessions(user_id)

    def add_client_session(self, user_id: str, availability: str = "Available", activity: str = "Available",
                           session_id: str = "teams-client") -> None:
        """Simulate the user signed in to a Teams client: a session that never expires (§3.4)."""
        self.store.add_client_session(user_id, availability, activity, session_id)

    @property
    def presences(self) -> dict[str, dict[str, Any]]:
        """The last preferred presence set per user, as a body would state it (kept for older tests)."""
        result = {}
        for user_id in self.store.user_ids():
            preferred = self.store.preferred(user_id)
            if preferred is not None:
                result[user_id] = {"availability": preferred.availability, "activity": preferred.activity}
        return result

    def reset(self) -> None:
        """Forget requests, presence state, faults, device codes and refresh tokens; keep apps, users and clock."""
        with self._lock:
            self.requests.clear()
            self.login_requests.clear()
        self.store.reset()
        self.faults.clear()
        self.api.throttle.configure(self.api.throttle.limits)   # keeps the limits, forgets the counts
        self.tenant.reset()

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> "Emulator":
        for name, httpd in (("graph", self._graph_httpd), ("login", self._login_httpd)):
            thread = threading.Thread(target=httpd.serve_forever, args=(_POLL_SECONDS,),
                                      name=f"pwshcompat-emulator-{name}", daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def stop(self) -> None:
        self._stopping.set()
        servers = (self._graph_httpd, self._login_httpd)
        if self._threads:
            # Both serve loops notice the request within one poll interval; waiting in parallel halves stop().
            waiters = [threading.Thread(target=httpd.shutdown) for httpd in servers]
            for waiter in waiters:
                waiter.start()
            for waiter in waiters:
                waiter.join()
        for httpd in servers:
            httpd.server_close()
        self._threads.clear()

    def __enter__(self) -> "Emulator":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- HTTP ------------------------------------------------------------------------------
    def _record(self, log: list[RecordedRequest], request: RecordedRequest) -> None:
        with self._lock:
            log.append(request)

    def _serve_graph(self, handler: BaseHTTPRequestHandler, method: str, path: str,
                     headers: dict[str, str], body: bytes) -> None:
        if path.startswith(control.PREFIX):
            status, payload = control.handle(self, method, path, body)
            _send(handler, status, payload, {})
            return
        arrived = self.clock.now()
        fault = self.faults.pick(method, unquote(path.split("?", 1)[0]))
        if fault is not None and fault.kind == "reset":
            self._record(self.requests, RecordedRequest(method, path, headers, body, None, "reset", arrived))
            _reset(handler)
            return
        if fault is not None and fault.kind != "slow":
            response = self.api.fault(fault.kind, fault.retry_after, headers)
        else:
            response = self.api.handle(method, path, headers, body)
        self._record(self.requests, RecordedRequest(method, path, headers, body, response.status,
                                                    fault.kind if fault else None, arrived))
        if fault is not None and fault.kind == "slow":
            self._stopping.wait(fault.delay)
        _send(handler, response.status, response.body, response.headers)

    def _serve_login(self, handler: BaseHTTPRequestHandler, method: str, path: str,
                     headers: dict[str, str], body: bytes) -> None:
        self._record(self.login_requests, RecordedRequest(method, path, headers, body, None, None, self.clock.now()))
        if method == "GET" and path.split("?", 1)[0] == "/devicelogin":
            page = ("This is the pwshcompat emulator's sign-in page. Device codes are approved by the test "
                    "or script that runs the emulator: emu.approve_device_code(user_code), or POST "
                    "/_emulator/device-codes/approve on the Graph URL.\n").encode()
            handler.send_response(200)
            handler.send_header("Content-Type", "text/plain; charset=utf-8")
            handler.send_header("Content-Length", str(len(page)))
            handler.end_headers()
            handler.wfile.write(page)
            return
        form = dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
        status, payload = self.tenant.handle(method, path, form, headers, self.login_url)
        if isinstance(payload, Page):  # the authorize endpoint: a sign-in page or a redirect
            data = payload.body.encode()
            handler.send_response(status)
            for name, value in {**payload.headers, "Cache-Control": "no-store", "Content-Type": payload.content_type,
                                "Content-Length": str(len(data))}.items():
                handler.send_header(name, value)
            handler.end_headers()
            handler.wfile.write(data)
            return
        _send(handler, status, payload, {"Cache-Control": "no-store"}, content_type="application/json; charset=utf-8")


# -- HTTP plumbing -----------------------------------------------------------------------------
_Serve = Callable[[BaseHTTPRequestHandler, str, str, dict[str, str], bytes], None]


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128    # the default 5 drops connections when parallel clients start together

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients that hang up (timeouts, resets) are normal here; anything else is still reported."""
        import sys

        if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError, ssl.SSLError)):
            super().handle_error(request, client_address)


class _TlsServer(_Server):
    """TLS with the handshake in the request's own thread, so one slow client cannot stall accept()."""

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler],
                 context: ssl.SSLContext) -> None:
        super().__init__(address, handler)
        self._context = context

    def get_request(self) -> tuple[socket.socket, Any]:
        sock, address = super().get_request()
        return self._context.wrap_socket(sock, server_side=True, do_handshake_on_connect=False), address

    def finish_request(self, request: Any, client_address: Any) -> None:
        try:
            request.settimeout(30)
            request.do_handshake()
        except (ssl.SSLError, OSError):
            return
        super().finish_request(request, client_address)


def _url(scheme: str, httpd: ThreadingHTTPServer) -> str:
    host, port = httpd.server_address[:2]
    return f"{scheme}://{host}:{port}"


def _handler(serve: _Serve) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        timeout = 60

        def setup(self) -> None:
            super().setup()
            # Headers and body go out in separate writes; without this, Nagle + delayed ACK add ~40 ms.
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            headers = {k.lower(): v for k, v in self.headers.items()}
            serve(self, self.command, self.path, headers, body)

        do_GET = do_POST = do_PATCH = do_DELETE = do_PUT = _serve

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


def _send(handler: BaseHTTPRequestHandler, status: int, payload: Any, headers: dict[str, str],
          content_type: str = JSON_TYPE) -> None:
    data = json.dumps(payload).encode() if payload is not None else b""
    handler.send_response(status)
    for name, value in headers.items():
        if name.lower() != "content-type":
            handler.send_header(name, value)
    if data:
        handler.send_header("Content-Type", content_type)
    handler.send_header("Content-Length", str(len(data)))
    handler.end_headers()
    handler.wfile.write(data)


def _reset(handler: BaseHTTPRequestHandler) -> None:
    """Drop the connection with a TCP RST (SO_LINGER 0), as a failing load balancer would."""
    handler.close_connection = True
    try:
        handler.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        handler.connection.close()
    except OSError:
        pass
