"""Every operation of the 54 presence cmdlets, over HTTP (issue 12.6).

One table row per cmdlet of both modules (``/work/shared/seeds``: 27 beta + 27 v1.0) with the
request it sends and what the emulator answers; then the collection's query options and paging,
``$count``, the location actions' documented rules (graph-presence.md §2.9), and what Graph
answers to creating, updating and deleting a presence.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

import pytest

from pwshcompat.emulator import Emulator

from .conftest import OTHER, USER, Graph, error_of

THIRD = "3a3a3a3a-0000-4000-8000-000000000003"
PREFERRED = {"availability": "Busy", "activity": "Busy", "expirationDuration": "PT1H"}
SESSION = {"sessionId": "app-1", "availability": "Available", "activity": "Available", "expirationDuration": "PT1H"}
STATUS = {"statusMessage": {"message": {"content": "In a meeting", "contentType": "text"},
                            "expiryDateTime": {"dateTime": "2099-10-18T17:05:33.2079781",
                                               "timeZone": "Pacific Standard Time"}}}
LOCATION = {"workLocationType": "office", "placeId": "eb706f15-137e-4722-b4d1-b601481d9251"}

#: cmdlet noun (after Mg/MgBeta) -> method, path under the version, body, app token or delegated, status.
#: Paths use the prefixed action names, as the generated modules send them.
_COMM, _USER = f"/communications/presences/{USER}", f"/users/{USER}/presence"
OPERATIONS = {
    "Get-{}CommunicationPresence": ("GET", "/communications/presences", None, "app", 200),
    "Get-{}CommunicationPresence -PresenceId": ("GET", _COMM, None, "app", 200),
    "Get-{}CommunicationPresenceByUserId": ("POST", "/communications/microsoft.graph.getPresencesByUserId",
                                            {"ids": [USER, OTHER]}, "app", 200),
    "Get-{}CommunicationPresenceCount": ("GET", "/communications/presences/$count", None, "app", 200),
    "New-{}CommunicationPresence": ("POST", "/communications/presences", {"id": USER, "availability": "Busy"}, "app",
                                    404),
    "Update-{}CommunicationPresence": ("PATCH", _COMM, {"availability": "Busy"}, "app", 404),
    "Remove-{}CommunicationPresence": ("DELETE", _COMM, None, "app", 404),
    "Set-{}CommunicationPresence": ("POST", f"{_COMM}/microsoft.graph.setPresence", SESSION, "app", 200),
    "Clear-{}CommunicationPresence": ("POST", f"{_COMM}/microsoft.graph.clearPresence", {"sessionId": "app-1"}, "app",
                                      200),
    "Set-{}CommunicationPresenceUserPreferredPresence": ("POST", f"{_COMM}/microsoft.graph.setUserPreferredPresence",
                                                         PREFERRED, "app", 200),
    "Clear-{}CommunicationPresenceUserPreferredPresence": (
        "POST", f"{_COMM}/microsoft.graph.clearUserPreferredPresence", {}, "app", 200),
    "Set-{}CommunicationPresenceStatusMessage": ("POST", f"{_COMM}/microsoft.graph.setStatusMessage", STATUS, "app",
                                                 200),
    "Set-{}CommunicationPresenceAutomaticLocation": ("POST", f"{_COMM}/microsoft.graph.setAutomaticLocation", LOCATION,
                                                     "delegated", "set"),
    "Set-{}CommunicationPresenceManualLocation": ("POST", f"{_COMM}/microsoft.graph.setManualLocation", LOCATION,
                                                  "delegated", "set"),
    "Clear-{}CommunicationPresenceAutomaticLocation": ("POST", f"{_COMM}/microsoft.graph.clearAutomaticLocation", {},
                                                       "delegated", "set"),
    "Clear-{}CommunicationPresenceLocation": ("POST", f"{_COMM}/microsoft.graph.clearLocation", {}, "delegated", 200),
    "Get-{}UserPresence": ("GET", _USER, None, "app", 200),
    "Update-{}UserPresence": ("PATCH", _USER, {"outOfOfficeSettings": {"isOutOfOffice": True}}, "app", 404),
    "Remove-{}UserPresence": ("DELETE", _USER, None, "app", 404),
    "Set-{}UserPresence": ("POST", f"{_USER}/microsoft.graph.setPresence", SESSION, "app", 200),
    "Clear-{}UserPresence": ("POST", f"{_USER}/microsoft.graph.clearPresence", {"sessionId": "app-1"}, "app", 200),
    "Set-{}UserPresenceUserPreferredPresence": ("POST", f"{_USER}/microsoft.graph.setUserPreferredPresence", PREFERRED,
                                                "app", 200),
    "Clear-{}UserPresenceUserPreferredPresence": ("POST", f"{_USER}/microsoft.graph.clearUserPreferredPresence", {},
                                                  "app", 200),
    "Set-{}UserPresenceStatusMessage": ("POST", f"{_USER}/microsoft.graph.setStatusMessage", STATUS, "app", 200),
    "Set-{}UserPresenceAutomaticLocation": ("POST", f"{_USER}/microsoft.graph.setAutomaticLocation", LOCATION,
                                            "delegated", "set"),
    "Set-{}UserPresenceManualLocation": ("POST", f"{_USER}/microsoft.graph.setManualLocation", LOCATION, "delegated",
                                         "set"),
    "Clear-{}UserPresenceAutomaticLocation": ("POST", f"{_USER}/microsoft.graph.clearAutomaticLocation", {},
                                              "delegated", "set"),
    "Clear-{}UserPresenceLocation": ("POST", f"{_USER}/microsoft.graph.clearLocation", {}, "delegated", 200),
}
#: The cmdlets of each module (27 each): the help pages' file names, for the table's coverage check.
SEEDS = {"beta": "Microsoft.Graph.Beta.CloudCommunications", "v1.0": "Microsoft.Graph.CloudCommunications"}


def _rows() -> list[tuple[str, str, tuple]]:
    rows = []
    for version, prefix in (("beta", "MgBeta"), ("v1.0", "Mg")):
        for name, operation in OPERATIONS.items():
            rows.append((version, name.format(prefix), operation))
    return rows


def test_the_table_covers_every_cmdlet_of_both_modules():
    seeds = Path(__file__).resolve().parents[3] / "shared" / "seeds"     # beside the checkout, as for the generator
    if not seeds.is_dir():
        pytest.skip(f"the help pages are not at {seeds}")
    pages = {(version, p.stem) for version, folder in SEEDS.items() for p in (seeds / folder).glob("*-Mg*.md")}
    table = {(version, name.split(" ")[0]) for version, name, _ in _rows()}
    assert pages == table


@pytest.fixture
def clients(emu):
    emu.add_client_session(USER)
    graph = Graph(emu, emu.issue_token(expires_in=30 * 24 * 3600))
    me = Graph(emu, emu.issue_token(scp="Presence.ReadWrite Presence.Read.All", oid=USER))
    graph.post(f"/v1.0/users/{USER}/presence/setPresence", SESSION)
    return {"app": graph, "delegated": me}


@pytest.mark.parametrize("version,cmdlet,operation", _rows(), ids=[f"{v}:{c}" for v, c, _ in _rows()])
def test_every_cmdlet_operation_is_served(clients, emu, version, cmdlet, operation):
    method, path, body, token, status = operation
    if status == "set":     # the location actions: 204 on beta, 200 on v1.0 (§2.9)
        status = 204 if version == "beta" else 200
    response = clients[token].call(method, f"/{version}{path}", body)
    assert response.status_code == status, response.text
    recorded = emu.requests[-1]
    assert (recorded.method, recorded.path, recorded.status) == (method, f"/{version}{path}", status)
    if status == 404:
        assert error_of(response)["code"] == "NotFound"
    elif method == "GET" and path.endswith("$count"):
        assert response.headers["Content-Type"].startswith("text/plain") and int(response.text) >= 1
    elif method == "GET":
        assert response.json()["@odata.context"].startswith(f"{emu.graph_url}/{version}/$metadata#")


@pytest.mark.parametrize("action", ["setManualLocation", "microsoft.graph.setManualLocation"])
@pytest.mark.parametrize("base", ["/me/presence", f"/users/{USER}/presence", f"/communications/presences/{USER}"])
def test_location_actions_on_every_path_with_or_without_the_prefix(clients, emu, base, action):
    assert clients["delegated"].post(f"/v1.0{base}/{action}", {"workLocationType": "remote"}).status_code == 200
    assert emu.presence(USER)["workLocation"] == {"workLocationType": "remote", "source": "manual", "placeId": None}


# -- the location rules (§2.9) -----------------------------------------------------------------
def location(graph: Graph) -> tuple[str, str, str | None]:
    work = graph.get(f"/v1.0/users/{USER}/presence").json()["workLocation"]
    return work["workLocationType"], work["source"], work["placeId"]


def test_manual_beats_automatic_beats_scheduled_and_clears_fall_back(clients, emu):
    me = clients["delegated"]
    action = f"/v1.0/me/presence/"
    assert location(me) == ("unspecified", "none", None)
    emu.set_scheduled_location(USER, "remote")
    assert location(me) == ("remote", "scheduled", None)
    me.post(action + "setAutomaticLocation", {"workLocationType": "office", "placeId": "building-7"})
    assert location(me) == ("office", "automatic", "building-7")
    me.post(action + "setManualLocation", {"workLocationType": "timeOff"})
    assert location(me) == ("timeOff", "manual", None)
    me.post(action + "setAutomaticLocation", {"workLocationType": "remote"})    # does not clear the manual one
    assert location(me) == ("timeOff", "manual", None)
    me.post(action + "clearAutomaticLocation", {})                              # manual still wins
    assert location(me) == ("timeOff", "manual", None)
    me.post(action + "setAutomaticLocation", {"workLocationType": "office"})
    me.post(action + "clearLocation", {})                                       # manual and automatic go
    assert location(me) == ("remote", "scheduled", None)


def test_clear_automatic_without_manual_falls_back_to_scheduled_or_none(clients, emu):
    me = clients["delegated"]
    me.post("/v1.0/me/presence/setAutomaticLocation", {"workLocationType": "office"})
    me.post("/v1.0/me/presence/clearAutomaticLocation")
    assert location(me) == ("unspecified", "none", None)


@pytest.mark.parametrize("value,v1,beta", [("office", 200, 204), ("REMOTE", 200, 204), ("timeoff", 200, 204),
                                          ("unspecified", 400, 204), ("unknownFutureValue", 400, 204),
                                          ("home", 400, 400), (None, 400, 400)])
def test_work_location_types_per_version(clients, value, v1, beta):
    body = {} if value is None else {"workLocationType": value}
    for version, status in (("v1.0", v1), ("beta", beta)):
        response = clients["delegated"].post(f"/{version}/me/presence/setManualLocation", body)
        assert response.status_code == status, response.text
        if status == 400:
            assert error_of(response)["code"] == "InvalidArgument" and "WorkLocationType" in error_of(response)["message"]


def test_location_values_are_canonical_on_the_wire(clients):
    clients["delegated"].post("/v1.0/me/presence/setManualLocation", {"workLocationType": "TIMEOFF"})
    assert location(clients["delegated"]) == ("timeOff", "manual", None)


def test_location_actions_refuse_application_tokens(clients, emu):
    for action in ("setAutomaticLocation", "setManualLocation", "clearAutomaticLocation", "clearLocation"):
        response = clients["app"].post(f"/v1.0/users/{USER}/presence/{action}", LOCATION if "set" in action else {})
        assert response.status_code == 403 and "application permissions" in error_of(response)["message"]
    assert emu.presence(USER)["workLocation"]["source"] == "none"


def test_location_actions_for_another_user_are_401(clients):
    response = clients["delegated"].post(f"/v1.0/users/{OTHER}/presence/setManualLocation", {"workLocationType": "office"})
    assert response.status_code == 401


def test_location_body_errors_come_before_permission_errors(clients):
    response = clients["app"].post(f"/v1.0/users/{USER}/presence/setManualLocation", {"workLocationType": "moon"})
    assert response.status_code == 400


def test_a_location_change_is_a_new_version(clients):
    before = clients["delegated"].get("/v1.0/me/presence").json()["sequenceNumber"]
    clients["delegated"].post("/v1.0/me/presence/setManualLocation", {"workLocationType": "office"})
    assert clients["delegated"].get("/v1.0/me/presence").json()["sequenceNumber"] > before


# -- creating, updating, deleting a presence ---------------------------------------------------
@pytest.mark.parametrize("method,path", [("POST", "/communications/presences"), ("PATCH", f"/users/{USER}/presence"),
                                         ("DELETE", f"/communications/presences/{USER}")])
def test_create_update_delete_are_404_after_the_usual_checks(emu, method, path):
    body = {"availability": "Busy"} if method != "DELETE" else None
    assert Graph(emu, None).call(method, f"/beta{path}", body).status_code == 401
    assert Graph(emu, emu.issue_token(roles=["Presence.Read.All"])).call(method, f"/beta{path}", body).status_code == 403
    response = Graph(emu, emu.issue_token()).call(method, f"/beta{path}", body)
    assert response.status_code == 404 and "presence actions" in error_of(response)["message"]
    assert emu.presence(USER)["availability"] == "Offline"


def test_patch_with_a_malformed_body_is_400(graph):
    response = graph.call("PATCH", f"/v1.0/users/{USER}/presence", data="{oops", headers={"Content-Type": "application/json"})
    assert response.status_code == 400


def test_put_is_not_allowed(graph):
    assert graph.call("PUT", f"/v1.0/users/{USER}/presence", {}).status_code == 405


# -- the collection: query options and paging --------------------------------------------------
@pytest.fixture
def three(graph, emu):
    """Three users: USER Busy (preferred), OTHER Available (session), THIRD Offline (known, no session)."""
    emu.add_client_session(USER)
    graph.set_preferred("Busy", "Busy")
    graph.set_session("Available", "Available", "PT1H", user=OTHER)
    emu.add_user(THIRD)
    return graph


def ids(response) -> list[str]:
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["value"]]


def test_the_collection_lists_known_users_by_id(three, emu):
    body = three.get("/v1.0/communications/presences").json()
    assert body["@odata.context"] == f"{emu.graph_url}/v1.0/$metadata#communications/presences"
    assert [p["id"] for p in body["value"]] == sorted([USER, OTHER, THIRD])
    assert "@odata.nextLink" not in body and "@odata.count" not in body


@pytest.mark.parametrize("expression,expected", [
    (f"id eq '{USER}'", [USER]),
    (f"id in ('{USER}', '{OTHER}')", sorted([USER, OTHER])),
    ("availability eq 'Busy'", [USER]),
    ("availability eq 'busy'", [USER]),
    ("availability ne 'Offline'", sorted([USER, OTHER])),
    (f"availability eq 'Available' or id eq '{THIRD}'", sorted([OTHER, THIRD])),
    (f"id in ('{USER}','{OTHER}') and activity eq 'Busy'", [USER]),
    (f"not (availability eq 'Offline')", sorted([USER, OTHER])),
    ("workLocation/source eq 'none' and outOfOfficeSettings/isOutOfOffice eq false", sorted([USER, OTHER, THIRD])),
    ("id eq 'it''s nobody'", ["it's nobody"]),          # the open tenant knows every id it is asked about
])
def test_filter(three, expression, expected):
    assert ids(three.get(f"/beta/communications/presences?$filter={quote(expression)}")) == expected


def test_filter_in_a_strict_tenant_lists_only_known_users():
    with Emulator(strict=True) as strict:
        strict.add_user(USER)
        client = Graph(strict, strict.issue_token())
        assert ids(client.get(f"/v1.0/communications/presences?$filter=id in ('{USER}','{OTHER}')")) == [USER]


@pytest.mark.parametrize("expression,words", [
    ("colour eq 'red'", "Could not find a property named 'colour'"),
    ("availability gt 'A'", "Unsupported operator 'gt'"),
    ("startswith(id,'a')", "function 'startswith'"),
    ("availability eq", "value is missing"),
    ("(id eq 'a'", "ends too early"),
    ("id eq 'a' id", "unexpected 'id'"),
    ("statusMessage eq null", "not of a primitive type"),
    ("id eq 'a' # x", "Syntax error"),
])
def test_a_bad_filter_is_400(three, expression, words):
    response = three.get(f"/v1.0/communications/presences?$filter={quote(expression)}")
    assert response.status_code == 400 and words in error_of(response)["message"]


def test_select_on_the_collection_and_on_one_presence(three, emu):
    body = three.get("/v1.0/communications/presences?$select=availability,ID").json()
    assert body["@odata.context"].endswith("#communications/presences(availability,id)")
    assert [set(item) for item in body["value"]] == [{"availability", "id"}] * 3
    assert {item["id"]: item["availability"] for item in body["value"]} == {
        USER: "Busy", OTHER: "Available", THIRD: "Offline"}
    one = three.get(f"/v1.0/users/{USER}/presence?$select=activity").json()
    assert one == {"@odata.context": f"{emu.graph_url}/v1.0/$metadata#users('{USER}')/presence(activity)/$entity",
                   "activity": "Busy"}
    response = three.get(f"/v1.0/users/{USER}/presence?$select=mood")
    assert response.status_code == 400 and "'mood'" in error_of(response)["message"]


def test_expand_and_search_are_400(three):
    for query in ("$expand=statusMessage", "$expand=*", "$search=busy"):
        assert three.get(f"/v1.0/communications/presences?{query}").status_code == 400
    assert three.get(f"/v1.0/users/{USER}/presence?$expand=x").status_code == 400
    assert three.get("/v1.0/communications/presences/$count?$search=busy").status_code == 400


@pytest.mark.parametrize("query", ["$top=0", "$top=1000", "$top=-1", "$top=x", "$skip=-2", "$count=maybe",
                                   "$top=2&$top=3", "$format=json", "$skiptoken=forged",
                                   "$orderby=availability sideways", "$orderby=statusMessage"])
def test_bad_query_options_are_400(three, query):
    assert three.get(f"/v1.0/communications/presences?{query}").status_code == 400


def test_options_a_single_presence_does_not_take_are_400(three):
    assert three.get(f"/v1.0/users/{USER}/presence?$top=1").status_code == 400
    assert three.get(f"/v1.0/users/{USER}/presence?custom=ignored").status_code == 200


def test_orderby(three):
    by_availability = three.get("/v1.0/communications/presences?$orderby=availability desc,id").json()["value"]
    assert [p["availability"] for p in by_availability] == ["Offline", "Busy", "Available"]


def test_count_on_the_collection_and_the_count_segment(three):
    body = three.get("/v1.0/communications/presences?$count=true&$filter=availability ne 'Offline'&$top=1").json()
    assert body["@odata.count"] == 2 and len(body["value"]) == 1
    response = three.get("/beta/communications/presences/$count")
    assert (response.status_code, response.text) == (200, "3")
    assert response.headers["Content-Type"].startswith("text/plain")
    assert three.get("/beta/communications/presences/$count?$filter=availability eq 'Busy'").text == "1"
    assert three.get("/beta/communications/presences/$count?$top=1").status_code == 400


def test_server_side_paging_follows_next_links(graph, emu):
    users = [f"user-{n:03d}" for n in range(25)]
    for user in users:
        emu.add_user(user)
    emu.page_size = 10
    seen, url, pages = [], "/v1.0/communications/presences?$count=true&$filter=" + quote("availability eq 'Offline'"), 0
    while url:
        body = graph.get(url).json()
        assert body["@odata.count"] == 25
        seen += [p["id"] for p in body["value"]]
        pages += 1
        url = body.get("@odata.nextLink", "").replace(emu.graph_url, "")
    assert (seen, pages) == (users, 3)


def test_top_is_the_page_size_and_skip_skips(graph, emu):
    for n in range(7):
        emu.add_user(f"u{n}")
    first = graph.get("/v1.0/communications/presences?$top=3&$skip=1").json()
    assert [p["id"] for p in first["value"]] == ["u1", "u2", "u3"]
    second = graph.get(first["@odata.nextLink"].replace(emu.graph_url, "")).json()
    assert [p["id"] for p in second["value"]] == ["u4", "u5", "u6"] and "@odata.nextLink" not in second


def test_the_collection_needs_read_permission(emu):
    assert Graph(emu, emu.issue_token(roles=["User.Read.All"])).get("/v1.0/communications/presences").status_code == 403
    assert Graph(emu, emu.issue_token(roles=["Presence.Read.All"])).get("/v1.0/communications/presences").ok


def test_a_batch_step_can_count(graph, emu):
    emu.add_user(USER)
    step = {"id": "1", "method": "GET", "url": "/communications/presences/$count"}
    (answer,) = graph.post("/v1.0/$batch", {"requests": [step]}).json()["responses"]
    assert (answer["status"], answer["body"]) == (200, "1")
