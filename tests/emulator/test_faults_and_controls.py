"""Fault injection, the request log, reset, the control API, the CLI and the process-wide emulator."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import requests

from pwshcompat.emulator import Emulator
from pwshcompat.emulator.embedded import shared

from .conftest import USER, Graph, error_of

ROOT = Path(__file__).resolve().parents[2]


def test_429_carries_retry_after_and_stops_after_count(graph, emu):
    emu.inject("429", path="*/setUserPreferredPresence", count=2, retry_after=2)
    statuses = [graph.set_preferred("Busy", "Busy") for _ in range(3)]
    assert [r.status_code for r in statuses] == [429, 429, 200]
    assert statuses[0].headers["Retry-After"] == "2"
    assert error_of(statuses[0])["code"] == "TooManyRequests"
    assert [r.fault for r in emu.requests] == ["429", "429", None]


@pytest.mark.parametrize("kind,status", [("503", 503), ("504", 504), (429, 429)])
def test_status_faults_do_not_change_state(graph, emu, kind, status):
    emu.inject(kind, count=1)
    assert graph.set_preferred("Busy", "Busy").status_code == status
    assert emu.preferred_presence(USER) is None


def test_rules_match_by_path_glob_and_method(graph, emu):
    emu.inject("503", path="/v1.0/users/*/presence", method="GET")
    assert graph.set_preferred("Busy", "Busy").status_code == 200
    assert graph.get(f"/v1.0/users/{USER}/presence").status_code == 503


def test_connection_reset_reaches_the_client_and_is_logged(graph, emu):
    emu.inject("reset", count=1)
    with pytest.raises(requests.exceptions.ConnectionError):
        graph.set_preferred("Busy", "Busy")
    assert emu.preferred_presence(USER) is None
    assert (emu.requests[0].fault, emu.requests[0].status) == ("reset", None)
    assert graph.set_preferred("Busy", "Busy").status_code == 200


def test_slow_response_processes_then_answers_late(graph, emu):
    emu.inject("slow", count=1, delay=2.0)
    with pytest.raises(requests.exceptions.ReadTimeout):
        graph.set_preferred("Busy", "Busy", timeout=0.2)
    assert emu.preferred_presence(USER).availability == "Busy"


def test_probability_is_seeded_and_repeatable():
    def pattern(seed: int) -> list[int]:
        with Emulator(seed=seed) as emu:
            emu.inject("503", probability=0.5)
            client = Graph(emu, emu.issue_token())
            return [client.get(f"/v1.0/users/{USER}/presence").status_code for _ in range(24)]

    first = pattern(7)
    assert first == pattern(7)
    assert {200, 503} == set(first)


def test_fault_options_are_validated(emu):
    with pytest.raises(ValueError, match="unknown fault kind"):
        emu.inject("500")
    with pytest.raises(ValueError, match="probability"):
        emu.inject("503", probability=1.5)


def test_request_log_records_method_path_headers_body_and_status(graph, emu):
    graph.set_preferred("Away", "Away")
    (request,) = emu.requests
    assert (request.method, request.path, request.status) == (
        "POST", f"/v1.0/users/{USER}/presence/setUserPreferredPresence", 200)
    assert request.headers["authorization"].startswith("Bearer ")
    assert request.json() == {"availability": "Away", "activity": "Away"}
    assert request.time == emu.clock.now()


def test_reset_forgets_state_log_and_faults(graph, emu):
    emu.add_client_session(USER)
    graph.set_preferred("Away", "Away")
    emu.inject("503")
    emu.reset()
    assert emu.requests == [] and emu.faults.rules == []
    assert graph.presence() == ("Offline", "Offline")


def test_control_api_serves_log_state_clock_faults_and_reset(graph, emu):
    control = emu.graph_url + "/_emulator"
    emu.add_client_session(USER)
    graph.set_session("Busy", "InACall", "PT5M")
    assert requests.get(control + "/requests", timeout=10).json()[0]["status"] == 200
    assert requests.get(control + "/presences", timeout=10).json()[USER]["presence"]["availability"] == "Busy"
    requests.post(control + "/clock", json={"advanceSeconds": 300}, timeout=10)
    assert graph.presence() == ("Available", "Available")
    requests.post(control + "/faults", json={"kind": "504", "count": 1}, timeout=10)
    assert graph.get(f"/v1.0/users/{USER}/presence").status_code == 504
    assert requests.post(control + "/reset", timeout=10).status_code == 415   # a form-style POST
    assert emu.requests != []
    requests.post(control + "/reset", json={}, timeout=10)
    assert emu.requests == []
    assert requests.post(control + "/faults", json={"kind": "boom"}, timeout=10).status_code == 400


def test_cli_prints_its_urls_and_serves_until_terminated():
    process = subprocess.Popen([sys.executable, "-m", "pwshcompat.emulator", "--port", "0"], cwd=ROOT,
                               stdout=subprocess.PIPE, text=True)
    try:
        lines = dict(process.stdout.readline().rstrip("\n").split(": ", 1) for _ in range(4))
        assert lines["Graph"].startswith("http://127.0.0.1:") and lines["Login"].startswith("https://127.0.0.1:")
        assert Path(lines["CA bundle"]).read_text().startswith("-----BEGIN CERTIFICATE-----")
        response = requests.get(lines["Graph"] + f"/v1.0/users/{USER}/presence", timeout=10)
        assert response.status_code == 401
        discovery = f"{lines['Login']}/{lines['Tenant']}/v2.0/.well-known/openid-configuration"
        assert requests.get(discovery, verify=lines["CA bundle"], timeout=10).status_code == 200
    finally:
        process.terminate()
        assert process.wait(timeout=10) == 0


def test_shared_emulator_is_started_once_per_process():
    first = shared()
    assert shared() is first
    assert Graph(first, first.issue_token()).get(f"/beta/users/{USER}/presence").status_code == 200


def test_rate_limits_are_off_by_default_and_per_app_with_retry_after(emu):
    app_a, app_b = Graph(emu, emu.issue_token(client_id="app-a")), Graph(emu, emu.issue_token(client_id="app-b"))
    assert all(app_a.get(f"/v1.0/users/{USER}/presence").status_code == 200 for _ in range(5))
    emu.set_rate_limits(reads=3, total=5, window=30)
    assert [app_a.get(f"/v1.0/users/{USER}/presence").status_code for _ in range(4)] == [200, 200, 200, 429]
    assert app_a.get(f"/v1.0/users/{USER}/presence").headers["Retry-After"] == "30"
    assert app_a.set_preferred("Busy", "Busy").status_code == 429          # the total counts the refused reads too
    assert app_b.get(f"/v1.0/users/{USER}/presence").status_code == 200    # another app has its own budget
    emu.clock.advance(seconds=30)
    assert app_a.set_preferred("Busy", "Busy").status_code == 200
    emu.set_rate_limits(enabled=False)
    assert all(app_a.get(f"/v1.0/users/{USER}/presence").status_code == 200 for _ in range(5))


def test_cli_strict_tenant_takes_apps_and_users_from_the_command_line():
    process = subprocess.Popen([sys.executable, "-m", "pwshcompat.emulator", "--strict", "--app", "bot=s3cret",
                                "--user", USER], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        lines = dict(process.stdout.readline().rstrip("\n").split(": ", 1) for _ in range(4))
        token_url = f"{lines['Login']}/{lines['Tenant']}/oauth2/v2.0/token"
        form = {"grant_type": "client_credentials", "scope": "https://graph.microsoft.com/.default"}
        refused = requests.post(token_url, data={**form, "client_id": "bot", "client_secret": "nope"},
                                verify=lines["CA bundle"], timeout=10)
        assert refused.status_code == 401
        token = requests.post(token_url, data={**form, "client_id": "bot", "client_secret": "s3cret"},
                              verify=lines["CA bundle"], timeout=10).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        assert requests.get(f"{lines['Graph']}/v1.0/users/{USER}/presence", headers=headers, timeout=10).ok
        assert requests.get(f"{lines['Graph']}/v1.0/users/someone/presence", headers=headers,
                            timeout=10).status_code == 404
    finally:
        process.terminate()
        assert process.wait(timeout=10) == 0


def test_cli_rejects_a_malformed_app():
    result = subprocess.run([sys.executable, "-m", "pwshcompat.emulator", "--app", "no-secret"], cwd=ROOT,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "--app expects CLIENT_ID=SECRET" in result.stderr
