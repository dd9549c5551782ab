"""Secrets never leak: canary tokens and secrets run through representative flows on every surface,
and every captured stream, log record, exception text, error record and Get-MgContext output is
searched for them.

A canary is only a useful canary if it was really in play, so each test also checks that the
emulator received it in an ``Authorization`` header (or the sign-in request).
"""

from __future__ import annotations

import json
import logging
import os
import traceback
from pathlib import Path
from typing import Any

import pytest

from conftest import run_pwsh
from pwshcompat.emulator import Emulator

from .bad_input import CMD
from .harness import cli_env, connect_python, run_cli


def fragments(secret: str) -> list[str]:
    """The secret and its tail: a log that cuts a token short must not show its signature either."""
    return [secret, secret[-16:]]


def assert_absent(secrets: list[str], **captured: str) -> None:
    for name, text in captured.items():
        for secret in secrets:
            for piece in fragments(secret):
                assert piece not in text, f"a secret ({piece[:4]}...) leaked into {name}"


def _error_text(exc: BaseException) -> str:
    parts = ["".join(traceback.format_exception(exc)), repr(exc), str(exc)]
    record = getattr(exc, "record", None)
    if record is not None:
        parts += [repr(record), json.dumps(vars(record), default=repr)]
    return "\n".join(parts)


def _saved_files() -> dict[str, str]:
    """What the product wrote under ``~/.mg`` (settings, auth record, caches)."""
    root = Path(os.environ["HOME"]) / ".mg"
    return {f"file {p}": p.read_text(errors="replace") for p in root.rglob("*") if p.is_file()}


def _dump(value: Any) -> str:
    return "\n".join([repr(value), json.dumps(value, default=lambda o: getattr(o, "__dict__", repr(o)))])


def test_python_flows_never_show_the_token(module_emulator: Emulator, caplog: pytest.LogCaptureFixture,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    import pwshcompat

    caplog.set_level(1)  # every logger, every level
    canary = module_emulator.issue_token()
    rejected = "emu.canary-never-issued-" + "q7Zr" * 8
    texts: list[str] = []

    connect_python(module_emulator, name="SecretsPy", token=canary)
    texts.append(_dump(pwshcompat.invoke(CMD, PresenceId="canary-user", Availability="Busy", Activity="Busy",
                                         PassThru=True, Debug=True, Verbose=True, ResponseHeadersVariable="rh")))
    texts.append(_dump(pwshcompat.invoke(CMD, PresenceId="canary-user", Availability="Away", Activity="Away",
                                         WhatIf=True, Debug=True, Verbose=True)))
    texts.append(_dump(pwshcompat.invoke("Get-MgContext")))
    texts.append(_dump(pwshcompat.invoke("Get-MgRequestContext")))
    for bad in ({"PresenceId": "canary-user", "Availability": "NotAnAvailability", "Activity": "Nope"},
                {"PresenceId": "canary-user", "Nope": 1},
                {"PresenceId": "canary-user", "Availability": "Busy", "Headers": {"X-Bad": "a\r\nb"}}):
        with pytest.raises(pwshcompat.PSError) as info:
            pwshcompat.invoke(CMD, Debug=True, Verbose=True, **bad)
        texts.append(_error_text(info.value))

    connect_python(module_emulator, name="SecretsPyRejected", token=rejected)
    with pytest.raises(pwshcompat.PSError) as info:
        pwshcompat.invoke(CMD, PresenceId="canary-user", Availability="Busy", Activity="Busy", Debug=True)
    texts.append(_error_text(info.value))
    texts.append(_dump(pwshcompat.invoke("Get-MgContext")))

    from pwshcompat import api

    texts += [_dump(list(api.what_if_log)), _dump(dict(api.variables))]  # -WhatIf text, variables set
    out = capsys.readouterr()
    logged = "\n".join(caplog.text.splitlines() + [r.getMessage() for r in caplog.records]
                       + [logging.Formatter().formatException(r.exc_info) for r in caplog.records if r.exc_info])
    assert any(r.headers.get("authorization") == f"Bearer {canary}" for r in module_emulator.requests)
    assert any(r.headers.get("authorization") == f"Bearer {rejected}" for r in module_emulator.requests)
    assert_absent([canary, rejected], stdout=out.out, stderr=out.err, logs=logged, results="\n".join(texts),
                  **_saved_files())


PS_FLOWS = r"""
$DebugPreference = 'Continue'; $VerbosePreference = 'Continue'; $InformationPreference = 'Continue'
$ErrorActionPreference = 'Continue'
Import-Module ./Microsoft.Graph.Beta.CloudCommunications.psd1
Add-MgEnvironment -Name SecretsPs -GraphEndpoint $args[0] -AzureADEndpoint https://login.local | Out-Null
$token = ConvertTo-SecureString $args[1] -AsPlainText -Force
Connect-MgGraph -Environment SecretsPs -AccessToken $token -Debug -Verbose
Set-MgBetaCommunicationPresenceUserPreferredPresence -PresenceId canary-user -Availability Busy -Activity Busy `
    -PassThru -Debug -Verbose -ResponseHeadersVariable rh
$rh | ConvertTo-Json -Depth 4
Set-MgBetaCommunicationPresenceUserPreferredPresence -PresenceId canary-user -Availability Away -Activity Away -WhatIf
Set-MgBetaCommunicationPresenceUserPreferredPresence -PresenceId canary-user -Availability NotAnAvailability `
    -Activity Nope -Debug -Verbose
Set-MgBetaCommunicationPresenceUserPreferredPresence -PresenceId canary-user -Availability Busy `
    -Headers @{ 'X-Bad' = "a`r`nb" } -Debug
Get-MgContext | Format-List * | Out-String -Width 500
Get-MgContext | ConvertTo-Json -Depth 4
Get-MgRequestContext | Format-List * | Out-String -Width 500
Connect-MgGraph -Environment SecretsPs -AccessToken (ConvertTo-SecureString $args[2] -AsPlainText -Force) -Debug
Set-MgBetaCommunicationPresenceUserPreferredPresence -PresenceId canary-user -Availability Busy -Activity Busy -Debug
$Error | Format-List * -Force | Out-String -Width 500
$Error | ForEach-Object { $_.Exception | Format-List * -Force | Out-String -Width 500 }
$Error | ForEach-Object { $_.ErrorDetails | Format-List * -Force | Out-String -Width 500 }
$Error | ForEach-Object { $_.TargetObject | ConvertTo-Json -Depth 3 -WarningAction SilentlyContinue }
'FLOWS-DONE'
"""


def test_powershell_streams_debug_whatif_errors_and_context_never_show_the_token(module_emulator: Emulator) -> None:
    canary = module_emulator.issue_token()
    rejected = "emu.canary-never-issued-" + "Pw5h" * 8
    result = run_pwsh(PS_FLOWS, module_emulator.graph_url, canary, rejected, timeout=180)
    assert "FLOWS-DONE" in result.stdout, result.stderr[-3000:]
    assert "DEBUG:" in result.stdout or "DEBUG:" in result.stderr, "-Debug produced nothing to inspect"
    assert any(r.headers.get("authorization") == f"Bearer {canary}" for r in module_emulator.requests)
    assert_absent([canary, rejected], stdout=result.stdout, stderr=result.stderr, **_saved_files())


def test_cli_debug_and_errors_never_show_the_token(module_emulator: Emulator, tmp_path: Path) -> None:
    canary = module_emulator.issue_token()
    env = cli_env(module_emulator, canary, tmp_path)
    runs = [
        run_cli([CMD, "-PresenceId", "canary-user", "-Availability", "Busy", "-Activity", "Busy", "-PassThru",
                 "-Debug", "-Verbose"], env),
        run_cli([CMD, "-PresenceId", "canary-user", "-Availability", "NotAnAvailability", "-Debug"], env),
        run_cli(["Get-MgContext"], env),
    ]
    assert runs[0].returncode == 0, runs[0].stderr
    assert any(r.headers.get("authorization") == f"Bearer {canary}" for r in module_emulator.requests)
    for n, run in enumerate(runs):
        assert_absent([canary], **{f"run{n}-stdout": run.stdout, f"run{n}-stderr": run.stderr})
    home_files = {str(p): p.read_text(errors="replace") for p in tmp_path.rglob("*") if p.is_file()}
    assert_absent([canary], **{f"file {k}": v for k, v in home_files.items() if "cache" not in k})


def test_client_secret_sign_in_never_shows_the_secret_or_the_token(caplog: pytest.LogCaptureFixture,
                                                                   capsys: pytest.CaptureFixture[str],
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """Real msal against the emulator's strict tenant: a right and a wrong canary secret."""
    import pwshcompat

    caplog.set_level(1)
    secret, wrong = "canary-secret-" + "Zx9w" * 8, "canary-wrong-" + "Yv8u" * 8
    texts: list[str] = []
    with Emulator(strict=True) as emu:
        emu.register_app("canary-app", secret=secret)
        emu.add_user("canary-user")
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", emu.ca_bundle)  # trust its sign-in TLS explicitly
        pwshcompat.Add_MgEnvironment(Name="SecretsStrict", GraphEndpoint=emu.graph_url, AzureADEndpoint=emu.login_url)
        texts.append(_dump(pwshcompat.Connect_MgGraph(
            Environment="SecretsStrict", TenantId=emu.tenant_id, Debug=True, Verbose=True,
            ClientSecretCredential={"UserName": "canary-app", "Password": secret})))
        texts.append(_dump(pwshcompat.invoke(CMD, PresenceId="canary-user", Availability="Away", Activity="Away",
                                             PassThru=True, Debug=True, Verbose=True)))
        texts.append(_dump(pwshcompat.invoke("Get-MgContext")))
        with pytest.raises(pwshcompat.PSError) as info:
            pwshcompat.Connect_MgGraph(Environment="SecretsStrict", TenantId=emu.tenant_id, Debug=True,
                                       ClientSecretCredential={"UserName": "canary-app", "Password": wrong})
        texts.append(_error_text(info.value))
        texts.append(_dump(pwshcompat.invoke("Get-MgContext")))
        tokens = sorted({r.headers["authorization"].split(" ", 1)[1] for r in emu.requests
                         if r.headers.get("authorization", "").startswith("Bearer ")})
        sign_ins = b"\n".join(r.body for r in emu.login_requests)
    assert secret.encode() in sign_ins and wrong.encode() in sign_ins, "the canary secrets never reached sign-in"
    assert tokens, "no Graph request carried the token msal obtained"
    out = capsys.readouterr()
    logged = "\n".join(caplog.text.splitlines() + [r.getMessage() for r in caplog.records])
    assert_absent([secret, wrong, *tokens], stdout=out.out, stderr=out.err, logs=logged, results="\n".join(texts),
                  **_saved_files())


PS_SECRET_FLOW = r"""
$DebugPreference = 'Continue'; $VerbosePreference = 'Continue'; $ErrorActionPreference = 'Continue'
Import-Module ./Microsoft.Graph.Beta.CloudCommunications.psd1
$cred = [pscredential]::new('canary-app', (ConvertTo-SecureString $args[0] -AsPlainText -Force))
Connect-MgGraph -Environment Emulator -TenantId emulator -ClientSecretCredential $cred -Debug -Verbose
Set-MgBetaCommunicationPresenceUserPreferredPresence -PresenceId canary-user -Availability Away -Activity Away `
    -PassThru -Debug
Get-MgContext | Format-List * | Out-String -Width 500
Get-MgContext | ConvertTo-Json -Depth 4
$cred | Format-List * | Out-String
$Error | Format-List * -Force | Out-String -Width 500
'SECRET-FLOW-DONE'
"""


def test_powershell_client_secret_sign_in_never_shows_the_secret() -> None:
    secret = "canary-secret-" + "Qp4s" * 8
    result = run_pwsh(PS_SECRET_FLOW, secret, timeout=180)
    assert "SECRET-FLOW-DONE" in result.stdout, result.stderr[-3000:]
    assert "True" in result.stdout, f"the signed-in call did not succeed: {result.stderr[-2000:]}"
    assert_absent([secret], stdout=result.stdout, stderr=result.stderr, **_saved_files())
