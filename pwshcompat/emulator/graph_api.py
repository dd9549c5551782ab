"""The Graph side: routes, bearer-token checks, permissions, query options, ``$batch``, the error envelope.

Surface (beta and v1.0; actions with or without the ``microsoft.graph.`` prefix; graph-presence.md §2),
one route per operation of the 54 presence cmdlets:

=====================================================  ==========================================================
request                                                answer
=====================================================  ==========================================================
``GET /me/presence`` (delegated only),                 the presence; ``$select`` (``$expand``: 400, presence has
``/users/{id}/presence``,                              no navigation property)
``/communications/presences/{id}``
``GET /communications/presences``                      the collection: ``$filter``, ``$select``, ``$orderby``,
                                                       ``$top``, ``$skip``, ``$count=true``, paging with
                                                       ``@odata.nextLink`` (``queries.py``); ``$search``: 400
``GET /communications/presences/$count``               ``text/plain``: how many match ``$filter``
``POST <presence>/<action>``                           setPresence, clearPresence, setUserPreferredPresence,
                                                       clearUserPreferredPresence, setStatusMessage (app or
                                                       delegated); setAutomaticLocation, setManualLocation,
                                                       clearAutomaticLocation, clearLocation (delegated only)
``POST /communications/getPresencesByUserId``          at most 650 ids
``PATCH``/``DELETE`` a presence,                       404 NotFound: the presence service does not create,
``POST /communications/presences``                     update or delete presences (PATCH observed, MSP #3287;
                                                       POST and DELETE *unconfirmed*, answered alike)
``POST /$batch``                                       at most 20 requests, ``dependsOn``, per-request faults
``GET /me``, ``/users/{id or UPN}``                    the user (``users.py``): ``$select``; /me with an app
                                                       token: 400; not throttled with the presence limits
=====================================================  ==========================================================

Order of checks: token (401) → route and query options (400/405) → body (400, before permissions
as observed for clearPresence, §2.5) → permission (403; 401 for a delegated write to another user,
§3.6) → user (404).

Location actions (§2.9): v1.0 takes workLocationType office, remote or timeOff, beta every value of
the enum; application tokens are refused (403: "Not supported" on the v1.0 pages; *unconfirmed* for
beta and for the clear actions). Success is 200 on v1.0; on beta 204 for setAutomaticLocation,
setManualLocation and clearAutomaticLocation and 200 for clearLocation, as the beta pages say
(*unconfirmed* which beta answers today).
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable
from urllib.parse import unquote

from . import presence, queries, users, wire
from .clock import Clock
from .faults import STATUS_KINDS, Faults
from .identity import Tenant
from .presence import GraphError, PresenceStore
from .throttling import Throttle
from .tokens import TokenError

JSON_TYPE = wire.JSON_TYPE
MAX_BATCH = 20           # §6
MAX_IDS = 650            # §2.3
_SESSION_ACTIONS = ("setPresence", "clearPresence", "setUserPreferredPresence", "clearUserPreferredPresence",
                    "setStatusMessage")
_LOCATION_ACTIONS = ("setAutomaticLocation", "setManualLocation", "clearAutomaticLocation", "clearLocation")
_ACTIONS = _SESSION_ACTIONS + _LOCATION_ACTIONS
_READ = ("Presence.Read.All", "Presence.ReadWrite.All")
_BATCH_METHODS = ("GET", "POST", "PATCH", "PUT", "DELETE")
#: The methods each kind of route answers (others: 405).
_METHODS = {"entity": ("GET", "PATCH", "DELETE"), "action": ("POST",), "list": ("GET", "POST"),
            "count": ("GET",), "bulk": ("POST",), "batch": ("POST",), "user": ("GET",)}


@dataclass
class Response:
    status: int
    body: dict[str, Any] | bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class _Route:
    kind: str                 # entity | action | list | count | bulk | batch | user
    user: str | None = None   # None with kind entity/action/user means /me
    action: str = ""


class GraphApi:
    def __init__(self, store: PresenceStore, tenant: Tenant, faults: Faults, clock: Clock,
                 audiences: Callable[[], Iterable[str]], base_url: Callable[[], str]) -> None:
        self.store, self.tenant, self.faults, self.clock = store, tenant, faults, clock
        self._audiences, self._base_url = audiences, base_url
        #: Strict tenants also refuse body properties an action does not declare, as Graph does.
        self.strict = False
        self.throttle = Throttle(clock)
        #: Items per page of ``GET /communications/presences`` when the client sends no ``$top``.
        self.page_size = queries.DEFAULT_PAGE_SIZE

    def handle(self, method: str, raw_path: str, headers: dict[str, str], body: bytes) -> Response:
        """One HTTP request; error responses carry the Graph envelope and the request ids."""
        request_id = str(uuid.uuid4())
        client_request_id = headers.get("client-request-id") or str(uuid.uuid4())
        try:
            response = self._handle(method, raw_path, headers, body)
        except GraphError as exc:
            response = Response(exc.status, self.envelope(exc, request_id, client_request_id), exc.headers)
        response.headers.setdefault("request-id", request_id)
        response.headers.setdefault("client-request-id", client_request_id)
        return response

    def envelope(self, exc: GraphError, request_id: str, client_request_id: str) -> dict[str, Any]:
        """Graph's error body (§4.1): code, message, innerError with date, request-id, client-request-id."""
        return {"error": {"code": exc.code, "message": exc.message, "innerError": {
            "date": self.clock.now().strftime("%Y-%m-%dT%H:%M:%S"),
            "request-id": request_id, "client-request-id": client_request_id}}}

    def fault(self, kind: str, retry_after: float | None, headers: dict[str, str]) -> Response:
        """The response of an injected status fault (the request itself is not processed)."""
        request_id = str(uuid.uuid4())
        client_request_id = headers.get("client-request-id") or str(uuid.uuid4())
        error = self.fault_response(kind, retry_after)
        return Response(error.status, self.envelope(error, request_id, client_request_id),
                        {"request-id": request_id, "client-request-id": client_request_id, **error.headers})

    def fault_response(self, kind: str, retry_after: float | None) -> GraphError:
        codes = {"429": ("TooManyRequests", "Please retry again later."),
                 "503": ("serviceNotAvailable", "The service is temporarily unavailable. Please retry later."),
                 "504": ("gatewayTimeout", "The gateway timed out waiting for the service.")}
        code, message = codes[kind]
        headers = {} if retry_after is None else {"Retry-After": _seconds(retry_after)}
        return GraphError(int(kind), code, message, headers)

    # -- dispatch --------------------------------------------------------------------------
    def _handle(self, method: str, raw_path: str, headers: dict[str, str], body: bytes,
                claims: dict[str, Any] | None = None, in_batch: bool = False) -> Response:
        """Dispatch one request; a ``$batch`` step passes the batch's ``claims`` and ``in_batch``."""
        if claims is None:
            claims = self._authenticate(headers)
        path, _, query_string = raw_path.partition("?")
        segments = [unquote(s) for s in path.split("/")[1:]]
        if not segments or segments[0] not in ("v1.0", "beta"):
            raise GraphError(400, "BadRequest", f"Invalid version: {segments[0] if segments else ''}")
        version, route = segments[0], _route(segments[1:])
        if route.kind not in ("batch", "user"):  # the presence service's limits (§5)
            read = route.kind == "bulk" or (method == "GET" and route.kind in ("entity", "list", "count"))
            retry_after = self.throttle.admit(str(claims.get("appid")), read=read)
            if retry_after is not None:
                raise self.fault_response("429", retry_after)
        allowed = _METHODS[route.kind]
        if method not in allowed:
            raise GraphError(405, "Request_BadRequest",
                             f"The {method} method is not allowed on this resource; use {' or '.join(allowed)}.",
                             {"Allow": ", ".join(allowed)})  # HTTP: a 405 lists the methods that would do
        payload = _json_body(headers, body) if method in ("POST", "PATCH") else {}
        if route.kind == "batch":
            if in_batch:
                raise GraphError(400, "BadRequest", "A $batch request cannot contain another $batch request.")
            return self._batch(version, payload, claims)
        if route.kind == "bulk":
            return self._bulk(version, payload, claims)
        if route.kind in ("list", "count"):
            return self._collection(route.kind, method, version, query_string, claims)
        if route.kind == "user":
            return Response(200, users.read(self.tenant, self.store.user_ids(), route.user, claims, query_string,
                                            f"{self._base_url()}/{version}"))
        user = route.user if route.user is not None else self._me(claims)
        if route.kind == "action":
            return self._action(version, route.action, user, payload, claims)
        if method != "GET":
            self._authorize(claims, user, write=True)
            raise _not_supported(method, "a presence")
        query = queries.parse(query_string, queries.ENTITY_OPTIONS)
        self._authorize(claims, user, write=False)
        view = self.store.view(user, own=self._own(claims, user))
        context = (f"{self._base_url()}/{version}/$metadata#users('{user}')/presence"
                   f"{queries.context_select(query.select)}/$entity")
        return Response(200, {"@odata.context": context, **queries.select(view, query.select)})

    def _collection(self, kind: str, method: str, version: str, query_string: str,
                    claims: dict[str, Any]) -> Response:
        """``/communications/presences`` (list, or POST: not supported) and its ``$count``."""
        if method == "POST":
            self._authorize(claims, None, write=True)
            raise _not_supported(method, "the presences collection")
        query = queries.parse(query_string, queries.COLLECTION_OPTIONS if kind == "list" else queries.COUNT_OPTIONS)
        self._authorize(claims, None, write=False)
        ids = set(self.store.user_ids())
        if self.store.auto_create_users:
            ids |= query.filter_ids          # the open tenant knows every user id it is asked about
        views = [self.store.view(user, own=self._own(claims, user)) for user in sorted(ids)]
        items = [view for view in views if query.filter is None or query.filter(view)]
        if kind == "count":
            return Response(200, str(len(items)).encode(), {"Content-Type": "text/plain; charset=utf-8"})
        base = f"{self._base_url()}/{version}"
        body = queries.page(items, query, self.page_size, lambda options: f"{base}/communications/presences?{options}")
        context = f"{base}/$metadata#communications/presences{queries.context_select(query.select)}"
        return Response(200, {"@odata.context": context, **body})

    def _action(self, version: str, action: str, user: str, body: dict[str, Any],
                claims: dict[str, Any]) -> Response:
        """Validate the body, then check the permission, then act (the observed order, §2.5)."""
        parsed: Any = {
            "setPresence": presence.parse_session,
            "clearPresence": presence.parse_clear_session,
            "setUserPreferredPresence": presence.parse_preferred,
            "setStatusMessage": presence.parse_status_message,
            "setAutomaticLocation": lambda b: presence.parse_location(b, version),
            "setManualLocation": lambda b: presence.parse_location(b, version),
        }.get(action, lambda _: None)(body)
        unknown = _unknown_parameters(action, body)
        if unknown and self.strict:
            raise GraphError(400, "BadRequest", f"The parameter '{unknown[0]}' in the request payload is not a "
                             f"valid parameter for the operation '{action}'.")
        self._authorize(claims, user, write=True, delegated_only=action in _LOCATION_ACTIONS)
        if action == "setPresence":
            self.store.set_presence(user, parsed)
        elif action == "clearPresence":
            self.store.clear_presence(user, parsed)
        elif action == "setUserPreferredPresence":
            self.store.set_preferred(user, parsed)
        elif action == "clearUserPreferredPresence":
            self.store.clear_preferred(user)
        elif action == "setStatusMessage":
            self.store.set_status_message(user, parsed)
        elif action == "setAutomaticLocation":
            self.store.set_location(user, "automatic", parsed)
        elif action == "setManualLocation":
            self.store.set_location(user, "manual", parsed)
        elif action == "clearAutomaticLocation":
            self.store.clear_locations(user, ("automatic",))
        else:
            self.store.clear_locations(user, ("manual", "automatic"))
        if version == "beta" and action in ("setAutomaticLocation", "setManualLocation", "clearAutomaticLocation"):
            return Response(204)
        return Response(200)

    def _bulk(self, version: str, body: dict[str, Any], claims: dict[str, Any]) -> Response:
        ids = body.get("ids")
        if not isinstance(ids, list) or not ids:
            raise GraphError(400, "BadRequest", "[Ids]: a non-empty list of user ids is required.")
        bad = next((n for n, i in enumerate(ids) if not isinstance(i, str) or not i), None)
        if bad is not None:
            raise GraphError(400, "BadRequest", f"[Ids]: item {bad} is {json.dumps(ids[bad])}; each id must be a "
                             "non-empty string (a user's object id).")
        if len(ids) > MAX_IDS:
            raise GraphError(400, "BadRequest", f"[Ids]: at most {MAX_IDS} ids are supported per request.")
        self._authorize(claims, None, write=False)
        value = []
        for user in ids:
            try:
                value.append(self.store.view(user, own=False))
            except GraphError:   # unknown user in a strict tenant (*unconfirmed*: Graph may answer 400/404)
                value.append({"id": user, "availability": "PresenceUnknown", "activity": "PresenceUnknown"})
        context = f"{self._base_url()}/{version}/$metadata#Collection(microsoft.graph.presence)"
        return Response(200, {"@odata.context": context, "value": value})

    def _batch(self, version: str, body: dict[str, Any], claims: dict[str, Any]) -> Response:
        """JSON batching (§6): 200 with one sub-response per request; 400 when the batch itself is bad."""
        requests = body.get("requests")
        if not isinstance(requests, list):
            raise GraphError(400, "BadRequest", "Invalid batch payload format: 'requests' must be a list.")
        if len(requests) > MAX_BATCH:
            raise GraphError(400, "MaximumValueExceeded",
                             f"Number of batch request steps exceeds the maximum value of {MAX_BATCH}.")
        seen: set[str] = set()
        for item in requests:
            _check_batch_step(item)
            if item["id"] in seen:
                raise GraphError(400, "BadRequest", f"Batch request id '{item['id']}' is used more than once.")
            seen.add(item["id"])
        for item in requests:
            depends = item.get("dependsOn") or []
            if any(d not in seen or d == item["id"] for d in depends):
                raise GraphError(400, "BadRequest", f"Batch request '{item['id']}' depends on an id that is not "
                                 "another request of this batch.")
        statuses: dict[str, int] = {}
        responses = []
        for item in requests:
            sub = self._batch_step(version, item, claims, statuses)
            statuses[item["id"]] = sub.status
            entry: dict[str, Any] = {"id": item["id"], "status": sub.status, "headers": sub.headers}
            if isinstance(sub.body, bytes):
                entry["body"] = sub.body.decode("utf-8", "replace")
            elif sub.body is not None:
                entry["body"] = sub.body
            responses.append(entry)
        return Response(200, {"responses": responses})

    def _batch_step(self, version: str, item: dict[str, Any], claims: dict[str, Any],
                    statuses: dict[str, int]) -> Response:
        request_id, client_request_id = str(uuid.uuid4()), str(uuid.uuid4())
        try:
            depends = item.get("dependsOn") or []
            if any(statuses.get(d, 424) >= 400 for d in depends):
                raise GraphError(424, "FailedDependency", "A request this request depends on failed.")
            url = item["url"]
            if "://" in url:
                raise GraphError(400, "BadRequest", "Batch request URLs must be relative.")
            path = f"/{version}/{url.lstrip('/')}"
            headers = {k.lower(): str(v) for k, v in (item.get("headers") or {}).items()}
            has_body = item.get("body") is not None
            if has_body and "content-type" not in headers:
                raise GraphError(400, "BadRequest", "A batch request with a body needs a Content-Type header.")
            fault = self.faults.pick(item["method"].upper(), unquote(path.split("?", 1)[0]), kinds=STATUS_KINDS)
            if fault is not None:
                raise self.fault_response(fault.kind, fault.retry_after)
            raw = json.dumps(item["body"]).encode() if has_body else b""
            sub = self._handle(item["method"].upper(), path, headers, raw, claims, in_batch=True)
            sub.headers.setdefault("Content-Type", "application/json")
            return sub
        except GraphError as exc:
            return Response(exc.status, self.envelope(exc, request_id, client_request_id),
                            {"Content-Type": "application/json", **exc.headers})

    # -- tokens and permissions --------------------------------------------------------------
    def _authenticate(self, headers: dict[str, str]) -> dict[str, Any]:
        scheme, _, token = headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise GraphError(401, "InvalidAuthenticationToken", "Access token is empty.")
        try:
            return self.tenant.validate(token.strip(), self._audiences())
        except TokenError as exc:
            raise GraphError(401, "InvalidAuthenticationToken", str(exc)) from exc

    def _me(self, claims: dict[str, Any]) -> str:
        if claims.get("scp") is None:
            raise GraphError(400, "BadRequest", "/me request is only valid with delegated authentication flow.")
        return str(claims.get("oid"))

    @staticmethod
    def _own(claims: dict[str, Any], user: str) -> bool:
        """Whether a read is the signed-in user's own (they see their status message's dates, §1.4)."""
        return claims.get("scp") is not None and claims.get("oid") == user

    def _authorize(self, claims: dict[str, Any], user: str | None, *, write: bool, delegated_only: bool = False) -> None:
        """Presence permissions (§2.1): roles for app tokens, scopes (self or .All) for delegated ones;
        ``delegated_only`` refuses app tokens (the location actions, §2.9)."""
        if claims.get("scp") is None:
            if delegated_only:
                raise GraphError(403, "Forbidden", "This action is not supported with application permissions; "
                                 "it needs a delegated token with Presence.ReadWrite (the user's own sign-in).")
            roles = set(claims.get("roles") or [])
            needed = ("Presence.ReadWrite.All",) if write else _READ
            if not roles.intersection(needed):
                raise GraphError(403, "Forbidden", f"The token lacks the application permission: one of "
                                 f"{', '.join(needed)} is required.")
            return
        scopes = set(str(claims["scp"]).split())
        own = user is not None and user == claims.get("oid")
        if write:
            needed = ("Presence.ReadWrite", "Presence.ReadWrite.All")
        else:
            needed = ("Presence.Read", "Presence.ReadWrite", *_READ) if own else _READ
        if not scopes.intersection(needed):
            raise GraphError(403, "Forbidden", f"The token lacks the delegated permission: one of "
                             f"{', '.join(needed)} is required.")
        if write and not own:
            raise GraphError(401, "Unauthorized", "Cannot set the presence of another user.")


def _route(segments: list[str]) -> _Route:
    """The route for the path segments after the version (already percent-decoded)."""
    def action_name(segment: str) -> str | None:
        name = segment[len("microsoft.graph."):] if segment.startswith("microsoft.graph.") else segment
        return name if name in _ACTIONS else None

    n = len(segments)
    if segments == ["$batch"]:
        return _Route("batch")
    if n == 2 and segments[0] == "communications" and segments[1] in (
            "getPresencesByUserId", "microsoft.graph.getPresencesByUserId"):
        return _Route("bulk")
    if segments == ["communications", "presences"]:
        return _Route("list")
    if segments == ["communications", "presences", "$count"]:
        return _Route("count")
    if segments == ["me"]:
        return _Route("user")
    if n == 2 and segments[0] == "users" and segments[1]:
        return _Route("user", segments[1])
    base: tuple[str | None, int] | None = None
    if n >= 2 and segments[:2] == ["me", "presence"]:
        base = (None, 2)
    elif n >= 3 and segments[0] == "users" and segments[2] == "presence" and segments[1]:
        base = (segments[1], 3)
    elif n >= 3 and segments[:2] == ["communications", "presences"] and segments[2]:
        base = (segments[2], 3)
    if base is not None:
        user, length = base
        if n == length:
            return _Route("entity", user)
        if n == length + 1 and (action := action_name(segments[length])):
            return _Route("action", user, action)
    raise GraphError(400, "BadRequest", f"Resource not found for the segment '{segments[-1] if segments else ''}'.")


def _not_supported(method: str, what: str) -> GraphError:
    """PATCH of a presence answers 404 NotFound (observed, MSP #3287); POST and DELETE alike (*unconfirmed*)."""
    verb = {"POST": "create presences", "PATCH": "update a presence", "DELETE": "delete a presence"}[method]
    return GraphError(404, "NotFound", f"The presence service does not {verb} ({method} on {what}); use the "
                      "presence actions: setPresence, setUserPreferredPresence, setStatusMessage, "
                      "setManualLocation and their clear counterparts.")


def _check_batch_step(item: Any) -> None:
    """The shape of one ``$batch`` request (§6); 400 for the whole batch when it is wrong."""
    if not isinstance(item, dict) or not all(isinstance(item.get(k), str) and item.get(k)
                                             for k in ("id", "method", "url")):
        raise GraphError(400, "BadRequest", "Every batch request needs string 'id', 'method' and 'url'.")
    if item["method"].upper() not in _BATCH_METHODS:
        raise GraphError(400, "BadRequest", f"Batch request '{item['id']}' has the method '{item['method']}'; "
                         f"use one of {', '.join(_BATCH_METHODS)}.")
    headers = item.get("headers")
    if headers is not None and (not isinstance(headers, dict) or not all(
            isinstance(v, (str, int, float)) and not isinstance(v, bool) for v in headers.values())):
        raise GraphError(400, "BadRequest", f"Batch request '{item['id']}': 'headers' must be an object of "
                         "header names and string values.")
    depends = item.get("dependsOn")
    if depends is not None and (not isinstance(depends, list) or not all(isinstance(d, str) for d in depends)):
        raise GraphError(400, "BadRequest", f"Batch request '{item['id']}': 'dependsOn' must be a list of "
                         "request ids.")


def _json_body(headers: dict[str, str], body: bytes) -> dict[str, Any]:
    if not body.strip():
        return {}
    if "json" not in headers.get("content-type", "").lower():
        raise GraphError(415, "UnsupportedMediaType",
                         "The request body must be sent as Content-Type: application/json.")
    try:
        value = wire.load_json(body)
    except ValueError as exc:
        raise GraphError(400, "BadRequest", "Unable to read JSON request payload. Please ensure Content-Type "
                         f"header is set and payload is of valid JSON format. {exc}") from None
    if not isinstance(value, dict):
        raise GraphError(400, "BadRequest", "The request body must be a JSON object.")
    return value


_PARAMETERS: dict[str, set[str]] = {
    "setPresence": {"sessionid", "availability", "activity", "expirationduration"},
    "clearPresence": {"sessionid"},
    "setUserPreferredPresence": {"availability", "activity", "expirationduration"},
    "clearUserPreferredPresence": set(),
    "setStatusMessage": {"statusmessage"},
    "setAutomaticLocation": {"worklocationtype", "placeid"},
    "setManualLocation": {"worklocationtype", "placeid"},
    "clearAutomaticLocation": set(),
    "clearLocation": set(),
}


def _unknown_parameters(action: str, body: dict[str, Any]) -> list[str]:
    """Body properties the action does not declare (annotations such as ``@odata.type`` excepted)."""
    allowed = _PARAMETERS[action]
    return [k for k in body if k.lower() not in allowed and not k.startswith("@")]


def _seconds(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"
