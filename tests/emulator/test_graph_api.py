"""Routes, tokens and permissions, the error envelope, getPresencesByUserId and $batch.

Facts from graph-presence.md §2 (operations), §4 (errors) and §6 (batching).
"""

from __future__ import annotations

import re
import uuid

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from .conftest import OTHER, USER, Graph, error_of


@pytest.mark.parametrize("version", ["v1.0", "beta"])
@pytest.mark.parametrize("base", [f"/users/{USER}/presence", f"/communications/presences/{USER}"])
@pytest.mark.parametrize("prefix", ["", "microsoft.graph."])
def test_actions_answer_on_both_versions_paths_and_prefixes(graph, version, base, prefix):
    body = {"availability": "Busy", "activity": "Busy"}
    response = graph.post(f"/{version}{base}/{prefix}setUserPreferredPresence", body)
    assert response.status_code == 200 and response.content == b""
    assert graph.get(f"/{version}{base}").json()["id"] == USER


def test_get_presence_has_the_documented_shape(graph, emu):
    body = graph.get(f"/beta/users/{USER}/presence").json()
    assert body == {
        "@odata.context": f"{emu.graph_url}/beta/$metadata#users('{USER}')/presence/$entity",
        "id": USER, "availability": "Offline", "activity": "Offline", "statusMessage": None,
        "outOfOfficeSettings": {"message": None, "isOutOfOffice": False},
        "workLocation": {"workLocationType": "unspecified", "source": "none", "placeId": None},
        "sequenceNumber": "A0000000000",
    }


def test_ids_are_one_percent_decoded_path_segment(graph, emu):
    assert graph.set_preferred("Away", "Away", user="a%2Fb%20%C3%A9").status_code == 200
    assert emu.preferred_presence("a/b é").availability == "Away"


def test_me_presence_needs_a_delegated_token(emu, graph):
    response = graph.get("/v1.0/me/presence")
    assert response.status_code == 400 and "delegated" in error_of(response)["message"]
    me = Graph(emu, emu.issue_token(scp="Presence.ReadWrite", oid=USER))
    away = {"availability": "Away", "activity": "Away"}
    assert me.post("/v1.0/me/presence/setUserPreferredPresence", away).status_code == 200
    assert emu.preferred_presence(USER).activity == "Away"


@pytest.mark.parametrize("headers,message", [
    ({}, "Access token is empty."),
    ({"Authorization": "Bearer "}, "Access token is empty."),
    ({"Authorization": "Basic dXNlcjpwYXNz"}, "Access token is empty."),
    ({"Authorization": "Bearer not-a-jwt"}, "IDX14100: JWT is not well formed."),
])
def test_missing_or_malformed_tokens_are_401(emu, headers, message):
    response = Graph(emu, None).get(f"/v1.0/users/{USER}/presence", headers=headers)
    assert response.status_code == 401
    assert error_of(response)["code"] == "InvalidAuthenticationToken"
    assert error_of(response)["message"] == message


def test_a_token_signed_by_another_key_is_401(emu):
    claims = jwt.decode(emu.issue_token(), options={"verify_signature": False})
    header = jwt.get_unverified_header(emu.issue_token())
    forged = jwt.encode(claims, rsa.generate_private_key(public_exponent=65537, key_size=2048),
                        algorithm="RS256", headers={"kid": header["kid"]})
    response = Graph(emu, forged).get(f"/v1.0/users/{USER}/presence")
    assert response.status_code == 401 and "signature" in error_of(response)["message"]


def test_an_expired_token_is_401_once_the_clock_passes_exp(emu):
    client = Graph(emu, emu.issue_token(expires_in=600))
    assert client.get(f"/v1.0/users/{USER}/presence").status_code == 200
    emu.clock.advance(minutes=10)
    response = client.get(f"/v1.0/users/{USER}/presence")
    assert response.status_code == 401
    assert error_of(response)["message"] == "Lifetime validation failed, the token is expired."


def test_a_token_for_another_audience_is_401(emu):
    response = Graph(emu, emu.issue_token(aud="api://someone-else")).get(f"/v1.0/users/{USER}/presence")
    assert response.status_code == 401 and "audience" in error_of(response)["message"]


@pytest.mark.parametrize("roles,write,read", [
    (["Presence.ReadWrite.All"], 200, 200),
    (["Presence.Read.All"], 403, 200),
    (["User.Read.All"], 403, 403),
    ([], 403, 403),
])
def test_application_roles_decide_read_and_write(emu, roles, write, read):
    client = Graph(emu, emu.issue_token(roles=roles))
    response = client.set_preferred("Busy", "Busy")
    assert response.status_code == write
    if write == 403:
        assert error_of(response)["code"] == "Forbidden"
    assert client.get(f"/v1.0/users/{USER}/presence").status_code == read


@pytest.mark.parametrize("scp,own_write,own_read,other_read", [
    ("Presence.ReadWrite", 200, 200, 403),
    ("Presence.Read", 403, 200, 403),
    ("Presence.Read.All", 403, 200, 200),
    ("User.Read", 403, 403, 403),
])
def test_delegated_scopes_decide_read_and_write(emu, scp, own_write, own_read, other_read):
    client = Graph(emu, emu.issue_token(scp=scp, oid=USER))
    assert client.set_preferred("Busy", "Busy").status_code == own_write
    assert client.get(f"/v1.0/users/{USER}/presence").status_code == own_read
    assert client.get(f"/v1.0/users/{OTHER}/presence").status_code == other_read


def test_a_delegated_write_to_another_user_is_401(emu):
    response = Graph(emu, emu.issue_token(scp="Presence.ReadWrite", oid=USER)).set_preferred("Busy", "Busy", user=OTHER)
    assert response.status_code == 401
    assert error_of(response)["message"] == "Cannot set the presence of another user."


def test_body_errors_come_before_permission_errors(emu):
    response = Graph(emu, emu.issue_token(roles=[])).post(f"/v1.0/users/{USER}/presence/clearPresence", {})
    assert response.status_code == 400


def test_error_envelope_carries_request_ids_and_a_utc_date(graph):
    client_request_id = str(uuid.uuid4())
    response = graph.post(f"/v1.0/users/{USER}/presence/setUserPreferredPresence",
                          {"availability": "Busy", "activity": "InACall"},
                          headers={"client-request-id": client_request_id})
    inner = error_of(response)["innerError"]
    assert set(error_of(response)) == {"code", "message", "innerError"}
    assert inner["client-request-id"] == client_request_id == response.headers["client-request-id"]
    assert inner["request-id"] == response.headers["request-id"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", inner["date"])


@pytest.mark.parametrize("method,path,status", [
    ("GET", "/v1.0/users/u1/presence/setPresence", 405),
    ("POST", "/v1.0/users/u1/presence", 405),
    ("POST", "/v1.0/users/u1/presence/doSomething", 400),
    ("GET", "/v2.0/users/u1/presence", 400),
])
def test_unknown_routes_and_methods(graph, method, path, status):
    response = graph.call(method, path, {} if method == "POST" else None)
    assert response.status_code == status
    # HTTP: a 405 lists in Allow the methods the resource answers.
    assert response.headers.get("Allow") == {405: "POST" if path.endswith("setPresence") else "GET, PATCH, DELETE"
                                             }.get(status)


def test_non_json_and_non_object_bodies_are_rejected(graph):
    url = f"/v1.0/users/{USER}/presence/setUserPreferredPresence"
    assert graph.call("POST", url, data="{not json", headers={"Content-Type": "application/json"}).status_code == 400
    assert graph.post(url, ["Busy", "Busy"]).status_code == 400
    assert graph.call("POST", url, data="availability=Busy", headers={"Content-Type": "text/plain"}).status_code == 415


def test_strict_tenant_refuses_unknown_users_and_undeclared_parameters(emu):
    from pwshcompat.emulator import Emulator

    with Emulator(strict=True) as strict:
        strict.add_user(USER)
        client = Graph(strict, strict.issue_token())
        assert client.set_preferred("Busy", "Busy", user=OTHER).status_code == 404
        response = client.post(f"/v1.0/users/{USER}/presence/setUserPreferredPresence",
                               {"availability": "Busy", "activity": "Busy", "colour": "red"})
        assert response.status_code == 400 and "'colour'" in error_of(response)["message"]
        assert client.set_preferred("Busy", "Busy").status_code == 200


def test_get_presences_by_user_id_returns_every_id(graph, emu):
    graph.set_session("Busy", "InACall", "PT1H")
    response = graph.post("/v1.0/communications/getPresencesByUserId", {"ids": [USER, OTHER]})
    assert response.status_code == 200
    body = response.json()
    assert body["@odata.context"].endswith("/v1.0/$metadata#Collection(microsoft.graph.presence)")
    assert [(p["id"], p["availability"]) for p in body["value"]] == [(USER, "Busy"), (OTHER, "Offline")]


@pytest.mark.parametrize("ids", [[], "u1", [1, 2], [f"u{i}" for i in range(651)]])
def test_get_presences_by_user_id_validates_ids(graph, ids):
    assert graph.post("/beta/communications/getPresencesByUserId", {"ids": ids}).status_code == 400


@pytest.mark.parametrize("ids,said", [
    (["u1", 5], "[Ids]: item 1 is 5; each id must be a non-empty string (a user's object id)."),
    (["u1", "u2", ""], '[Ids]: item 2 is ""; each id must be a non-empty string (a user\'s object id).'),
    ([None], "[Ids]: item 0 is null; each id must be a non-empty string (a user's object id)."),
])
def test_get_presences_by_user_id_names_the_id_that_is_wrong(graph, ids, said):
    """The list is not empty, so "a non-empty list is required" (what it said) misled."""
    response = graph.post("/v1.0/communications/getPresencesByUserId", {"ids": ids})
    assert response.status_code == 400 and error_of(response)["message"] == said


def _step(step_id: str, method: str, url: str, body: dict | None = None, **extra) -> dict:
    step = {"id": step_id, "method": method, "url": url, **extra}
    if body is not None:
        step.update(body=body, headers={"Content-Type": "application/json"})
    return step


def test_batch_runs_each_request_and_answers_200(graph, emu):
    emu.add_client_session(USER)
    action = f"/users/{USER}/presence/setUserPreferredPresence"
    response = graph.post("/v1.0/$batch", {"requests": [
        _step("1", "POST", action, {"availability": "Away", "activity": "Away"}),
        _step("2", "GET", f"/users/{USER}/presence", dependsOn=["1"]),
        _step("3", "POST", action, {"availability": "Busy", "activity": "InACall"}),
        _step("4", "GET", f"/users/{USER}/presence", dependsOn=["3"]),
    ]})
    assert response.status_code == 200
    by_id = {r["id"]: r for r in response.json()["responses"]}
    assert [by_id[i]["status"] for i in "1234"] == [200, 200, 400, 424]
    assert by_id["2"]["body"]["availability"] == "Away"
    assert by_id["3"]["body"]["error"]["code"] == "InvalidArgument"


@pytest.mark.parametrize("requests_,code", [
    ([_step(str(i), "GET", f"/users/u{i}/presence") for i in range(21)], "MaximumValueExceeded"),
    ([_step("1", "GET", "/users/a/presence"), _step("1", "GET", "/users/b/presence")], "BadRequest"),
    ([{"id": "1", "url": "/users/a/presence"}], "BadRequest"),
    ([_step("1", "GET", "/users/a/presence", dependsOn=["9"])], "BadRequest"),
    ("not a list", "BadRequest"),
])
def test_a_malformed_batch_is_400(graph, requests_, code):
    response = graph.post("/beta/$batch", {"requests": requests_})
    assert response.status_code == 400 and error_of(response)["code"] == code


def test_batch_of_twenty_is_allowed(graph):
    steps = [_step(str(i), "GET", f"/users/u{i}/presence") for i in range(20)]
    response = graph.post("/beta/$batch", {"requests": steps})
    assert response.status_code == 200 and len(response.json()["responses"]) == 20


def test_batch_step_with_a_body_needs_a_content_type(graph):
    step = {"id": "1", "method": "POST", "url": f"/users/{USER}/presence/clearUserPreferredPresence", "body": {}}
    (answer,) = graph.post("/beta/$batch", {"requests": [step]}).json()["responses"]
    assert answer["status"] == 400


def test_throttling_inside_a_batch_is_a_429_step_with_retry_after(graph, emu):
    emu.inject("429", path="*/users/b/presence", retry_after=3)
    answers = graph.post("/v1.0/$batch", {"requests": [_step("a", "GET", "/users/a/presence"),
                                                      _step("b", "GET", "/users/b/presence")]}).json()["responses"]
    assert [(a["id"], a["status"]) for a in answers] == [("a", 200), ("b", 429)]
    assert answers[1]["headers"]["Retry-After"] == "3"
    assert answers[1]["body"]["error"]["code"] == "TooManyRequests"
