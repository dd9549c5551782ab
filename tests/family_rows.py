"""One representative invocation per cmdlet and parameter set of the presence family, from the specs.

``rows()`` reads every spec with a ``graph`` section, so a cmdlet is covered the moment its spec
(its help page) is added. Each row has the parameters to pass and what must reach Graph: the
method, the path with its query string, the JSON body, and the kind of output. The expected wire
values are written out here by hand (from Graph's documented request bodies and the original's
observed serialisation), not computed by the code under test.

Users: the invocations act on ``USER`` with a delegated token of ``USER`` (the location actions
take delegated sign-ins only, and a delegated write may only change its own presence).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from pwshcompat import spec as specs
from pwshcompat.conversion import TimeSpan

USER = "6e7b0b1c-8a1f-4f3e-9f1a-2b3c4d5e6f70"  # the emulator tenant's default user
OTHER = "0a0b0c0d-0000-4000-8000-000000000002"
APP = "0c9d7a52-3b8e-4d61-a2f4-7e5b1c3d9a80"  # the emulator's default client id (the session id)
SCOPES = "Presence.ReadWrite Presence.Read.All"

# Member values per body model kind, as a caller passes them (PowerShell names, expanded parameters)
# and as Graph must receive them (wire names, in the original's order).
STATUS_MESSAGE = {"Message": {"Content": "In a workshop", "ContentType": "text"},
                  "ExpiryDateTime": {"DateTime": "2030-01-02T12:00:00", "TimeZone": "UTC"}}
STATUS_MESSAGE_WIRE = {"message": {"content": "In a workshop", "contentType": "text"},
                       "expiryDateTime": {"dateTime": "2030-01-02T12:00:00", "timeZone": "UTC"}}
HOUR = TimeSpan(36_000_000_000)
BODIES: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    "setPresence": ({"SessionId": APP, "Availability": "Busy", "Activity": "InACall", "ExpirationDuration": HOUR},
                    {"sessionId": APP, "availability": "Busy", "activity": "InACall", "expirationDuration": "PT1H"}),
    "clearPresence": ({"SessionId": APP}, {"sessionId": APP}),
    "setUserPreferredPresence": ({"Availability": "DoNotDisturb", "Activity": "DoNotDisturb", "ExpirationDuration": HOUR},
                                 {"availability": "DoNotDisturb", "activity": "DoNotDisturb", "expirationDuration": "PT1H"}),
    "setStatusMessage": ({"StatusMessage": STATUS_MESSAGE}, {"statusMessage": STATUS_MESSAGE_WIRE}),
    "setAutomaticLocation": ({"WorkLocationType": "office", "PlaceId": "building-1"},
                             {"workLocationType": "office", "placeId": "building-1"}),
    "setManualLocation": ({"WorkLocationType": "remote"}, {"workLocationType": "remote"}),
    "getPresencesByUserId": ({"Ids": [USER, OTHER]}, {"ids": [USER, OTHER]}),
    "create": ({"Id": USER, "Availability": "Available", "Activity": "Available",
                "OutOfOfficeSettings": {"IsOutOfOffice": True, "Message": "Back Monday"}},
               {"id": USER, "activity": "Available", "availability": "Available",
                "outOfOfficeSettings": {"isOutOfOffice": True, "message": "Back Monday"}}),
    "update": ({"StatusMessage": STATUS_MESSAGE, "WorkLocation": {"WorkLocationType": "office"}},
               {"statusMessage": STATUS_MESSAGE_WIRE, "workLocation": {"workLocationType": "office"}}),
}
EXTRA = {"note": "sent as given"}  # -AdditionalProperties: sent first, as the original does

# Query options per read kind: (parameters, the query string the original sends).
QUERIES: dict[tuple[str, str], tuple[dict[str, Any], str]] = {
    ("list", "List"): ({"Top": 3, "Sort": ["id"], "Property": ["id", "availability", "activity"], "CountVariable": "familyCount"},
                       "?$top=3&$count=true&$orderby=id&$select=id%2Cavailability%2Cactivity"),
    ("list", "Get"): ({"Property": ["id", "availability"]}, "?$select=id%2Cavailability"),
    ("list", "GetViaIdentity"): ({"Property": ["id", "availability"]}, "?$select=id%2Cavailability"),
    ("get", "Get"): ({"Property": ["id", "availability", "activity"]}, "?$select=id%2Cavailability%2Cactivity"),
    ("get", "GetViaIdentity"): ({}, ""),
    ("count", "Get"): ({"Filter": "availability eq 'Offline'"}, "?$filter=availability%20eq%20%27Offline%27"),
}


@dataclass
class Row:
    """One invocation and what Graph must receive for it."""

    command: str
    parameter_set: str
    kind: str
    parameters: dict[str, Any]
    method: str
    path: str
    body: dict[str, Any] | None
    output: str  # passThru | model | collection | values | count
    module: str
    internal_type: str
    namespace: str
    setup: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    @property
    def id(self) -> str:
        return f"{self.command}:{self.parameter_set}"

    def prepare(self) -> None:
        """Run the row's setup commands through the Python API (what the emulator must hold first)."""
        import pwshcompat

        for command, parameters in self.setup:
            pwshcompat.invoke(command, **parameters)


def _row(s: specs.CommandSpec, set_name: str) -> Row:
    assert s.graph is not None
    graph = s.graph
    op = graph.operation_for(set_name)
    kind = s.kind
    assert kind is not None
    parameters: dict[str, Any] = {}
    for p in graph.path_parameters:
        if "{" + p.name + "}" not in op.path:
            continue
        if op.via_identity:
            parameters[graph.identity_parameter or "InputObject"] = {p.identity_property: USER}
        else:
            parameters[p.parameter] = USER
    path = f"/{graph.api_version}" + op.path.replace("{presence-id}", USER).replace("{user-id}", USER)
    query, query_text = QUERIES.get((kind, set_name), ({}, ""))
    parameters.update(query)
    body: dict[str, Any] | None = None
    if op.body != "none":
        given, wire = BODIES[kind]
        if op.body == "whole":
            # The whole body as a hashtable with the wire names in another case, as documentation snippets write it.
            parameters["BodyParameter"] = {k[0].upper() + k[1:]: v for k, v in wire.items()}
            body = dict(wire)
        else:
            parameters.update(given)
            parameters["AdditionalProperties"] = dict(EXTRA)
            body = {**EXTRA, **wire}
    elif op.method == "POST":
        body = None  # an action without a request body sends none
    if kind == "delete":
        parameters["IfMatch"] = 'W/"1"'
    if op.response == "passThru":
        parameters["PassThru"] = True
    setup: list[tuple[str, dict[str, Any]]] = []
    if kind in ("clearPresence", "list", "count"):
        # A session to clear (clearPresence answers 404 for a session that does not exist), and a
        # presence the collection holds.
        setter = "Set-MgBetaUserPresence" if graph.api_version == "beta" else "Set-MgUserPresence"
        setup.append((setter, {"UserId": USER, "SessionId": APP, "Availability": "Available", "Activity": "Available"}))
    return Row(s.name, set_name, kind, parameters, op.method, path + query_text, body, op.response, s.module,
               graph.internal_type_for(set_name), graph.namespace, setup)


def rows() -> list[Row]:
    """A row per cmdlet and parameter set of every Graph spec."""
    out = []
    for name in specs.names():
        s = specs.load(name)
        if s.graph is None:
            continue
        for set_name in s.parameter_sets:
            out.append(_row(s, set_name))
    return out


# The operations Microsoft documents must succeed; the others may be refused by the service.
UNDOCUMENTED = {"create", "update", "delete"}


def check_request(row: Row, sent: list[Any]) -> Any:
    """Assert what reached the emulator for ``row`` (its recorded requests); returns the last request.

    One request; two when Graph answered 401 (the client gets a new token and tries once more).
    """
    assert len(sent) == 1 or (len(sent) == 2 and sent[0].status == 401), [f"{r.method} {r.path} {r.status}" for r in sent]
    request = sent[-1]
    assert all((r.method, r.path, r.body) == (request.method, request.path, request.body) for r in sent)
    assert (request.method, request.path) == (row.method, row.path)
    if row.body is None:
        assert request.body == b"" and "content-type" not in request.headers
    else:
        assert request.headers["content-type"] == "application/json"
        expected_text = original_layout(row.body).encode()
        if request.status == 401 and not request.body:
            # The emulator keeps no body of a request it refused as unauthenticated, only its length.
            assert getattr(request, "body_length", None) == len(expected_text)
        else:
            # Key order matters: the original writes additional members first, then the model's
            # order, two-space indented, a list of plain values on one line.
            assert request.body == expected_text
    if row.kind == "delete":
        assert request.headers["if-match"] == 'W/"1"'
    expected_flavour = "graph-powershell-beta/" if row.path.startswith("/beta/") else "graph-powershell/"
    assert request.headers["sdkversion"].startswith(expected_flavour)
    if not 200 <= (request.status or 0) < 300:
        assert row.kind in UNDOCUMENTED, f"{row.id}: Graph documents this operation, the emulator answered {request.status}"
    return request


def original_layout(value: Any, level: int = 0) -> str:
    """The original's JSON text for the rows' bodies (objects, strings, Booleans, lists of strings):
    two-space indent, ``"ids": [ "a", "b" ]`` on one line (AutoRest's JsonWriter; original-observed.md)."""
    if isinstance(value, dict):
        pad = "\n" + "  " * (level + 1)
        members = ",".join(f'{pad}{json.dumps(k)}: {original_layout(v, level + 1)}' for k, v in value.items())
        return "{" + members + "\n" + "  " * level + "}"
    if isinstance(value, list):
        assert all(isinstance(v, str) for v in value), "the rows' lists hold plain strings"
        return "[ " + ", ".join(json.dumps(v) for v in value) + " ]" if value else "[ ]"
    return json.dumps(value, ensure_ascii=False)


def to_json(value: Any) -> Any:
    """Row parameters as JSON for PowerShell (a TimeSpan as {"$timespan": ticks})."""
    if isinstance(value, TimeSpan):
        return {"$timespan": value.ticks}
    if isinstance(value, dict):
        return {k: to_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_json(v) for v in value]
    return value


# The PowerShell side of to_json, for the scripts that run rows in real pwsh: a row's parameters,
# read with ConvertFrom-Json -AsHashtable, back to the values a caller would pass.
FROM_JSON_PS = r"""function ConvertTo-Argument($Value) {
    if ($Value -is [System.Collections.IDictionary]) {
        if ($Value.Contains('$timespan')) { return [timespan]::FromTicks([long]$Value['$timespan']) }
        $h = @{}; foreach ($k in $Value.Keys) { $h[$k] = ConvertTo-Argument $Value[$k] }; return $h
    }
    if ($Value -is [System.Collections.IList]) { return , @(foreach ($v in $Value) { ConvertTo-Argument $v }) }
    return $Value
}
"""
