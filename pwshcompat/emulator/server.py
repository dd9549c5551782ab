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
import threading
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING, Any, Callable, Iterable
from urllib.parse import parse_qsl, unquote

from . import control, wire
from .clock import Clock
from .faults import FaultRule, Faults
from .graph_api import GraphApi
from .identity import DEFAULT_UPN, DEFAULT_USER_ID, PRESENCE_ROLES, App, DeviceCode, Page, Tenant
from .presence import WORK_LOCATION_TYPES, Preferred, PresenceStore, Session, WorkLocation
from .queries import MAX_TOP
from .throttling import DOCUMENTED_READS, DOCUMENTED_TOTAL, DOCUMENTED_WINDOW, RateLimits
from .tls import server_context, tls_files
from .tokens import GRAPH_APP_ID, GRAPH_RESOURCE

if TYPE_CHECKING:
    import requests

DEFAULT_TENANT_ID = "e7b1d0a3-5c2f-4f0e-9a61-3d8c2b4a9f10"
DEFAULT_CLIENT_ID = "0c9d7a52-3b8e-4d61-a2f4-7e5b1c3d9a80"
#: How often an idle serve loop checks for stop(): the cost of stop() in every test that uses an emulator.
_POLL_SECONDS = 0.02
#: The request logs keep at most this many requests each (the oldest go first)...
REQUEST_LOG_LIMIT = 10_000
#: ...and at most this many bytes of each body (``RecordedRequest.body_length`` has the full length).
LOG_BODY_BYTES = 64 * 1024


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the emulator received it (``headers`` keys are lower-case).

    ``body`` is trimmed to ``LOG_BODY_BYTES`` and empty for requests answered 401 (nobody signed in
    sent them); ``body_length`` is the length received (None: same as ``len(body)``).
    """

    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    status: int | None = None          # None when the connection was reset
    fault: str | None = None           # the injected fault kind, if one fired
    time: datetime | None = None       # the emulator clock at arrival
    body_length: int | None = None

    def json(self) -> Any:
        return json.loads(self.body or b"null")


class RequestLog(list[RecordedRequest]):
    """A request log bounded in entries (``REQUEST_LOG_LIMIT``) and in body bytes per entry."""

    def __init__(self, limit: int = REQUEST_LOG_LIMIT) -> None:
        super().__init__()
        self.limit = limit
        #: Requests dropped from the front so far (``dropped + index`` numbers a request for good).
        self.dropped = 0

    def add(self, request: RecordedRequest) -> None:
        if len(request.body) > LOG_BODY_BYTES:
            request = replace(request, body=request.body[:LOG_BODY_BYTES], body_length=len(request.body))
        self.append(request)
        excess = len(self) - self.limit
        if excess > 0:
            # Drop a tenth at once, so a full log does not move every entry on every request.
            excess = max(excess, self.limit // 10)
            del self[:excess]
            self.dropped += excess

    def clear(self) -> None:
        self.dropped += len(self)
        super().clear()


class Emulator:
    """A local Microsoft Graph presence service and Entra ID tenant (see the module docstring)."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, *, login_port: int = 0, strict: bool = False,
                 clock: Clock | None = None, seed: int = 0, tenant_id: str = DEFAULT_TENANT_ID,
                 allow_remote_control: bool = False, max_body_bytes: int = wire.MAX_BODY_BYTES,
                 request_log_limit: int = REQUEST_LOG_LIMIT, read_timeout: float = wire.READ_TIMEOUT_SECONDS) -> None:
        """Bind both ports (``OSError`` when a port is taken; ``OverflowError`` when out of range).

        ``allow_remote_control`` lets non-loopback clients (and non-loopback ``Host`` names) use the
        ``/_emulator/`` control API; off by default. ``max_body_bytes`` caps request bodies (413 above);
        ``request_log_limit`` bounds each request log; ``read_timeout`` (seconds, above 0) is how long
        a connection may be silent: a body still due then gets 408, an idle connection is closed.
        ``ValueError`` for a ``read_timeout`` that is not a finite number above 0.
        """
        if isinstance(read_timeout, bool) or not isinstance(read_timeout, (int, float)) or not (
                0 < read_timeout < float("inf")):
            raise ValueError(f"read_timeout must be a finite number of seconds above 0, got {read_timeout!r}")
        self.clock = clock or Clock()
        self.strict = strict
        self.allow_remote_control = allow_remote_control
        self.requests = RequestLog(request_log_limit)
        self.login_requests = RequestLog(request_log_limit)
        self.faults = Faults(seed)
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._graph_httpd = wire.Server((host, port), self._serve_graph, wire.graph_error_body)
        try:
            self._login_httpd = wire.TlsServer((host, login_port), self._serve_login, wire.oauth_error_body,
                                               server_context(host))
        except BaseException:
            self._graph_httpd.server_close()
            raise
        for httpd in (self._graph_httpd, self._login_httpd):
            httpd.max_body_bytes = max_body_bytes
            httpd.read_timeout = read_timeout
        self.tenant = Tenant(self.clock, tenant_id=tenant_id, login_url=self.login_url, strict=strict)
        self.store = PresenceStore(self.clock, auto_create_users=not strict)
        self.api = GraphApi(self.store, self.tenant, self.faults, self.clock, self._audiences, lambda: self.graph_url)
        self.api.strict = strict
        self._threads: list[threading.Thread] = []

    # -- addresses -------------------------------------------------------------------------
    @property
    def graph_url(self) -> str:
        """``http://127.0.0.1:<port>`` (a wildcard bind address is shown as loopback, which works)."""
        return wire.url("http", self._graph_httpd)

    @property
    def login_url(self) -> str:
        """The https authority host; msal's authority is ``f"{login_url}/{tenant_id}"``."""
        return wire.url("https", self._login_httpd)

    @property
    def bind_host(self) -> str:
        """The address both ports are bound to, as given (``0.0.0.0`` listens on every interface)."""
        return str(self._graph_httpd.server_address[0])

    @property
    def authority(self) -> str:
        return f"{self.login_url}/{self.tenant_id}"

    @property
    def ca_bundle(self) -> str:
        """The PEM file of the CA behind ``login_url``: pass it as ``verify=``; never turn verification off."""
        return str(tls_files().ca_bundle)

    def http_session(self) -> "requests.Session":
        """A ``requests.Session`` that trusts this emulator's CA on every call (e.g. msal's ``http_client``).

        The environment's settings are not read (``trust_env`` off): requests would let
        ``REQUESTS_CA_BUNDLE`` override ``Session.verify``, and a proxy variable would send the
        emulator's loopback traffic elsewhere.
        """
        import requests  # lazy: the server itself does not need it

        session = requests.Session()
        session.verify = self.ca_bundle
        session.trust_env = False
        return session

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
        """Throttle per app like Graph (see ``throttling.py``); off until called; ``enabled=False`` turns it off.

        ``reads`` (GETs and getPresencesByUserId) and ``total`` are requests per ``window`` seconds per
        application; None lifts that limit. ``ValueError`` for a count below 1 or a window that is not
        a finite number of seconds in (0, 86400]; nothing changes then.
        """
        self.api.throttle.configure(RateLimits.checked(reads, total, window) if enabled else None)

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

    def set_scheduled_location(self, user_id: str, work_location_type: str, place_id: str | None = None) -> None:
        """Simulate the user's scheduled work location (working hours and location, §2.9): the layer
        below the automatic and manual signals the location actions set. ``ValueError`` for a type
        that is not one of ``presence.WORK_LOCATION_TYPES``."""
        if work_location_type not in WORK_LOCATION_TYPES:
            raise ValueError(f"work_location_type must be one of {', '.join(WORK_LOCATION_TYPES)}")
        self.store.set_location(user_id, "scheduled", WorkLocation(work_location_type, place_id))

    @property
    def page_size(self) -> int:
        """Items per page of ``GET /communications/presences`` without ``$top`` (default 100)."""
        return self.api.page_size

    @page_size.setter
    def page_size(self, size: int) -> None:
        if isinstance(size, bool) or not isinstance(size, int) or not 1 <= size <= MAX_TOP:
            raise ValueError(f"page_size must be a whole number from 1 to {MAX_TOP}, got {size!r}")
        self.api.page_size = size

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
    def _record(self, log: RequestLog, request: RecordedRequest) -> None:
        with self._lock:
            log.add(request)

    def _serve_graph(self, handler: BaseHTTPRequestHandler, method: str, path: str,
                     headers: dict[str, str], body: bytes) -> None:
        route = control.route(path)
        if route is not None:
            status, payload = control.handle(self, method, route, headers, body, handler.client_address[0])
            wire.send(handler, status, payload, {"Allow": control.METHODS[route]} if status == 405 else {})
            return
        arrived = self.clock.now()
        fault = self.faults.pick(method, unquote(path.split("?", 1)[0]))
        if fault is not None and fault.kind == "reset":
            self._record(self.requests, RecordedRequest(method, path, headers, body, None, "reset", arrived))
            wire.reset(handler)
            return
        if fault is not None and fault.kind != "slow":
            response = self.api.fault(fault.kind, fault.retry_after, headers)
        else:
            response = self.api.handle(method, path, headers, body)
        kept = b"" if response.status == 401 else body    # nobody signed in: keep no body (issue 19.4)
        self._record(self.requests, RecordedRequest(method, path, headers, kept, response.status,
                                                    fault.kind if fault else None, arrived, len(body)))
        if fault is not None and fault.kind == "slow":
            self._stopping.wait(fault.delay)
        wire.send(handler, response.status, response.body, response.headers,
                  response.headers.get("Content-Type", wire.JSON_TYPE))

    def _serve_login(self, handler: BaseHTTPRequestHandler, method: str, path: str,
                     headers: dict[str, str], body: bytes) -> None:
        self._record(self.login_requests, RecordedRequest(method, path, headers, body, None, None, self.clock.now()))
        if method == "GET" and path.split("?", 1)[0] == "/devicelogin":
            page = ("This is the pwshcompat emulator's sign-in page. Device codes are approved by the test "
                    "or script that runs the emulator: emu.approve_device_code(user_code), or POST "
                    "/_emulator/device-codes/approve {\"userCode\": ...} on the Graph URL.\n").encode()
            wire.send(handler, 200, page, {}, content_type="text/plain; charset=utf-8")
            return
        form = dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
        status, payload = self.tenant.handle(method, path, form, headers, self.login_url)
        if isinstance(payload, Page):  # the authorize endpoint: a sign-in page or a redirect
            wire.send(handler, status, payload.body.encode(), {**payload.headers, "Cache-Control": "no-store"},
                      content_type=payload.content_type)
            return
        wire.send(handler, status, payload, {"Cache-Control": "no-store"},
                  content_type="application/json; charset=utf-8")
