"""Dry-run safety: with AZURE_* credentials and PWSHCOMPAT_GRAPH_ENDPOINT, the command line signs in
where that endpoint belongs, or refuses before sending anything; it never mixes clouds."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

import pwshcompat
from pwshcompat.auth import environments
from pwshcompat.emulator import Emulator
from auth_fixtures import home  # noqa: F401 - autouse: private HOME, no connection left behind
from conftest import ROOT

CMD = "Set-MgBetaCommunicationPresenceUserPreferredPresence"
SECRET = "dry-run-canary-51f0"


def _cli(emu, home: Path, **variables: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AZURE_", "PWSHCOMPAT_"))}
    env.update(HOME=str(home), NO_COLOR="1", REQUESTS_CA_BUNDLE=emu.ca_bundle, AZURE_TENANT_ID=emu.tenant_id,
               AZURE_CLIENT_ID="dry-run-app", AZURE_CLIENT_SECRET=SECRET, PWSHCOMPAT_GRAPH_ENDPOINT=emu.graph_url)
    env.update(variables)
    return subprocess.run(["/usr/bin/python3", "-m", "pwshcompat", CMD, "-PresenceId", "u1", "-Availability", "Busy",
                           "-Activity", "Busy", "-PassThru"], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)


def test_a_local_graph_endpoint_without_its_sign_in_endpoint_is_refused_before_any_request(emulator, home):
    result = _cli(emulator, home)
    assert result.returncode == 1 and result.stdout == ""
    assert f"The Graph endpoint {emulator.graph_url} belongs to no known environment" in result.stderr
    assert "would mix clouds, so nothing was sent" in result.stderr and "PWSHCOMPAT_AZUREAD_ENDPOINT" in result.stderr
    assert "CloudMismatch" in result.stderr and SECRET not in result.stderr
    assert emulator.requests == [] and emulator.login_requests == []


def test_the_sign_in_endpoint_of_the_emulator_pairs_with_its_graph_endpoint(emulator, home):
    result = _cli(emulator, home, PWSHCOMPAT_AZUREAD_ENDPOINT=emulator.login_url)
    assert (result.returncode, result.stdout.strip()) == (0, "true"), result.stderr
    assert [r.path.split("/")[-1] for r in emulator.login_requests] == ["openid-configuration", "token"]
    assert emulator.requests[-1].status == 200
    # A second run finds the pairing it saved.
    assert _cli(emulator, home).returncode == 0


@pytest.mark.parametrize("aad", ["https://login.microsoftonline.com", "https://login.chinacloudapi.cn/"])
def test_a_public_cloud_sign_in_endpoint_with_a_local_graph_endpoint_is_refused(emulator, home, aad):
    result = _cli(emulator, home, PWSHCOMPAT_AZUREAD_ENDPOINT=aad)
    assert result.returncode == 1 and "CloudMismatch" in result.stderr and "would mix clouds" in result.stderr
    assert emulator.requests == [] and emulator.login_requests == []


def test_pairing_rules():
    assert environments.for_graph_endpoint("https://graph.microsoft.com/") == "Global"
    assert environments.for_graph_endpoint("https://dod-graph.microsoft.us", "https://login.microsoftonline.us") == "USGovDoD"
    with pytest.raises(pwshcompat.PSError, match="belongs to Global, whose sign-in endpoint is"):
        environments.for_graph_endpoint("https://graph.microsoft.com", "https://127.0.0.1:1")
    with pytest.raises(pwshcompat.PSError, match="is built in"):
        environments.for_graph_endpoint("http://127.0.0.1:9", "https://127.0.0.1:1", name="Global")
    assert environments.for_graph_endpoint("http://127.0.0.1:9", "https://127.0.0.1:1", name="Mine") == "Mine"
    assert environments.for_graph_endpoint("http://127.0.0.1:9/") == "Mine"


SAVED = {"Name": "Contoso", "AzureADEndpoint": "https://login.contoso.example",
         "GraphEndpoint": "https://graph.contoso.example", "Type": "User-defined"}


def _saved_contoso(home: Path) -> dict[str, object]:
    return json.loads((home / ".mg" / "mg.context.json").read_text())["EnvironmentTable"]["Contoso"]


@pytest.mark.parametrize("route", ["credentials", "token"])
def test_a_dry_run_never_repoints_the_environment_the_variables_name(emulator, home, route):
    """PWSHCOMPAT_ENVIRONMENT naming someone's saved environment, with the emulator's endpoints: that
    environment stays as saved (it was rewritten to the emulator's endpoints, so a later
    Connect-MgGraph -Environment Contoso went to a local port), and nothing is sent."""
    pwshcompat.Add_MgEnvironment(Name="Contoso", GraphEndpoint=SAVED["GraphEndpoint"],
                                 AzureADEndpoint=SAVED["AzureADEndpoint"])
    variables = {"PWSHCOMPAT_ENVIRONMENT": "contoso", "PWSHCOMPAT_AZUREAD_ENDPOINT": emulator.login_url}
    if route == "token":
        variables["PWSHCOMPAT_ACCESS_TOKEN"] = emulator.issue_token()
    result = _cli(emulator, home, **variables)
    assert (result.returncode, result.stdout) == (1, ""), result.stderr
    assert (f"The environment Contoso is saved with the Graph endpoint {SAVED['GraphEndpoint']} and the sign-in "
            f"endpoint {SAVED['AzureADEndpoint']}, not {emulator.graph_url}") in result.stderr
    assert "FullyQualifiedErrorId: EnvironmentEndpointsDiffer" in result.stderr and SECRET not in result.stderr
    assert _saved_contoso(home) == SAVED
    assert emulator.requests == [] and emulator.login_requests == []


def test_a_saved_environment_whose_endpoints_the_variables_repeat_is_used_as_it_is(emulator, home):
    pwshcompat.Add_MgEnvironment(Name="Mine", GraphEndpoint=emulator.graph_url, AzureADEndpoint="https://login.mine.example")
    result = _cli(emulator, home, PWSHCOMPAT_ENVIRONMENT="Mine", PWSHCOMPAT_ACCESS_TOKEN=emulator.issue_token())
    assert (result.returncode, result.stdout.strip()) == (0, "true"), result.stderr
    saved = json.loads((home / ".mg" / "mg.context.json").read_text())["EnvironmentTable"]["Mine"]
    assert saved["AzureADEndpoint"] == "https://login.mine.example"  # was replaced by the public cloud's


def test_the_command_lines_own_pairing_is_still_saved_and_updated(emulator, home):
    first = _cli(emulator, home, PWSHCOMPAT_AZUREAD_ENDPOINT=emulator.login_url)
    assert first.returncode == 0, first.stderr
    with Emulator() as other:
        moved = _cli(other, home, PWSHCOMPAT_AZUREAD_ENDPOINT=other.login_url)
        assert moved.returncode == 0, moved.stderr
        table = json.loads((home / ".mg" / "mg.context.json").read_text())["EnvironmentTable"]
        assert table["PwshCompatCli"]["GraphEndpoint"] == other.graph_url
