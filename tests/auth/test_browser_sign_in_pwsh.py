"""Interactive sign-in in a real browser from real pwsh: open tenant, silent sign-in in the next
process (-ContextScope CurrentUser), and the strict tenant's consent clicked in the browser."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest

from pwshcompat.emulator import Emulator
from auth_fixtures import home  # noqa: F401 - autouse: private HOME, no connection left behind
from conftest import pwsh_path, run_pwsh
from headless_browser import Browsers

_PWSH_DIR = os.path.dirname(pwsh_path())  # found before the autouse fixture points HOME elsewhere
KIM = ("0f1e2d3c-4b5a-4697-8877-665544332211", "kim@contoso.test")

SCRIPT = r"""
$Login, $Graph, $Tenant, $BrowserDir, $ClientId, $Hint = $args[0..5]
Import-Module ./Microsoft.Graph.Beta.CloudCommunications.psd1
if (-not (Get-MgEnvironment -Name Local)) { $null = Add-MgEnvironment -Name Local -AzureADEndpoint $Login -GraphEndpoint $Graph }
$p = @{ Environment = 'Local'; TenantId = $Tenant; Scopes = 'Presence.ReadWrite'; ContextScope = 'CurrentUser'; NoWelcome = $true }
if ($ClientId) { $p.ClientId = $ClientId }
if ($Hint) { $p.LoginHint = $Hint }
Connect-MgGraph @p
$c = Get-MgContext
$r = [ordered]@{ AuthType = "$($c.AuthType)"; Credential = "$($c.TokenCredentialType)"; Account = $c.Account
                 Scopes = @($c.Scopes); ContextScope = "$($c.ContextScope)" }
$r.me = (Invoke-MgGraphRequest -Uri /v1.0/me/presence).id
$launches = @(Get-Content -Path (Join-Path $BrowserDir 'launches.jsonl') -ErrorAction Ignore | ConvertFrom-Json)
$r.launches = $launches.Count
if ($launches.Count) {
    $port = ([uri]([System.Web.HttpUtility]::ParseQueryString(([uri]$launches[-1].url).Query)['redirect_uri'])).Port
    $tcp = [System.Net.Sockets.TcpClient]::new()
    try { $tcp.Connect('127.0.0.1', $port); $r.port = 'open' } catch { $r.port = 'closed' } finally { $tcp.Dispose() }
}
$r | ConvertTo-Json -Compress
"""


@pytest.fixture
def browsers(tmp_path: Path, monkeypatch) -> Iterator[Browsers]:
    b = Browsers(tmp_path / "browsers", None)
    monkeypatch.setenv("PATH", _PWSH_DIR + os.pathsep + os.environ.get("PATH", ""))
    monkeypatch.delenv("DISPLAY", raising=False)
    yield b
    b.stop_all()


def _run(emu: Emulator, browsers: Browsers, monkeypatch, client_id: str = "", hint: str = "") -> dict:
    browsers.ca_bundle = emu.ca_bundle
    for name, value in {**browsers.environment(), "REQUESTS_CA_BUNDLE": emu.ca_bundle}.items():
        monkeypatch.setenv(name, value)
    done = run_pwsh(SCRIPT, emu.login_url, emu.graph_url, emu.tenant_id, str(browsers.directory), client_id, hint,
                    timeout=180)
    assert done.returncode == 0, done.stderr + done.stdout
    return json.loads(done.stdout.strip().splitlines()[-1])


def _authorize_requests(emu: Emulator) -> list[str]:
    return [r.path for r in emu.login_requests if r.path.split("?")[0].endswith("/oauth2/v2.0/authorize")]


def test_browser_sign_in_in_pwsh_and_silent_sign_in_in_the_next_process(emulator, browsers, monkeypatch, home):
    first = _run(emulator, browsers, monkeypatch, hint=KIM[1])
    assert first["AuthType"] == "Delegated" and first["Credential"] == "InteractiveBrowser"
    assert first["Account"] == KIM[1] and "Presence.ReadWrite" in first["Scopes"]
    assert first["ContextScope"] == "CurrentUser" and first["me"] and first["launches"] == 1
    assert first["port"] == "closed"
    asked = parse_qs(urlsplit(browsers.launches()[0]["url"]).query)
    assert asked["login_hint"] == [KIM[1]]
    assert (home / ".mg" / "mg.authrecord.json").exists()

    second = _run(emulator, browsers, monkeypatch, hint=KIM[1])   # a new pwsh: the remembered account, silently
    assert second["Account"] == KIM[1] and second["me"] == first["me"]
    assert second["launches"] == 1 and len(_authorize_requests(emulator)) == 1
    assert not [r for r in emulator.login_requests if r.path.endswith("/devicecode")]


def test_strict_tenant_consent_clicked_in_the_browser_from_pwsh(browsers, monkeypatch):
    with Emulator(strict=True) as strict:
        strict.register_app("strict-app", display_name="Presence dry run")
        strict.tenant.add_user(KIM[1], KIM[0])
        strict.add_user(KIM[0])
        errors: list[BaseException] = []

        def click() -> None:
            try:
                browsers.click(browsers.wait_for_launch(timeout=120), "#accept", select=("#user", KIM[1]))
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)

        clicker = threading.Thread(target=click)
        clicker.start()
        result = _run(strict, browsers, monkeypatch, client_id="strict-app")
        clicker.join(60)
    assert errors == []
    assert (result["AuthType"], result["Credential"], result["Account"]) == ("Delegated", "InteractiveBrowser", KIM[1])
    assert result["me"] == KIM[0] and result["port"] == "closed"
