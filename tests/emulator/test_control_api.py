"""The control API and the test controls under bad input and attack (issue 19.1, 19.2, 19.5, 17.1).

Each refused input leaves the emulator serving as before: nothing is stored before it is checked.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import requests

from pwshcompat.emulator import Emulator, control

from .conftest import USER, Graph, error_of


def post(emu: Emulator, route: str, body: object = None, **headers: str) -> requests.Response:
    return requests.post(f"{emu.graph_url}/_emulator/{route}", json=body if body is not None else {},
                         headers=headers, timeout=10)


def serves(emu: Emulator) -> bool:
    """A Graph request and a sign-in discovery both still answer as usual."""
    graph = Graph(emu, emu.issue_token(expires_in=200 * 366 * 86400)).get(f"/v1.0/users/{USER}/presence")
    login = requests.get(f"{emu.authority}/v2.0/.well-known/openid-configuration", verify=emu.ca_bundle, timeout=10)
    return graph.status_code == 200 and login.status_code == 200


# -- 19.1: the clock ---------------------------------------------------------------------------
@pytest.mark.parametrize("value", ["1e12", "-1", '"300"', "null", "true", "[300]", "1e400", "NaN", "-Infinity"])
def test_clock_refuses_what_it_cannot_store_and_keeps_serving(emu, value):
    before = emu.clock.now()
    response = requests.post(f"{emu.graph_url}/_emulator/clock", data=f'{{"advanceSeconds": {value}}}',
                             headers={"Content-Type": "application/json"}, timeout=10)
    assert response.status_code == 400
    assert "advanceSeconds" in error_of(response)["message"] or "clock" in error_of(response)["message"]
    assert emu.clock.now() == before
    assert serves(emu)


def test_clock_moves_up_to_its_bound_and_reset_keeps_working(emu):
    assert post(emu, "clock", {"advanceSeconds": 86400}).status_code == 200
    assert post(emu, "clock", {}).status_code == 400           # the field is required
    assert post(emu, "clock", {"advanceSeconds": 100 * 366 * 86400}).status_code == 400
    assert post(emu, "reset").status_code == 200
    assert serves(emu)


def test_clock_advance_in_process_validates_too(emu):
    for bad in (float("inf"), float("nan"), -5, timedelta(days=-1), timedelta(days=200 * 366)):
        with pytest.raises(ValueError):
            emu.clock.advance(bad)
    with pytest.raises(ValueError):
        emu.clock.advance(days=1e12)


# -- 19.2: fault rules -------------------------------------------------------------------------
@pytest.mark.parametrize("rule,field", [
    ({"kind": "503", "method": 5}, "method"),
    ({"kind": "slow", "delay": "inf"}, "delay"),
    ({"kind": "slow", "delay": -1}, "delay"),
    ({"kind": "slow", "delay": 1e9}, "delay"),
    ({"kind": "429", "retryAfter": "abc"}, "retry_after"),
    ({"kind": "429", "retryAfter": -3}, "retry_after"),
    ({"kind": "429", "retryAfter": 1e300}, "retry_after"),
    ({"kind": "503", "count": 1.5}, "count"),
    ({"kind": "503", "count": True}, "count"),
    ({"kind": "503", "path": ["*"]}, "path"),
    ({"kind": "503", "probability": "0.5"}, "probability"),
    ({"kind": "503", "probability": 2}, "probability"),
    ({"kind": True}, "kind"),
    ({"kind": "503", "colour": "red"}, "colour"),
    ({}, "kind"),
])
def test_fault_rules_are_checked_when_created(emu, rule, field):
    response = post(emu, "faults", rule)
    assert response.status_code == 400 and field in error_of(response)["message"]
    assert emu.faults.rules == []
    assert serves(emu)


def test_fault_rules_refuse_infinite_numbers_sent_as_json_overflow(emu):
    response = requests.post(f"{emu.graph_url}/_emulator/faults", data='{"kind": "429", "retryAfter": 1e400}',
                             headers={"Content-Type": "application/json"}, timeout=10)
    assert response.status_code == 400 and emu.faults.rules == []


def test_a_valid_fault_rule_is_echoed_as_stored(emu):
    response = post(emu, "faults", {"kind": "429", "path": "*/setUserPreferredPresence", "method": "post",
                                    "count": 2, "retryAfter": 0.5})
    assert response.status_code == 200
    assert response.json() == {"kind": "429", "path": "*/setUserPreferredPresence", "method": "POST", "count": 2,
                               "probability": 1.0, "retryAfter": 0.5, "delay": 1.0}


# -- 17.1: rate limits -------------------------------------------------------------------------
def test_rate_limits_from_the_control_api(emu):
    graph = Graph(emu, emu.issue_token())
    response = post(emu, "rate-limits", {"total": 3, "windowSeconds": 2})
    assert response.json() == {"enabled": True, "reads": 1500, "total": 3, "windowSeconds": 2.0}
    assert [graph.get(f"/v1.0/users/{USER}/presence").status_code for _ in range(4)] == [200, 200, 200, 429]
    emu.clock.advance(2)
    assert graph.get(f"/v1.0/users/{USER}/presence").status_code == 200
    assert post(emu, "rate-limits", {"enabled": False}).json()["enabled"] is False
    assert all(graph.get(f"/v1.0/users/{USER}/presence").status_code == 200 for _ in range(5))


@pytest.mark.parametrize("body", [{"total": 0}, {"total": 1.5}, {"reads": "10"}, {"windowSeconds": 0},
                                  {"windowSeconds": -1}, {"enabled": "yes"}, {"window": 2}])
def test_rate_limits_are_checked(emu, body):
    assert post(emu, "rate-limits", body).status_code == 400
    assert emu.api.throttle.limits is None


def test_set_rate_limits_in_process_checks_too(emu):
    for bad in ({"total": -1}, {"window": float("inf")}, {"reads": True}):
        with pytest.raises(ValueError):
            emu.set_rate_limits(**bad)
    assert emu.api.throttle.limits is None


# -- 19.5: who may drive the control API -------------------------------------------------------
def test_a_cross_origin_page_cannot_drive_it(emu):
    emu.inject("503", path="/nowhere")
    for headers in ({"Content-Type": "text/plain"}, {"Content-Type": "application/x-www-form-urlencoded"}):
        response = requests.post(f"{emu.graph_url}/_emulator/reset", data="{}", headers=headers, timeout=10)
        assert response.status_code == 415
    response = post(emu, "reset", Origin="http://evil.example")
    assert response.status_code == 403 and "Origin" in error_of(response)["message"]
    assert post(emu, "reset", Origin="null").status_code == 403
    assert post(emu, "reset", Origin="http://127.0.0.1:1").status_code == 403      # another local page
    assert len(emu.faults.rules) == 1
    assert post(emu, "reset", Origin=emu.graph_url).status_code == 200             # its own origin is fine
    assert emu.faults.rules == []


def test_a_foreign_host_name_is_refused_dns_rebinding(emu):
    for host in ("evil.example", "evil.example:80", "10.0.0.1"):
        response = requests.get(f"{emu.graph_url}/_emulator/requests", headers={"Host": host}, timeout=10)
        assert response.status_code == 403 and host in error_of(response)["message"]
    port = emu.graph_url.rsplit(":", 1)[1]
    for host in (f"127.0.0.1:{port}", f"localhost:{port}", "[::1]"):
        assert requests.get(f"{emu.graph_url}/_emulator/requests", headers={"Host": host}, timeout=10).ok


def test_non_loopback_clients_are_refused_unless_allowed(emu):
    # The peer address is what the server saw; a non-loopback peer cannot be made on 127.0.0.1.
    for client in ("192.0.2.7", "::ffff:10.1.2.3", "fd00::5"):
        status, body = control.handle(emu, "POST", "reset", {"content-type": "application/json"}, b"{}", client)
        assert status == 403 and "--allow-remote-control" in body["error"]["message"]
    for client in ("127.0.0.1", "127.8.9.10", "::1", "::ffff:127.0.0.1"):
        assert control.handle(emu, "GET", "requests", {}, b"", client)[0] == 200
    emu.allow_remote_control = True
    assert control.handle(emu, "GET", "requests", {"host": "emulator.lan:8080"}, b"", "192.0.2.7")[0] == 200


@pytest.mark.parametrize("path", ["/_emulator//reset", "/_emulator/reset/", "/_emulator/./reset",
                                  "//_emulator/reset", "/_emulator/%72eset"])
def test_path_variants_resolve_to_one_canonical_route(emu, path):
    emu.inject("503", path="/nowhere")
    response = requests.post(emu.graph_url + path, json={}, headers={"Origin": "http://evil.example"}, timeout=10)
    assert response.status_code == 403     # the checks apply to every variant...
    response = requests.post(emu.graph_url + path, json={}, timeout=10)
    assert response.status_code == 200    # ...and every variant is the reset
    assert emu.faults.rules == []


def test_unknown_routes_and_methods(emu):
    assert requests.get(f"{emu.graph_url}/_emulator/nothing", timeout=10).status_code == 404
    refused = requests.get(f"{emu.graph_url}/_emulator/reset", timeout=10)
    assert refused.status_code == 405 and refused.headers["Allow"] == "POST"   # HTTP: a 405 says what would do
    assert refused.json()["error"]["message"] == "GET is not allowed on /_emulator/reset; use POST."
    refused = requests.delete(f"{emu.graph_url}/_emulator/requests", timeout=10)
    assert refused.status_code == 405 and refused.headers["Allow"] == "GET"
    assert "Allow" not in requests.get(f"{emu.graph_url}/_emulator/nothing", timeout=10).headers
    response = requests.post(f"{emu.graph_url}/_emulator/reset", data="[1]",
                             headers={"Content-Type": "application/json"}, timeout=10)
    assert response.status_code == 400


def test_device_code_approval_must_name_the_code(emu):
    import msal

    app = msal.PublicClientApplication("cli", authority=emu.authority, validate_authority=False,
                                       http_client=emu.http_session())
    flow = app.initiate_device_flow(scopes=["Presence.ReadWrite"])
    assert post(emu, "device-codes/approve", {}).status_code == 400
    assert post(emu, "device-codes/approve", {"userCode": "WRONG-CODE"}).status_code == 404
    assert emu.tenant.pending_device_codes()           # still pending: nothing approved blindly
    response = post(emu, "device-codes/approve", {"userCode": flow["user_code"], "userId": USER})
    assert response.json() == {"userCode": flow["user_code"], "status": "approved"}
