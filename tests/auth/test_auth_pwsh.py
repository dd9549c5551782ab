"""The auth cmdlets in real pwsh: every flow, Get-MgContext, environments, Invoke-MgGraphRequest, errors.

Everything runs in one pwsh process (start-up is the expensive part); the script records each
check in an ordered hashtable and prints it as JSON on its last line. The emulator runs in this
test process: it approves device codes through its hook, and its request log is checked here.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from pwshcompat.emulator.managed_identity import ManagedIdentityEndpoint
from auth_fixtures import home  # noqa: F401 - autouse: private HOME, no connection left behind

SECRET = "pwsh-canary-S3cr3t-7781"
# Found before the autouse fixture points HOME elsewhere (the shared fixture falls back to ~/.dotnet/tools).
_PWSH_DIR = os.path.dirname(shutil.which("pwsh") or os.path.expanduser("~/.dotnet/tools/pwsh"))

SCRIPT = r"""
$Graph, $Login, $Tenant, $Secret, $PfxPath, $Thumb, $MiUrl = $args[1..7]
Import-Module ./Microsoft.Graph.Beta.CloudCommunications.psd1
$r = [ordered]@{}
function Try-It([string] $Name, [scriptblock] $Block) {
    try { $r[$Name] = & $Block } catch { $r[$Name] = "ERROR " + $_.FullyQualifiedErrorId + " | " + $_.Exception.Message }
}
function Ctx { $c = Get-MgContext; if ($c) { '{0}|{1}|{2}|{3}' -f $c.AuthType, $c.TokenCredentialType, $c.ContextScope, $c.ClientId } else { 'none' } }

Try-It 'notConnected' { Set-MgBetaCommunicationPresenceUserPreferredPresence -PresenceId u1 -Availability Busy -Activity Busy; 'sent' }
Try-It 'notConnectedInvoke' { Invoke-MgGraphRequest -Uri /v1.0/users/u1/presence; 'sent' }
$null = Add-MgEnvironment -Name Local -AzureADEndpoint $Login -GraphEndpoint $Graph
Try-It 'envTypes' { (Get-MgEnvironment -Name Local).Type + '|' + (Get-MgEnvironment | Measure-Object).Count }
Try-It 'addWhatIf' { Add-MgEnvironment -Name Maybe -AzureADEndpoint $Login -GraphEndpoint $Graph -WhatIf; [bool](Get-MgEnvironment -Name Maybe) }
Try-It 'builtIn' { Remove-MgEnvironment -Name Global; 'removed' }
Try-It 'unknownEnv' { Connect-MgGraph -Environment Nowhere -AccessToken (ConvertTo-SecureString 'x' -AsPlainText -Force); 'connected' }

$token = ConvertTo-SecureString $args[0] -AsPlainText -Force
Try-It 'welcome' { (Connect-MgGraph -Environment Local -AccessToken $token 6>&1 | Out-String).Trim() }
# The original writes the welcome as output (WriteObject): a variable holds it, Out-Null silences it.
Try-It 'welcomeStreams' { $held = Connect-MgGraph -Environment Local -AccessToken $token 6>$null
    $info = @(Connect-MgGraph -Environment Local -AccessToken $token 6>&1 | Where-Object { $_ -is [System.Management.Automation.InformationRecord] })
    "$(@($held).Count)|$($held -is [string])|$($info.Count)" }
Try-It 'accessToken' { Ctx }
Try-It 'contextProps' { ((Get-MgContext).psobject.Properties.Name) -join ',' }
Try-It 'contextType' { (Get-MgContext).psobject.TypeNames[0] }
Try-It 'setPresence' { Set-MgBetaCommunicationPresenceUserPreferredPresence -PresenceId u1 -Availability Busy -Activity Busy -PassThru }
Try-It 'invokeGet' { $p = Invoke-MgGraphRequest -Uri "$Graph/v1.0/users/u1/presence" -StatusCodeVariable sc; ($p -is [hashtable]).ToString() + '|' + $p['availability'] + '|' + $sc }
Try-It 'invokePsObject' { (Invoke-MgGraphRequest -Method GET -Uri v1.0/users/u1/presence -OutputType PSObject).GetType().Name }
Try-It 'invokeError' { Invoke-MgGraphRequest -Uri /v1.0/nothing/here; 'no error' }
Try-It 'invokeErrorDetails' { try { Invoke-MgGraphRequest -Uri /v1.0/nothing/here } catch { [bool]$_.ErrorDetails.Message } }
Try-It 'disconnect' { (Disconnect-MgGraph).AuthType }
Try-It 'disconnectAgain' { Disconnect-MgGraph -ErrorAction SilentlyContinue -ErrorVariable ev; $ev[0].Exception.Message }

$cred = [pscredential]::new('pwsh-app', (ConvertTo-SecureString $Secret -AsPlainText -Force))
Try-It 'secret' { Connect-MgGraph -ClientSecretCredential $cred -TenantId $Tenant -Environment Local -NoWelcome; Ctx }
Try-It 'secretAlias' { Connect-Graph -Credential $cred -Tenant $Tenant -EnvironmentName Local -NoWelcome; Ctx }
Try-It 'certObject' {
    $cert = [System.Security.Cryptography.X509Certificates.X509Certificate2]::new($PfxPath, '', 'Exportable')
    Connect-MgGraph -AppId cert-app -Certificate $cert -TenantId $Tenant -Environment Local -NoWelcome; Ctx }
Try-It 'certThumbprint' { Connect-MgGraph -ClientId cert-app -CertificateThumbprint $Thumb -TenantId $Tenant -Environment Local -NoWelcome; (Get-MgContext).CertificateThumbprint }
Try-It 'badThumbprint' { Connect-MgGraph -ClientId cert-app -CertificateThumbprint ABC -TenantId $Tenant -Environment Local -NoWelcome; 'connected' }
Try-It 'deviceCode' { Connect-MgGraph -Scopes 'User.Read, Presence.ReadWrite' -TenantId $Tenant -Environment Local -UseDeviceCode -ContextScope Process -NoWelcome 6>$null; (Ctx) + '|' + (Get-MgContext).Account }
# AZURE_* and AZURE_POD_IDENTITY_AUTHORITY_HOST come from the environment pwsh was started with.
Try-It 'envVars' { Connect-MgGraph -EnvironmentVariable -Environment Local -NoWelcome; Ctx }
Try-It 'identity' { Connect-MgGraph -MSI -Environment Local -NoWelcome; Ctx }
Try-It 'emulatorEnv' { Connect-MgGraph -Environment Emulator -NoWelcome; (Set-MgBetaCommunicationPresenceUserPreferredPresence -PresenceId dry -Availability Away -Activity Away -PassThru) }
Try-It 'verboseDebug' { Connect-MgGraph -ClientSecretCredential $cred -TenantId $Tenant -Environment Local -Verbose -Debug *>&1 | Out-String }
$r | ConvertTo-Json -Compress -Depth 3
"""


def _certificate():
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "pwsh-cert-app")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=30)).sign(key, hashes.SHA256()))
    pfx = pkcs12.serialize_key_and_certificates(b"app", key, cert, None, serialization.NoEncryption())
    return cert, pfx, cert.fingerprint(hashes.SHA1()).hex().upper()


@pytest.fixture
def results(emulator, pwsh, home: Path, monkeypatch) -> dict:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", emulator.ca_bundle)
    monkeypatch.setenv("PATH", _PWSH_DIR + os.pathsep + os.environ.get("PATH", ""))
    cert, pfx, thumb = _certificate()
    (home / "app.pfx").write_bytes(pfx)
    store = home / ".dotnet" / "corefx" / "cryptography" / "x509stores" / "my"
    store.mkdir(parents=True)
    (store / f"{thumb}.pfx").write_bytes(pfx)
    emulator.register_app("cert-app", certificate=cert)
    emulator.device_code_hook = lambda code: code.approve()
    emulator.add_client_session("u1")
    with ManagedIdentityEndpoint(emulator) as mi:
        for name, value in {"AZURE_TENANT_ID": emulator.tenant_id, "AZURE_CLIENT_ID": "env-app",
                            "AZURE_CLIENT_SECRET": SECRET, "AZURE_POD_IDENTITY_AUTHORITY_HOST": mi.url}.items():
            monkeypatch.setenv(name, value)
        done = pwsh(SCRIPT, emulator.issue_token(), emulator.graph_url, emulator.login_url, emulator.tenant_id,
                    SECRET, str(home / "app.pfx"), thumb, mi.url, timeout=240)
    assert done.returncode == 0, done.stderr + done.stdout
    out = json.loads(done.stdout.strip().splitlines()[-1])
    out["_all_text"] = done.stdout + done.stderr
    return out


def test_auth_cmdlets_in_pwsh(results, emulator):
    r = results
    assert r["notConnected"].startswith("ERROR ") and "Authentication needed. Please call Connect-MgGraph." in r["notConnected"]
    assert "Authentication needed. Please call Connect-MgGraph." in r["notConnectedInvoke"]
    assert r["envTypes"] == "User-defined|6"
    assert r["addWhatIf"] is False
    assert r["builtIn"].startswith("ERROR CannotModifyBuiltInEnvironment")
    assert r["unknownEnv"].startswith("ERROR InvalidEnvironment")

    assert r["welcome"].startswith("Welcome to Microsoft Graph!")
    assert r["welcomeStreams"] == "1|True|0"
    assert r["accessToken"].startswith("UserProvidedAccessToken|UserProvidedAccessToken|Process|")
    assert r["contextProps"].startswith("ClientId,TenantId,Scopes,AuthType,TokenCredentialType,")
    assert r["contextType"] == "Microsoft.Graph.PowerShell.Authentication.AuthContext"
    assert r["setPresence"] is True
    assert r["invokeGet"] == "True|Busy|200"  # a Hashtable, as the original's (tests/pwsh/test_invoke_types.py has more)
    assert r["invokePsObject"] == "PSCustomObject"
    assert r["invokeError"].startswith(
        "ERROR InvokeGraphHttpResponseException,Microsoft.Graph.PowerShell.Authentication.Cmdlets.InvokeMgGraphRequest | ")
    assert r["invokeErrorDetails"] is True
    assert r["disconnect"] == "UserProvidedAccessToken"
    assert r["disconnectAgain"] == "No application to sign out from."

    assert r["secret"] == "AppOnly|ClientSecret|Process|pwsh-app"
    assert r["secretAlias"] == "AppOnly|ClientSecret|Process|pwsh-app"
    assert r["certObject"] == "AppOnly|ClientCertificate|Process|cert-app"
    assert len(r["certThumbprint"]) == 40
    assert r["badThumbprint"].startswith("ERROR InvalidCertificateThumbprint")
    assert r["deviceCode"].startswith("Delegated|DeviceCode|Process|") and r["deviceCode"].endswith("|alex@pwshcompat.test")
    assert r["envVars"] == "EnvironmentVariable|EnvironmentVariable|Process|env-app"
    assert r["identity"].startswith("ManagedIdentity|ManagedIdentity|Process|")
    assert r["emulatorEnv"] is True
    assert SECRET not in r["_all_text"]  # not in any stream, including -Verbose/-Debug and errors


PERSIST = r"""
$Graph, $Login, $Tenant, $Step = $args[0..3]
Import-Module ./Microsoft.Graph.Beta.CloudCommunications.psd1
if ($Step -eq 'first') { $null = Add-MgEnvironment -Name Saved -AzureADEndpoint $Login -GraphEndpoint $Graph }
Connect-MgGraph -Scopes User.Read -TenantId $Tenant -Environment Saved -UseDeviceCode -NoWelcome 6>$null
$c = Get-MgContext
'{0}|{1}|{2}' -f $c.ContextScope, $c.Account, (Test-Path (Join-Path $HOME '.mg/mg.msal.cache'))
"""


def test_current_user_sign_in_carries_over_to_the_next_pwsh_process(emulator, pwsh, monkeypatch):
    """Environment and token cache persist in ~/.mg: the second process signs in without a device code."""
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", emulator.ca_bundle)
    monkeypatch.setenv("PATH", _PWSH_DIR + os.pathsep + os.environ.get("PATH", ""))
    codes: list[str] = []
    emulator.device_code_hook = lambda code: (codes.append(code.user_code), code.approve())
    args = (emulator.graph_url, emulator.login_url, emulator.tenant_id)
    first = pwsh(PERSIST, *args, "first")
    assert first.returncode == 0, first.stderr
    second = pwsh(PERSIST, *args, "second")
    assert second.returncode == 0, second.stderr
    assert first.stdout.strip().splitlines()[-1] == second.stdout.strip().splitlines()[-1] == \
        "CurrentUser|alex@pwshcompat.test|True"
    assert len(codes) == 1
