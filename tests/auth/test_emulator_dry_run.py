"""Delegated dry runs in the built-in Emulator complete by themselves (no browser, no click, no hang)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

import pwshcompat
from pwshcompat.auth import connect
from auth_fixtures import home  # noqa: F401 - autouse: private HOME, no connection left behind
from conftest import pwsh_path, run_pwsh

_PWSH_DIR = os.path.dirname(pwsh_path())  # found before the autouse fixture points HOME elsewhere


@pytest.mark.parametrize("extra, credential, account", [
    ({}, "InteractiveBrowser", "alex@pwshcompat.test"),
    ({"LoginHint": "kim@contoso.test"}, "InteractiveBrowser", "kim@contoso.test"),
    ({"UseDeviceCode": True}, "DeviceCode", "alex@pwshcompat.test"),
])
def test_delegated_sign_in_to_the_emulator_completes_by_itself(monkeypatch, home: Path, extra, credential, account):
    shown: list[str] = []
    monkeypatch.setattr(connect, "device_code_sink", shown.append)
    monkeypatch.delenv("BROWSER", raising=False)
    pwshcompat.invoke("Connect-MgGraph", Environment="Emulator", Scopes="Presence.ReadWrite", NoWelcome=True, **extra)
    info = pwshcompat.invoke("Get-MgContext")
    assert (info.AuthType, info.TokenCredentialType, info.Account) == ("Delegated", credential, account)
    assert info.Scopes == ["Presence.ReadWrite"] and info.ContextScope == "Process"
    assert pwshcompat.invoke("Invoke-MgGraphRequest", Uri="/v1.0/me/presence")["availability"]
    if credential == "DeviceCode":
        assert len(shown) == 1 and "approves the code by itself" in shown[0]
    assert not (home / ".mg" / "mg.authrecord.json").exists()  # a dry run leaves the remembered account alone


SCRIPT = r"""
Import-Module ./Microsoft.Graph.Beta.CloudCommunications.psd1
$r = [ordered]@{}
Connect-MgGraph -Environment Emulator -Scopes Presence.ReadWrite -NoWelcome
$c = Get-MgContext
$r.browser = '{0}|{1}|{2}|{3}' -f $c.AuthType, $c.TokenCredentialType, $c.Account, ($c.Scopes -join ' ')
$r.me = (Invoke-MgGraphRequest -Uri /v1.0/me/presence).id
Connect-MgGraph -Environment Emulator -Scopes Presence.Read -UseDeviceCode -NoWelcome 6>$null
$c = Get-MgContext
$r.device = '{0}|{1}|{2}' -f $c.AuthType, $c.TokenCredentialType, ($c.Scopes -join ' ')
$r | ConvertTo-Json -Compress
"""


def test_delegated_dry_run_in_pwsh_completes_by_itself(monkeypatch):
    monkeypatch.setenv("PATH", _PWSH_DIR + os.pathsep + os.environ.get("PATH", ""))
    monkeypatch.delenv("BROWSER", raising=False)
    monkeypatch.delenv("DISPLAY", raising=False)
    done = run_pwsh(SCRIPT, timeout=90)
    assert done.returncode == 0, done.stderr + done.stdout
    r = json.loads(done.stdout.strip().splitlines()[-1])
    assert r["browser"] == "Delegated|InteractiveBrowser|alex@pwshcompat.test|Presence.ReadWrite"
    assert r["me"] == "6e7b0b1c-8a1f-4f3e-9f1a-2b3c4d5e6f70"
    assert r["device"] == "Delegated|DeviceCode|Presence.Read"
