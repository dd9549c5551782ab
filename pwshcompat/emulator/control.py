"""The control API on the Graph port, for processes that do not hold the ``Emulator`` object.

No token is needed (loopback only). JSON in and out:

* ``GET  /_emulator/requests`` — the request log: method, path, status, fault, time;
* ``GET  /_emulator/login-requests`` — the sign-in log: method, path, time (never bodies: they hold secrets);
* ``GET  /_emulator/presences`` — every known user: the presence now, the preferred presence, sessions;
* ``POST /_emulator/reset`` — same as ``Emulator.reset()``;
* ``POST /_emulator/clock`` — ``{"advanceSeconds": 300}`` moves the clock forward;
* ``POST /_emulator/faults`` — ``{"kind": "429", "path": "*", "count": 1, "retryAfter": 0, ...}``;
* ``POST /_emulator/device-codes/approve`` — ``{"userCode": "..."}`` (optional: the only pending one).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .server import Emulator

PREFIX = "/_emulator/"


def handle(emu: "Emulator", method: str, path: str, body: bytes) -> tuple[int, Any]:
    route = path.split("?", 1)[0][len(PREFIX):].strip("/")
    try:
        data = json.loads(body) if body.strip() else {}
        if not isinstance(data, dict):
            raise ValueError("the body must be a JSON object")
        if (method, route) == ("GET", "requests"):
            return 200, [{"method": r.method, "path": r.path, "status": r.status, "fault": r.fault,
                          "time": r.time.isoformat() if r.time else None} for r in list(emu.requests)]
        if (method, route) == ("GET", "login-requests"):
            return 200, [{"method": r.method, "path": r.path.split("?", 1)[0],
                          "time": r.time.isoformat() if r.time else None} for r in list(emu.login_requests)]
        if (method, route) == ("GET", "presences"):
            return 200, {user: _state(emu, user) for user in emu.store.user_ids()}
        if (method, route) == ("POST", "reset"):
            emu.reset()
            return 200, {"reset": True}
        if (method, route) == ("POST", "clock"):
            now = emu.clock.advance(float(data.get("advanceSeconds", 0)))
            return 200, {"now": now.isoformat()}
        if (method, route) == ("POST", "faults"):
            rule = emu.inject(str(data.get("kind", "")), str(data.get("path", "*")), method=data.get("method"),
                              count=data.get("count"), probability=float(data.get("probability", 1.0)),
                              retry_after=data.get("retryAfter"), delay=float(data.get("delay", 1.0)))
            return 200, {"kind": rule.kind, "path": rule.path, "count": rule.count}
        if (method, route) == ("POST", "device-codes/approve"):
            code = emu.approve_device_code(data.get("userCode"))
            return 200, {"userCode": code.user_code, "status": code.status}
    except (ValueError, LookupError, TypeError) as exc:
        return 400, {"error": {"code": "BadRequest", "message": str(exc)}}
    return 404, {"error": {"code": "NotFound", "message": f"No control endpoint {method} {path}."}}


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
