"""``GET /me`` and ``GET /users/{id}`` (pwshcompat/emulator/users.py): what a script reads before it
sets a presence, over HTTP and from pwsh through Invoke-MgGraphRequest in a dry run."""

from __future__ import annotations

import json

import pytest

from conftest import run_pwsh
from pwshcompat.emulator import Emulator
from pwshcompat.emulator.identity import DEFAULT_UPN, DEFAULT_USER_ID

from .conftest import USER, Graph, error_of

DEFAULTS = ["businessPhones", "displayName", "givenName", "jobTitle", "mail", "mobilePhone", "officeLocation",
            "preferredLanguage", "surname", "userPrincipalName", "id"]


@pytest.fixture
def me(emu: Emulator) -> Graph:
    """A delegated client: the tenant's default user, signed in with Presence.ReadWrite."""
    return Graph(emu, emu.issue_token(scp="Presence.ReadWrite"))


@pytest.mark.parametrize("version", ["v1.0", "beta"])
def test_me_is_the_signed_in_user_and_select_picks_properties(me: Graph, version: str) -> None:
    full = me.get(f"/{version}/me")
    assert full.status_code == 200, full.text
    body = full.json()
    assert body["@odata.context"] == f"{me.emu.graph_url}/{version}/$metadata#users/$entity"
    assert list(body)[1:] == DEFAULTS
    assert (body["id"], body["userPrincipalName"], body["displayName"], body["givenName"], body["surname"]) == (
        DEFAULT_USER_ID, DEFAULT_UPN, "Alex Wilber", "Alex", "Wilber")

    picked = me.get(f"/{version}/me?$select=id,DisplayName,accountEnabled").json()
    assert picked == {"@odata.context": f"{me.emu.graph_url}/{version}/$metadata#users(id,displayName,accountEnabled)"
                                        "/$entity", "id": DEFAULT_USER_ID, "displayName": "Alex Wilber",
                      "accountEnabled": True}


def test_me_with_an_application_token_is_graphs_400(graph: Graph) -> None:
    response = graph.get("/v1.0/me?$select=id")
    assert response.status_code == 400
    assert error_of(response)["code"] == "BadRequest"
    assert error_of(response)["message"] == "/me request is only valid with delegated authentication flow."


def test_users_by_id_or_upn_in_the_open_tenant(graph: Graph) -> None:
    by_upn = graph.get(f"/v1.0/users/{DEFAULT_UPN}?$select=id,userPrincipalName").json()
    assert (by_upn["id"], by_upn["userPrincipalName"]) == (DEFAULT_USER_ID, DEFAULT_UPN)
    assert graph.get(f"/beta/users/{DEFAULT_USER_ID}").json()["displayName"] == "Alex Wilber"
    # The open tenant knows every user it is asked about, as for presences.
    made_up = graph.get(f"/v1.0/users/{USER}").json()
    assert (made_up["id"], made_up["userPrincipalName"]) == (USER, f"{USER}@pwshcompat.test")
    by_new_upn = graph.get("/v1.0/users/kim@contoso.test").json()
    assert by_new_upn["userPrincipalName"] == "kim@contoso.test" and by_new_upn["id"] == graph.get(
        "/v1.0/users/kim@contoso.test?$select=id").json()["id"]


@pytest.mark.parametrize("path, status, code", [
    ("/v1.0/me?$select=nope", 400, "BadRequest"),
    ("/v1.0/me?$expand=manager", 400, "BadRequest"),
    ("/v1.0/me?$top=1", 400, "BadRequest"),
])
def test_bad_query_options_on_a_user(me: Graph, path: str, status: int, code: str) -> None:
    response = me.get(path)
    assert (response.status_code, error_of(response)["code"]) == (status, code), response.text
    if "nope" in path:
        assert error_of(response)["message"] == "Could not find a property named 'nope' on type 'microsoft.graph.user'."


def test_only_get_is_answered_on_a_user(me: Graph) -> None:
    response = me.call("PATCH", "/v1.0/me", {"jobTitle": "x"})
    assert response.status_code == 405 and "use GET" in error_of(response)["message"]


def test_a_strict_tenant_knows_its_users_and_wants_directory_permissions() -> None:
    with Emulator(strict=True) as emu:
        emu.add_user(USER)
        presence_only = Graph(emu, emu.issue_token(roles=["Presence.Read.All"]))
        denied = presence_only.get(f"/v1.0/users/{USER}")
        assert (denied.status_code, error_of(denied)["code"]) == (403, "Authorization_RequestDenied")
        reader = Graph(emu, emu.issue_token(roles=["User.Read.All"]))
        assert reader.get(f"/v1.0/users/{USER}?$select=id").json()["id"] == USER
        assert reader.get(f"/v1.0/users/{DEFAULT_UPN}?$select=id").json()["id"] == DEFAULT_USER_ID
        missing = reader.get("/v1.0/users/nobody@pwshcompat.test")
        assert (missing.status_code, error_of(missing)["code"]) == (404, "Request_ResourceNotFound")
        assert "nobody@pwshcompat.test" in error_of(missing)["message"]
        # Delegated: one's own profile with User.Read; another user's needs a .All permission.
        own = Graph(emu, emu.issue_token(scp="User.Read Presence.ReadWrite"))
        assert own.get("/v1.0/me?$select=id").json()["id"] == DEFAULT_USER_ID
        assert own.get(f"/v1.0/users/{USER}").status_code == 403
        assert Graph(emu, emu.issue_token(scp="Presence.ReadWrite")).get("/v1.0/me").status_code == 403


def test_presence_rate_limits_do_not_count_user_reads(emu: Emulator, me: Graph) -> None:
    emu.set_rate_limits(reads=1, total=1, window=30)
    for _ in range(3):
        assert me.get("/v1.0/me?$select=id").status_code == 200
    assert me.get("/v1.0/me/presence").status_code == 200
    assert me.get("/v1.0/me/presence").status_code == 429


DRY_RUN = r"""
Import-Module ./Microsoft.Graph.Beta.CloudCommunications.psd1
$r = [ordered]@{}
Connect-MgGraph -Environment Emulator -Scopes Presence.ReadWrite -NoWelcome
$me = Invoke-MgGraphRequest -Method GET -Uri 'https://graph.microsoft.com/v1.0/me?$select=id,displayName'
$r.me = '{0}|{1}|{2}' -f $me.id, $me.displayName, $me.Count
$r.user = (Invoke-MgGraphRequest -Uri "https://graph.microsoft.com/beta/users/$($me.id)").userPrincipalName
Connect-MgGraph -Environment Emulator -NoWelcome
try { Invoke-MgGraphRequest -Uri 'https://graph.microsoft.com/v1.0/me?$select=id' | Out-Null; $r.app = 'no error' }
catch { $r.app = '{0}|{1}' -f $_.Exception.Message, $_.ErrorDetails.Message }
$r | ConvertTo-Json -Compress
"""


def test_invoke_mggraphrequest_me_select_id_works_in_a_dry_run(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BROWSER", raising=False)
    monkeypatch.delenv("DISPLAY", raising=False)
    done = run_pwsh(DRY_RUN, timeout=120)
    assert done.returncode == 0, done.stderr + done.stdout
    r = json.loads(done.stdout.strip().splitlines()[-1])
    assert r["me"] == f"{DEFAULT_USER_ID}|Alex Wilber|3"  # @odata.context, id, displayName
    assert r["user"] == DEFAULT_UPN
    assert r["app"].startswith("Response status code does not indicate success: BadRequest (Bad Request).|"), r
    assert "/me request is only valid with delegated authentication flow." in r["app"], r
