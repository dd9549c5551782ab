"""The presence model: sessions, preferred presence, status messages, and how they aggregate.

Every rule cites graph-presence.md (the project's sourced fact sheet). Where Microsoft does not
document a behaviour the choice made here is marked *unconfirmed* and kept in one place.

Aggregation (§3.4, §3.5): a user with no live session is ``Offline/Offline``; otherwise a live
preferred presence wins; otherwise the strongest session (DoNotDisturb > Busy > Available > Away).
An ``Available`` session that is not refreshed fades: after 5 minutes to ``AvailableIdle/Inactive``
(*unconfirmed* wire value for the documented "AvailableInactive"), after 10 minutes to ``Away/Away``.
"""

from __future__ import annotations

import itertools
import re
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Mapping
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .clock import Clock
from .durations import parse_duration


class GraphError(Exception):
    """A Graph error response: HTTP status plus the envelope's ``code`` and ``message``."""

    def __init__(self, status: int, code: str, message: str, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status, self.code, self.message = status, code, message
        self.headers = dict(headers or {})


AVAILABILITY = ("Available", "AvailableIdle", "Away", "BeRightBack", "Busy", "BusyIdle",
                "DoNotDisturb", "Offline", "PresenceUnknown")
ACTIVITY = ("Available", "Away", "BeRightBack", "Busy", "DoNotDisturb", "InACall", "InAConferenceCall",
            "Inactive", "InAMeeting", "Offline", "OffWork", "OutOfOffice", "PresenceUnknown", "Presenting",
            "UrgentInterruptionsOnly", "Focusing")

#: setPresence pairs (§3.1, current v1.0 and beta).
SESSION_PAIRS = frozenset({("Available", "Available"), ("Busy", "InACall"), ("Busy", "InAConferenceCall"),
                           ("Away", "Away"), ("DoNotDisturb", "Presenting")})

#: setUserPreferredPresence pairs and their default expiry when expirationDuration is omitted (§3.2).
PREFERRED_PAIRS: dict[tuple[str, str], timedelta] = {
    ("Available", "Available"): timedelta(days=7),
    ("Busy", "Busy"): timedelta(days=1),
    ("DoNotDisturb", "DoNotDisturb"): timedelta(days=1),
    ("BeRightBack", "BeRightBack"): timedelta(days=7),
    ("Away", "Away"): timedelta(days=7),
    ("Offline", "OffWork"): timedelta(days=7),
}

#: No bound is documented for setUserPreferredPresence (§3.3); beyond ten years is refused (*unconfirmed*)
#: so that every expiry stays a valid date.
MAX_PREFERRED_EXPIRY = timedelta(days=3653)
SESSION_DEFAULT_EXPIRY = timedelta(minutes=5)                          # §2.4
SESSION_EXPIRY_RANGE = (timedelta(minutes=5), timedelta(hours=4))      # §3.3, inclusive
FADE_IDLE, FADE_AWAY = timedelta(minutes=5), timedelta(minutes=10)     # §3.4

#: Among sessions: DoNotDisturb > Busy > Available > Away (§3.5); the fade states rank just below their source.
_RANK = {"DoNotDisturb": 6, "Busy": 5, "BusyIdle": 4, "Available": 3, "AvailableIdle": 2, "Away": 1, "BeRightBack": 1}

_CANONICAL = {v.lower(): v for v in (*AVAILABILITY, *ACTIVITY)}


@dataclass
class Session:
    availability: str
    activity: str
    refreshed_at: datetime
    expires_at: datetime | None          # None: a simulated Teams client, live until removed


@dataclass
class Preferred:
    availability: str
    activity: str
    expires_at: datetime


@dataclass(frozen=True)
class WorkLocation:
    """One layer's work-location signal (§2.9): a workLocationType and an optional place."""

    work_location_type: str
    place_id: str | None = None


@dataclass
class UserPresence:
    id: str
    sessions: dict[str, Session] = field(default_factory=dict)
    preferred: Preferred | None = None
    status_message: dict[str, Any] | None = None
    locations: dict[str, WorkLocation] = field(default_factory=dict)   # layer (manual, automatic, scheduled)
    sequence_number: str = "A0000000000"
    observed: tuple[Any, ...] | None = None      # what the last read showed, to version time-driven changes


class PresenceStore:
    """All users' presence state, guarded by one lock; every method takes the clock's ``now``."""

    def __init__(self, clock: Clock, *, auto_create_users: bool = True) -> None:
        self.clock = clock
        self.auto_create_users = auto_create_users
        self._lock = threading.RLock()
        self._users: dict[str, UserPresence] = {}
        self._added: set[str] = set()       # users added explicitly (they outlive reset())
        self._sequence = itertools.count(1)

    # -- users -----------------------------------------------------------------------------
    def add_user(self, user_id: str) -> UserPresence:
        with self._lock:
            self._added.add(user_id)
            return self._users.setdefault(user_id, UserPresence(user_id))

    def user(self, user_id: str) -> UserPresence:
        """The user, created on first use unless the tenant is strict (then 404, *unconfirmed* body)."""
        with self._lock:
            found = self._users.get(user_id)
            if found is None:
                if not self.auto_create_users:
                    raise GraphError(404, "NotFound", f"The user '{user_id}' was not found in this tenant.")
                found = self._users.setdefault(user_id, UserPresence(user_id))
            return found

    def reset(self) -> None:
        """Forget every session, preference, message and location, and the users the open tenant made
        up on first use; users added with ``add_user`` stay (empty)."""
        with self._lock:
            self._users = {user_id: UserPresence(user_id) for user_id in self._added}

    def _bump(self, user: UserPresence) -> None:
        """A new version of the presence object (§3.5: a lexicographically sortable, fixed-width stamp)."""
        user.sequence_number = f"A{next(self._sequence):010d}"
        user.observed = None

    # -- actions (bodies are parsed by the parse_* functions first) -------------------------
    def set_presence(self, user_id: str, request: SessionRequest) -> None:
        """setPresence (§2.4): create or refresh the application's session for the user."""
        with self._lock:
            user = self.user(user_id)
            now = self.clock.now()
            user.sessions[request.session_id] = Session(request.availability, request.activity, now,
                                                        now + request.duration)
            self._bump(user)

    def clear_presence(self, user_id: str, session_id: str) -> None:
        """clearPresence (§2.5): remove the session; 404 when it does not exist."""
        with self._lock:
            user = self.user(user_id)
            self._drop_expired(user)
            if user.sessions.pop(session_id, None) is None:
                raise GraphError(404, "NotFound", f"The presence session '{session_id}' does not exist.")
            self._bump(user)

    def set_preferred(self, user_id: str, request: PreferredRequest) -> None:
        """setUserPreferredPresence (§2.6): the preference, expiring ``request.duration`` from now."""
        with self._lock:
            user = self.user(user_id)
            user.preferred = Preferred(request.availability, request.activity, self.clock.now() + request.duration)
            self._bump(user)

    def clear_preferred(self, user_id: str) -> None:
        """clearUserPreferredPresence (§2.7): 200 even when nothing is set."""
        with self._lock:
            user = self.user(user_id)
            user.preferred = None
            self._bump(user)

    def set_status_message(self, user_id: str, status: dict[str, Any]) -> None:
        """setStatusMessage (§2.8): stored with its publish time."""
        with self._lock:
            user = self.user(user_id)
            user.status_message = {**status, "publishedDateTime": self.clock.now().strftime("%Y-%m-%dT%H:%M:%S.%fZ")}
            self._bump(user)

    def set_location(self, user_id: str, layer: str, location: WorkLocation) -> None:
        """setManualLocation / setAutomaticLocation (§2.9), or the test hook for the scheduled layer:
        replaces that layer's signal and leaves the others alone ("It doesn't clear manual or
        scheduled signals")."""
        with self._lock:
            user = self.user(user_id)
            user.locations[layer] = location
            self._bump(user)

    def clear_locations(self, user_id: str, layers: tuple[str, ...]) -> None:
        """clearAutomaticLocation (the automatic layer) and clearLocation (manual and automatic), §2.9."""
        with self._lock:
            user = self.user(user_id)
            for layer in layers:
                user.locations.pop(layer, None)
            self._bump(user)

    def add_client_session(self, user_id: str, availability: str = "Available", activity: str = "Available",
                           session_id: str = "teams-client") -> None:
        """Test hook: the user signs in to a Teams client (a session that never expires, §3.4)."""
        with self._lock:
            user = self.user(user_id)
            user.sessions[session_id] = Session(availability, activity, self.clock.now(), None)
            self._bump(user)

    # -- reading ---------------------------------------------------------------------------
    def _peek(self, user_id: str) -> UserPresence:
        """The user for reading: an unknown user of the open tenant reads as a fresh (Offline) user."""
        found = self._users.get(user_id)
        if found is None:
            if not self.auto_create_users:
                raise GraphError(404, "NotFound", f"The user '{user_id}' was not found in this tenant.")
            return UserPresence(user_id)
        return found

    def aggregate(self, user_id: str) -> tuple[str, str]:
        """The (availability, activity) a GET shows now."""
        with self._lock:
            user = self._peek(user_id)
            now = self.clock.now()
            self._drop_expired(user)
            if not user.sessions:
                return ("Offline", "Offline")
            if user.preferred is not None and user.preferred.expires_at > now:
                return (user.preferred.availability, user.preferred.activity)
            states = [_faded(s, now) for s in user.sessions.values()]
            return max(states, key=lambda pair: _RANK.get(pair[0], 0))

    def view(self, user_id: str, *, own: bool) -> dict[str, Any]:
        """The presence resource (§1.1); another user's view omits the status message's dates (§1.4)."""
        with self._lock:
            availability, activity = self.aggregate(user_id)
            user = self._peek(user_id)
            status = user.status_message
            expiry = status and status.get("expiryDateTime")
            if expiry and (instant := expiry_instant(expiry)) is not None and instant <= self.clock.now():
                status = None   # "If not provided, the status message doesn't expire" (§1.4): so it does when given
            stored = self._users.get(user_id)
            if stored is not None:   # expiry and fade change the object without a write: version them too
                snapshot = (availability, activity, repr(status))
                if stored.observed is not None and stored.observed != snapshot:
                    self._bump(stored)
                stored.observed = snapshot
            if status is not None and not own:
                status = {"message": status["message"]}
            return {
                "id": user_id,
                "availability": availability,
                "activity": activity,
                "statusMessage": status,
                "outOfOfficeSettings": {"message": None, "isOutOfOffice": False},
                "workLocation": _work_location(user.locations),
                "sequenceNumber": user.sequence_number,
            }

    def preferred(self, user_id: str) -> Preferred | None:
        """The stored preferred presence (expired or not), for tests and the demo."""
        with self._lock:
            return self._peek(user_id).preferred

    def sessions(self, user_id: str) -> dict[str, Session]:
        with self._lock:
            return dict(self._peek(user_id).sessions)

    def user_ids(self) -> list[str]:
        with self._lock:
            return list(self._users)

    def _drop_expired(self, user: UserPresence) -> None:
        now = self.clock.now()
        for key, session in list(user.sessions.items()):
            if session.expires_at is not None and session.expires_at <= now:
                del user.sessions[key]


@dataclass(frozen=True)
class SessionRequest:
    session_id: str
    availability: str
    activity: str
    duration: timedelta


@dataclass(frozen=True)
class PreferredRequest:
    availability: str
    activity: str
    duration: timedelta


def parse_session(body: Mapping[str, Any]) -> SessionRequest:
    """A setPresence body: sessionId, one of the 5 pairs (§3.1), expiry PT5M..PT4H, default 5 minutes."""
    session_id = _required_text(body, "sessionId")
    availability, activity = _pair(body, SESSION_PAIRS, "setPresence")
    return SessionRequest(session_id, availability, activity,
                          _duration(body, SESSION_DEFAULT_EXPIRY, SESSION_EXPIRY_RANGE))


def parse_clear_session(body: Mapping[str, Any]) -> str:
    """A clearPresence body: the sessionId (required, §2.5)."""
    return _required_text(body, "sessionId")


def parse_preferred(body: Mapping[str, Any]) -> PreferredRequest:
    """A setUserPreferredPresence body: one of the 6 pairs; default expiry 1 day (Busy, DoNotDisturb) or 7 days.

    No bounds are documented (§3.3); only a non-positive duration is refused here (*unconfirmed*).
    """
    availability, activity = _pair(body, PREFERRED_PAIRS, "setUserPreferredPresence")
    return PreferredRequest(availability, activity, _duration(
        body, PREFERRED_PAIRS[(availability, activity)], (timedelta(seconds=1), None)))


def parse_status_message(body: Mapping[str, Any]) -> dict[str, Any]:
    """A setStatusMessage body (§1.4): ``message.contentType`` must be text; the expiry is optional."""
    status = _get(body, "statusMessage")
    if not isinstance(status, Mapping):
        raise GraphError(400, "InvalidArgument", "[StatusMessage]: The StatusMessage field is required.")
    message = _get(status, "message")
    if not isinstance(message, Mapping) or not isinstance(_get(message, "content"), str):
        raise GraphError(400, "InvalidArgument", "[StatusMessage.Message]: The Message field is required.")
    content_type = _get(message, "contentType") or "text"
    if str(content_type).lower() != "text":
        raise GraphError(400, "InvalidArgument",
                         f"[StatusMessage.Message.ContentType]: '{content_type}' is not supported; use 'text'.")
    expiry = _get(status, "expiryDateTime")
    if expiry is not None and (not isinstance(expiry, Mapping) or expiry_instant(expiry) is None):
        raise GraphError(400, "InvalidArgument", "[StatusMessage.ExpiryDateTime]: expected a dateTimeTimeZone "
                         "object: a dateTime without offset (e.g. 2026-10-18T17:05:33) and a timeZone.")
    return {"message": {"content": _get(message, "content"), "contentType": "text"},
            "expiryDateTime": dict(expiry) if expiry else None}


#: Windows zone names Graph's dateTimeTimeZone commonly carries, mapped to IANA names (a small subset).
_WINDOWS_ZONES = {
    "pacific standard time": "America/Los_Angeles", "mountain standard time": "America/Denver",
    "central standard time": "America/Chicago", "eastern standard time": "America/New_York",
    "gmt standard time": "Europe/London", "w. europe standard time": "Europe/Berlin",
    "romance standard time": "Europe/Paris", "central europe standard time": "Europe/Budapest",
    "india standard time": "Asia/Kolkata", "tokyo standard time": "Asia/Tokyo",
    "aus eastern standard time": "Australia/Sydney", "coordinated universal time": "UTC",
}


def expiry_instant(value: Mapping[str, Any]) -> datetime | None:
    """The instant a dateTimeTimeZone denotes (§1.4: ``dateTime`` carries no offset), or None if malformed.

    Zones: ``UTC``, IANA names, and common Windows names; an unknown zone name is read as UTC
    (*unconfirmed*: Graph accepts the full Windows list).
    """
    text, zone = _get(value, "dateTime"), str(_get(value, "timeZone") or "UTC")
    if not isinstance(text, str):
        return None
    match = re.fullmatch(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,7}))?", text)
    if match is None:
        return None
    moment = datetime.fromisoformat(match[1]).replace(microsecond=int((match[2] or "0")[:6].ljust(6, "0")))
    name = _WINDOWS_ZONES.get(zone.lower(), zone)
    try:
        tz = timezone.utc if name.upper() == "UTC" else ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        tz = timezone.utc
    return moment.replace(tzinfo=tz).astimezone(timezone.utc)


#: Work-location layers, strongest first: "manual > automatic > scheduled" (§2.9).
LOCATION_LAYERS = ("manual", "automatic", "scheduled")
#: workLocationType values (§1.4); setters accept all of them in beta and these three in v1.0 (§2.9).
WORK_LOCATION_TYPES = ("unspecified", "office", "remote", "timeOff", "unknownFutureValue")
V1_WORK_LOCATION_TYPES = ("office", "remote", "timeOff")


def _work_location(locations: Mapping[str, WorkLocation]) -> dict[str, Any]:
    """The aggregated userWorkLocation (§2.9): the strongest layer that has a signal, else none/unspecified.

    One signal per layer is kept (the last one set), so "more precise wins within a layer" does
    not arise here (*unconfirmed*: how several clients' automatic signals combine). Signals stay
    until cleared (*unconfirmed*: clearLocation speaks of "the current date").
    """
    for layer in LOCATION_LAYERS:
        found = locations.get(layer)
        if found is not None:
            return {"workLocationType": found.work_location_type, "source": layer, "placeId": found.place_id}
    return {"workLocationType": "unspecified", "source": "none", "placeId": None}


def parse_location(body: Mapping[str, Any], version: str) -> WorkLocation:
    """A setManualLocation / setAutomaticLocation body: workLocationType (required; v1.0 takes office,
    remote, timeOff; beta every value of the enum) and an optional placeId (§2.9)."""
    allowed = V1_WORK_LOCATION_TYPES if version == "v1.0" else WORK_LOCATION_TYPES
    raw = _required_text(body, "workLocationType")
    value = {v.lower(): v for v in WORK_LOCATION_TYPES}.get(raw.strip().lower())
    if value not in allowed:
        raise GraphError(400, "InvalidArgument", f"[WorkLocationType]: '{raw}' is not supported by this version "
                         f"({version}); use one of {', '.join(allowed)}.")
    place = _get(body, "placeId")
    if place is not None and not isinstance(place, str):
        raise GraphError(400, "InvalidArgument", "[PlaceId]: The PlaceId field must be a string.")
    return WorkLocation(value, place or None)


def _faded(session: Session, now: datetime) -> tuple[str, str]:
    """The fade of an idle Available app session; a simulated Teams client keeps itself active."""
    if session.availability != "Available" or session.expires_at is None:
        return (session.availability, session.activity)
    idle = now - session.refreshed_at
    if idle >= FADE_AWAY:
        return ("Away", "Away")
    if idle >= FADE_IDLE:
        return ("AvailableIdle", "Inactive")
    return (session.availability, session.activity)


def _get(body: Mapping[str, Any], name: str) -> Any:
    """A body property by name, case-insensitively (*unconfirmed*: Graph's exact casing rules)."""
    if name in body:
        return body[name]
    lowered = name.lower()
    return next((v for k, v in body.items() if k.lower() == lowered), None)


def _required_text(body: Mapping[str, Any], name: str) -> str:
    """A required string property; the message shape is the observed one (§2.5)."""
    value = _get(body, name)
    label = name[0].upper() + name[1:]
    if value is None or (isinstance(value, str) and not value.strip()):
        raise GraphError(400, "InvalidArgument", f"[{label}]: The {label} field is required.")
    if not isinstance(value, str):
        raise GraphError(400, "InvalidArgument", f"[{label}]: The {label} field must be a string.")
    return value


def _pair(body: Mapping[str, Any], allowed: Any, action: str) -> tuple[str, str]:
    """The (availability, activity) pair in canonical PascalCase, if ``action`` allows it."""
    raw = (_required_text(body, "availability"), _required_text(body, "activity"))
    pair = (_CANONICAL.get(raw[0].lower(), raw[0]), _CANONICAL.get(raw[1].lower(), raw[1]))
    if pair not in allowed:
        pairs = ", ".join(f"{a}/{b}" for a, b in sorted(allowed))
        raise GraphError(400, "InvalidArgument",
                         f"[Availability, Activity]: {raw[0]}/{raw[1]} is not supported by {action}; "
                         f"supported pairs: {pairs}.")
    return pair


def _duration(body: Mapping[str, Any], default: timedelta,
              bounds: tuple[timedelta, timedelta | None]) -> timedelta:
    raw = _get(body, "expirationDuration")
    if raw is None:
        return default
    value = parse_duration(raw)
    if value is None:
        raise GraphError(400, "InvalidArgument",
                         f"[ExpirationDuration]: '{raw}' is not a valid ISO 8601 duration.")
    low, high = bounds
    if value < low or value > (high if high is not None else MAX_PREFERRED_EXPIRY):
        raise GraphError(400, "InvalidArgument", "The provided [ExpirationDuration] is out of range.")
    return value
