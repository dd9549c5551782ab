"""The control API on the Graph port, for processes that do not hold the ``Emulator`` object.

No token is needed, so it trusts only requests a web page cannot make (issue 19.5):

* the client is on loopback (403 otherwise, unless the emulator runs with ``allow_remote_control``);
* the ``Host`` header names a loopback host (403 otherwise: DNS rebinding), unless
  ``allow_remote_control``;
* an ``Origin`` header, if any, is the emulator's own (403 otherwise: a cross-origin page);
* a POST carries ``Content-Type: application/json`` (415 otherwise: a form or ``text/plain`` POST)
  and a JSON object with only the fields the endpoint knows, each of the right type and range (400).

Routes are canonical: ``/_emulator//reset``, ``/_emulator/reset/`` and ``/_emulator/./reset`` are
``reset``. JSON in and out:

* ``GET  /_emulator/requests`` — the request log: method, path, status, fault, time;
* ``GET  /_emulator/login-requests`` — the sign-in log: method, path, time (never bodies: they hold secrets);
* ``GET  /_emulator/presences`` — every known user: the presence now, the preferred presence, sessions;
* ``POST /_emulator/reset`` — same as ``Emulator.reset()``;
* ``POST /_emulator/clock`` — ``{"advanceSeconds": 300}`` moves the clock forward;
* ``POST /_emulator/faults`` — ``{"kind": "429", "path": "*", "method", "count", "probability",
  "retryAfter", "delay"}``, as ``Emulator.inject``;
* ``POST /_emulator/rate-limits`` — ``{"total": 666, "reads": null, "windowSeconds": 2}`` or
  ``{"enabled": false}``, as ``Emulator.set_rate_limits`` (omitted fields take its defaults);
* ``POST /_emulator/device-codes/approve`` — ``{"userCode": "ABCD-1234", "userId"?, "upn"?}``: the
  code must be named (404 when no pending sign-in has it).
"""

from __future__ import annotations

import ipaddress
import math
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from . import wire
from .throttling import DOCUMENTED_READS, DOCUMENTED_TOTAL, DOCUMENTED_WINDOW

if TYPE_CHECKING:
    from .server import Emulator

PREFIX = "/_emulator/"
_ROOT = "_emulator"


class _Refused(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def route(path: str) -> str | None:
    """The canonical control route of ``path`` (``"reset"``, ``"device-codes/approve"``), or None when
    the path is not under ``/_emulator``. Empty and ``.`` segments are dropped, each segment is
    percent-decoded on its own."""
    segments = [unquote(s) for s in path.split("?", 1)[0].split("/")]
    segments = [s for s in segments if s not in ("", ".")]
    if not segments or segments[0] != _ROOT:
        return None
    return "/".join(segments[1:])


def handle(emu: "Emulator", method: str, route: str, headers: dict[str, str], body: bytes,
           client: str) -> tuple[int, Any]:
    """Answer one control request (``route`` from :func:`route`); ``client`` is the peer address."""
    try:
        _check_caller(emu, method, headers, client)
        data = _body(method, headers, body)
        return _dispatch(emu, method, route, data)
    except _Refused as exc:
        return exc.status, wire.graph_error_body(exc.status, exc.code, exc.message)


def _dispatch(emu: "Emulator", method: str, route: str, data: dict[str, Any]) -> tuple[int, Any]:
    if (method, route) == ("GET", "requests"):
        return 200, [{"method": r.method, "path": r.path, "status": r.status, "fault": r.fault,
                      "time": r.time.isoformat() if r.time else None} for r in list(emu.requests)]
    if (method, route) == ("GET", "login-requests"):
        return 200, [{"method": r.method, "path": r.path.split("?", 1)[0],
                      "time": r.time.isoformat() if r.time else None} for r in list(emu.login_requests)]
    if (method, route) == ("GET", "presences"):
        return 200, {user: _state(emu, user) for user in emu.store.user_ids()}
    if (method, route) == ("POST", "reset"):
        _fields(data)
        emu.reset()
        return 200, {"reset": True}
    if (method, route) == ("POST", "clock"):
        _fields(data, "advanceSeconds")
        if "advanceSeconds" not in data:
            raise _Refused(400, "BadRequest", "'advanceSeconds' is required: the seconds to move the clock forward.")
        seconds = _number(data, "advanceSeconds", 0, None)
        try:
            now = emu.clock.advance(seconds)
        except ValueError as exc:
            raise _Refused(400, "BadRequest", str(exc)) from None
        return 200, {"now": now.isoformat()}
    if (method, route) == ("POST", "faults"):
        _fields(data, "kind", "path", "method", "count", "probability", "retryAfter", "delay")
        kind = data.get("kind")
        if not isinstance(kind, (str, int)) or isinstance(kind, bool):
            raise _Refused(400, "BadRequest", "'kind' is required: one of 429, 503, 504, reset, slow.")
        try:
            rule = emu.inject(kind, data.get("path", "*"), method=data.get("method"), count=data.get("count"),
                              probability=data.get("probability", 1.0), retry_after=data.get("retryAfter"),
                              delay=data.get("delay", 1.0))
        except ValueError as exc:
            raise _Refused(400, "BadRequest", str(exc)) from None
        return 200, {"kind": rule.kind, "path": rule.path, "method": rule.method, "count": rule.count,
                     "probability": rule.probability, "retryAfter": rule.retry_after, "delay": rule.delay}
    if (method, route) == ("POST", "rate-limits"):
        _fields(data, "reads", "total", "windowSeconds", "enabled")
        enabled = data.get("enabled", True)
        if not isinstance(enabled, bool):
            raise _Refused(400, "BadRequest", "'enabled' must be true or false.")
        reads, total = data.get("reads", DOCUMENTED_READS), data.get("total", DOCUMENTED_TOTAL)
        window = data.get("windowSeconds", DOCUMENTED_WINDOW)
        try:
            emu.set_rate_limits(reads, total, window, enabled=enabled)
        except ValueError as exc:
            raise _Refused(400, "BadRequest", str(exc)) from None
        limits = emu.api.throttle.limits
        return 200, {"enabled": limits is not None, "reads": limits and limits.reads, "total": limits and limits.total,
                     "windowSeconds": limits and limits.window.total_seconds()}
    if (method, route) == ("POST", "device-codes/approve"):
        _fields(data, "userCode", "userId", "upn")
        user_code = data.get("userCode")
        if not isinstance(user_code, str) or not user_code.strip():
            raise _Refused(400, "BadRequest", "'userCode' is required: the code the sign-in shows to the user.")
        options = {key: data[name] for key, name in (("user_id", "userId"), ("upn", "upn")) if name in data}
        if not all(isinstance(v, str) and v for v in options.values()):
            raise _Refused(400, "BadRequest", "'userId' and 'upn' must be non-empty strings.")
        try:
            code = emu.approve_device_code(user_code.strip(), **options)
        except LookupError:
            raise _Refused(404, "NotFound", f"No pending device-code sign-in has the code '{user_code}'.") from None
        return 200, {"userCode": code.user_code, "status": code.status}
    if route in METHODS:
        return 405, wire.graph_error_body(405, "MethodNotAllowed", f"{method} is not allowed on /_emulator/{route}; "
                                          f"use {METHODS[route]}.")
    return 404, wire.graph_error_body(404, "NotFound", f"No control endpoint /_emulator/{route}; endpoints: "
                                      f"{', '.join(sorted(METHODS))}.")


#: The method each control route answers; a 405 names it (and its ``Allow`` header lists it).
METHODS = {"requests": "GET", "login-requests": "GET", "presences": "GET", "reset": "POST", "clock": "POST",
           "faults": "POST", "rate-limits": "POST", "device-codes/approve": "POST"}


# -- who may call ------------------------------------------------------------------------------
def _check_caller(emu: "Emulator", method: str, headers: dict[str, str], client: str) -> None:
    if not emu.allow_remote_control and not _is_loopback(client):
        raise _Refused(403, "Forbidden", "The control API answers clients on this machine only; start the "
                       "emulator with --allow-remote-control (allow_remote_control=True) to allow others.")
    host = headers.get("host")
    if host is not None and not emu.allow_remote_control and not _is_loopback(_hostname(host)):
        raise _Refused(403, "Forbidden", f"The control API answers only requests for a loopback host, not "
                       f"'{host}'.")
    origin = headers.get("origin")
    if origin is not None and not _own_origin(emu, origin):
        raise _Refused(403, "Forbidden", f"The control API refuses requests from web pages (Origin: {origin}).")


def _body(method: str, headers: dict[str, str], body: bytes) -> dict[str, Any]:
    if method != "POST":
        if body.strip():
            raise _Refused(400, "BadRequest", f"A {method} control request has no body.")
        return {}
    media_type = headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media_type != "application/json":
        raise _Refused(415, "UnsupportedMediaType", "Control requests must be sent with Content-Type: "
                       "application/json.")
    if not body.strip():
        return {}
    try:
        data = wire.load_json(body)
    except ValueError as exc:
        raise _Refused(400, "BadRequest", str(exc)) from None
    if not isinstance(data, dict):
        raise _Refused(400, "BadRequest", "The body must be a JSON object.")
    return data


def _hostname(host: str) -> str:
    return urlsplit("//" + host).hostname or ""


def _is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        address = ipaddress.ip_address(host.strip("[]").split("%", 1)[0])
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)
    return address.is_loopback or (mapped is not None and mapped.is_loopback)


def _own_origin(emu: "Emulator", origin: str) -> bool:
    """The emulator's own origin: http, a loopback host (or any host with remote control), its Graph port."""
    try:
        parts = urlsplit(origin)
        port = parts.port
    except ValueError:
        return False
    graph_port = urlsplit(emu.graph_url).port
    return (parts.scheme == "http" and port == graph_port
            and (emu.allow_remote_control or _is_loopback(parts.hostname or "")))


# -- fields ------------------------------------------------------------------------------------
def _fields(data: dict[str, Any], *allowed: str) -> None:
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        raise _Refused(400, "BadRequest", f"Unknown field{'s' if len(unknown) > 1 else ''} {', '.join(map(repr, unknown))}"
                       f"; this endpoint takes {', '.join(map(repr, allowed)) or 'no fields'}.")


def _number(data: dict[str, Any], name: str, low: float, high: float | None) -> float:
    value = data[name]
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise _Refused(400, "BadRequest", f"'{name}' must be a finite number, not {value!r}.")
    if value < low or (high is not None and value > high):
        raise _Refused(400, "BadRequest", f"'{name}' must be between {low:g} and {high:g}, not {value!r}."
                       if high is not None else f"'{name}' must be at least {low:g}, not {value!r}.")
    return float(value)


def _state(emu: "Emulator", user: str) -> dict[str, Any]:
    preferred = emu.preferred_presence(user)
    return {
        "presence": emu.presence(user),
        "preferred": None if preferred is None else {
            "availability": preferred.availability, "activity": preferred.activity,
            "expiresAt": preferred.expires_at.isoformat()},
        "sessions": {key: {"availability": s.availability, "activity": s.activity,
                           "expiresAt": s.expires_at.isoformat() if s.expires_at else None}
                     for key, s in emu.sessions(user).items()},
    }
