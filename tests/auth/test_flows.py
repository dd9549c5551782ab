"""Every sign-in flow with real msal against the emulator's https sign-in endpoint.

Client secret, client certificate (store by thumbprint and subject, -Certificate object, PFX and PEM
files), device code approved through the emulator, refresh tokens (forced and after a 401),
CurrentUser persistence in ~/.mg, environment variables, and the one-line Emulator environment.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import stat
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

import pwshcompat
from pwshcompat import bridge
from pwshcompat.auth import context
from pwshcompat.emulator import Emulator
from auth_fixtures import home  # noqa: F401 - autouse: private HOME, no connection left behind


def trust(monkeypatch: pytest.MonkeyPatch, emulator) -> None:
    """Trust the emulator's generated CA for its https sign-in endpoint (requests honours REQUESTS_CA_BUNDLE)."""
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", emulator.ca_bundle)

SECRET = "s3cr3t-canary-Zq9"


def _local(emulator, name: str = "Local") -> str:
    pwshcompat.invoke("Add-MgEnvironment", Name=name, AzureADEndpoint=emulator.login_url, GraphEndpoint=emulator.graph_url)
    return name


@pytest.fixture
def local(emulator, monkeypatch):
    trust(monkeypatch, emulator)
    _local(emulator)
    return emulator


@pytest.fixture
def strict(monkeypatch):
    with Emulator(strict=True) as emu:
        trust(monkeypatch, emu)
        _local(emu)
        yield emu


def _set_presence(user: str = "u1") -> None:
    pwshcompat.invoke("Set-MgBetaCommunicationPresenceUserPreferredPresence", PresenceId=user,
                      Availability="Busy", Activity="Busy")


def _streams(result: dict) -> str:
    return json.dumps(result, default=repr)


# -- client secret -----------------------------------------------------------------------------

def test_client_secret_signs_in_and_the_token_works_on_graph(strict):
    strict.register_app("app-1", secret=SECRET)
    strict.add_user("u1")
    result = bridge.invoke("Connect-MgGraph", "AppSecretCredentialParameterSet", {
        "ClientSecretCredential": {"UserName": "app-1", "Password": SECRET}, "TenantId": strict.tenant_id,
        "Environment": "Local"})
    assert result["terminating"] is None, result["terminating"]
    info = pwshcompat.invoke("Get-MgContext")
    assert (info.AuthType, info.TokenCredentialType, info.ClientId, info.TenantId, info.ContextScope) == (
        "AppOnly", "ClientSecret", "app-1", strict.tenant_id, "Process")
    assert "Presence.ReadWrite.All" in info.Scopes
    assert "Connected via apponly access using" in result["output"][0]
    _set_presence()
    assert strict.requests[-1].status == 200
    assert SECRET not in _streams(result) + repr(info) + repr(context.current())


def test_wrong_client_secret_fails_without_leaking_it_and_leaves_no_connection(strict):
    strict.register_app("app-1", secret="the-right-one")
    result = bridge.invoke("Connect-MgGraph", "AppSecretCredentialParameterSet", {
        "ClientSecretCredential": {"UserName": "app-1", "Password": SECRET}, "TenantId": strict.tenant_id,
        "Environment": "Local"})
    error = result["terminating"]
    assert error["error_id"] == "AuthenticationFailed" and error["category"] == "AuthenticationError"
    assert "invalid_client" in error["message"] and "AADSTS7000215" in error["message"]
    assert SECRET not in _streams(result)
    assert context.current() is None and strict.requests == []


def test_client_secret_from_python_keywords(local):
    pwshcompat.Connect_MgGraph(ClientSecretCredential={"UserName": "any-app", "Password": SECRET},
                               TenantId=local.tenant_id, Environment="Local", NoWelcome=True)
    assert pwshcompat.Get_MgContext().TokenCredentialType == "ClientSecret"


def test_app_only_current_user_scope_keeps_the_cache_private(local, home):
    result = bridge.invoke("Connect-MgGraph", "AppSecretCredentialParameterSet", {
        "ClientSecretCredential": {"UserName": "app", "Password": SECRET}, "TenantId": local.tenant_id,
        "Environment": "Local", "ContextScope": "CurrentUser", "NoWelcome": True})
    assert result["terminating"] is None, result["terminating"]
    cache = home / ".mg" / "mg.msal.cache"
    assert stat.S_IMODE(cache.stat().st_mode) == 0o600 and "AccessToken" in json.loads(cache.read_text())
    assert SECRET not in cache.read_text()
    assert pwshcompat.invoke("Get-MgContext").ContextScope == "CurrentUser"


def test_unreachable_sign_in_endpoint_is_a_connection_error(emulator, monkeypatch):
    trust(monkeypatch, emulator)
    pwshcompat.invoke("Add-MgEnvironment", Name="Dead", AzureADEndpoint="https://127.0.0.1:9",
                      GraphEndpoint=emulator.graph_url)
    result = bridge.invoke("Connect-MgGraph", "AppSecretCredentialParameterSet", {
        "ClientSecretCredential": {"UserName": "app", "Password": SECRET}, "TenantId": "t", "Environment": "Dead"})
    assert result["terminating"]["category"] == "ConnectionError"
    assert SECRET not in _streams(result)


# -- certificates ------------------------------------------------------------------------------

def _certificate(common_name: str = "pwshcompat-test", days: int = 30, start: int = -1):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    # DER order O, CN: .NET shows it most specific first, "CN=..., O=pwshcompat".
    name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "pwshcompat"),
                      x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now + dt.timedelta(days=start))
            .not_valid_after(now + dt.timedelta(days=days)).sign(key, hashes.SHA256()))
    return key, cert


def _thumbprint(cert) -> str:
    return cert.fingerprint(hashes.SHA1()).hex().upper()


def _pfx(key, cert) -> bytes:
    return pkcs12.serialize_key_and_certificates(b"test", key, cert, None, serialization.NoEncryption())


def _into_store(home: Path, key, cert) -> str:
    store = home / ".dotnet" / "corefx" / "cryptography" / "x509stores" / "my"
    store.mkdir(parents=True, exist_ok=True)
    (store / f"{_thumbprint(cert)}.pfx").write_bytes(_pfx(key, cert))
    return _thumbprint(cert)


def _connect_cert(emu, **bound) -> dict:
    return bridge.invoke("Connect-MgGraph", "AppCertificateParameterSet", {
        "ClientId": "cert-app", "TenantId": emu.tenant_id, "Environment": "Local", "NoWelcome": True, **bound})


def test_certificate_by_thumbprint_from_the_current_user_store(strict, home):
    key, cert = _certificate()
    strict.register_app("cert-app", certificate=cert)
    strict.add_user("u1")
    thumb = _into_store(home, key, cert)
    result = _connect_cert(strict, CertificateThumbprint=thumb.lower())
    assert result["terminating"] is None, result["terminating"]
    info = pwshcompat.invoke("Get-MgContext")
    assert (info.AuthType, info.TokenCredentialType, info.CertificateThumbprint) == ("AppOnly", "ClientCertificate", thumb)
    _set_presence()
    assert strict.requests[-1].status == 200


def test_certificate_by_subject_picks_the_newest_valid_one(strict, home):
    old_key, old = _certificate("shared-name", start=-10)
    new_key, new = _certificate("shared-name", start=-1)
    expired_key, expired = _certificate("shared-name", days=-1, start=-5)
    for k, c in ((old_key, old), (new_key, new), (expired_key, expired)):
        _into_store(home, k, c)
    strict.register_app("cert-app", certificate=new)
    result = _connect_cert(strict, CertificateSubjectName="CN=shared-name, O=pwshcompat")
    assert result["terminating"] is None, result["terminating"]
    assert pwshcompat.invoke("Get-MgContext").CertificateThumbprint == _thumbprint(new)
    result = _connect_cert(strict, CertificateSubjectName="shared-name")
    assert result["terminating"] is None, result["terminating"]


def test_certificate_object_as_the_bridge_passes_it(strict):
    key, cert = _certificate()
    strict.register_app("cert-app", certificate=cert)
    blob = base64.b64encode(_pfx(key, cert)).decode()
    result = _connect_cert(strict, Certificate={"Thumbprint": _thumbprint(cert), "Subject": "CN=x", "Pkcs12": blob})
    assert result["terminating"] is None, result["terminating"]


@pytest.mark.parametrize("form", ["pfx", "pem"])
def test_certificate_file_path(strict, tmp_path, form):
    key, cert = _certificate()
    strict.register_app("cert-app", certificate=cert)
    path = tmp_path / f"app.{form}"
    if form == "pfx":
        path.write_bytes(_pfx(key, cert))
    else:
        path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()) + cert.public_bytes(serialization.Encoding.PEM))
    result = _connect_cert(strict, Certificate=str(path))
    assert result["terminating"] is None, result["terminating"]


def test_send_certificate_chain_lets_an_unregistered_certificate_sign_in_to_the_open_tenant(local):
    key, cert = _certificate()
    blob = base64.b64encode(_pfx(key, cert)).decode()
    result = _connect_cert(local, Certificate={"Thumbprint": "", "Subject": "", "Pkcs12": blob}, SendCertificateChain=True)
    assert result["terminating"] is None, result["terminating"]
    assert pwshcompat.invoke("Get-MgContext").SendCertificateChain is True


@pytest.mark.parametrize("bound, error_id", [
    ({"CertificateThumbprint": "ABC"}, "InvalidCertificateThumbprint"),
    ({"CertificateThumbprint": "A" * 40}, "CertificateNotFound"),
    ({"CertificateSubjectName": "CN=nobody"}, "CertificateNotFound"),
    ({"Certificate": {"Thumbprint": "AB", "Subject": "CN=x", "Pkcs12": None}}, "CertificateWithoutPrivateKey"),
    ({"Certificate": "/nonexistent/app.pfx"}, "CertificateFileNotFound"),
    ({}, "InvalidCertificate"),
    ({"CertificateThumbprint": "A" * 40, "TenantId": None}, "InvalidTenantId"),
])
def test_certificate_input_errors_send_nothing(local, bound, error_id):
    result = _connect_cert(local, **bound)
    assert result["terminating"]["error_id"] == error_id
    assert local.login_requests == [] and context.current() is None


# -- device code, refresh, CurrentUser persistence ---------------------------------------------

def _device_code_connect(emu, messages: list[str], **extra) -> dict:
    emu.device_code_hook = lambda code: (messages.append(code.user_code), code.approve())
    from pwshcompat.auth import connect

    connect.device_code_sink = lambda message: None  # keep the test output clean; the stream still has it
    return bridge.invoke("Connect-MgGraph", "UserParameterSet", {
        "Scopes": ["User.Read, Presence.ReadWrite"], "TenantId": emu.tenant_id, "Environment": "Local",
        "UseDeviceCode": True, **extra})


def test_device_code_approved_through_the_emulator(local, home):
    codes: list[str] = []
    result = _device_code_connect(local, codes, ContextScope="Process")
    assert result["terminating"] is None, result["terminating"]
    assert len(codes) == 1 and codes[0] in result["information"][0]
    info = pwshcompat.invoke("Get-MgContext")
    assert (info.AuthType, info.TokenCredentialType, info.Account, info.ContextScope) == (
        "Delegated", "DeviceCode", "alex@pwshcompat.test", "Process")
    assert sorted(info.Scopes) == ["Presence.ReadWrite", "User.Read"]
    assert info.ClientId == "14d82eec-204b-4c2f-b7e8-296a70dab67e"  # the original's default app
    assert info.AppName == "pwshcompat emulator app"  # from the token's app_displayname claim
    assert not (home / ".mg" / "mg.msal.cache").exists()


def test_denied_device_code_fails(local):
    local.device_code_hook = lambda code: code.deny()
    from pwshcompat.auth import connect

    connect.device_code_sink = lambda message: None
    result = bridge.invoke("Connect-MgGraph", "UserParameterSet", {"TenantId": local.tenant_id, "Environment": "Local",
                                                                    "UseDeviceCode": True})
    assert result["terminating"]["error_id"] == "AuthenticationFailed"
    assert "authorization_declined" in result["terminating"]["message"]
    assert context.current() is None


def test_refresh_token_gives_a_new_token_on_demand(local):
    _device_code_connect(local, [], ContextScope="Process")
    ctx = context.current()
    first = ctx.get_token()
    before = len(local.login_requests)
    second = ctx.get_token(force_refresh=True)
    assert second != first
    (refresh,) = local.login_requests[before:]
    assert b"grant_type=refresh_token" in refresh.body


def test_an_expired_token_is_replaced_after_a_401_and_the_call_retried_once(local):
    pwshcompat.Connect_MgGraph(ClientSecretCredential={"UserName": "any-app", "Password": SECRET},
                               TenantId=local.tenant_id, Environment="Local", NoWelcome=True)
    sign_ins = len(local.login_requests)
    local.clock.advance(hours=2)  # Graph now rejects the cached token, which looked fresh to the client
    _set_presence("u1")
    assert [r.status for r in local.requests] == [401, 200]
    assert len(local.login_requests) == sign_ins + 1  # exactly one new token


def test_current_user_scope_persists_the_cache_0600_and_signs_in_silently_next_time(local, home):
    codes: list[str] = []
    result = _device_code_connect(local, codes)  # CurrentUser is the default for user sign-in
    assert result["terminating"] is None, result["terminating"]
    assert pwshcompat.invoke("Get-MgContext").ContextScope == "CurrentUser"
    cache, record = home / ".mg" / "mg.msal.cache", home / ".mg" / "mg.authrecord.json"
    assert stat.S_IMODE(cache.stat().st_mode) == 0o600 and stat.S_IMODE(record.stat().st_mode) == 0o600
    assert "RefreshToken" in json.loads(cache.read_text())
    assert json.loads(record.read_text())["username"] == "alex@pwshcompat.test"
    context.set_current(None)  # a new session: only the files remain
    result = _device_code_connect(local, codes)
    assert result["terminating"] is None and len(codes) == 1  # no second device code
    pwshcompat.invoke("Disconnect-MgGraph")
    assert not cache.exists() and not record.exists()


def test_a_new_process_restores_a_current_user_sign_in_without_a_prompt(local):
    from pwshcompat.auth import connect

    codes: list[str] = []
    _device_code_connect(local, codes)
    context.set_current(None)
    restored = connect.restore()
    assert restored is context.current() and restored.account == "alex@pwshcompat.test" and len(codes) == 1
    from pwshcompat.emulator.identity import DEFAULT_USER_ID

    _set_presence(DEFAULT_USER_ID)  # a delegated token may set only its own user's presence
    assert local.requests[-1].status == 200


def test_restore_without_a_record_does_nothing(local):
    from pwshcompat.auth import connect

    assert connect.restore() is None and context.current() is None


def test_without_a_browser_user_sign_in_falls_back_to_device_code(local, monkeypatch):
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    local.device_code_hook = lambda code: code.approve()
    from pwshcompat.auth import connect

    monkeypatch.setattr(connect, "device_code_sink", lambda message: None)
    result = bridge.invoke("Connect-MgGraph", "UserParameterSet", {"TenantId": local.tenant_id, "Environment": "Local",
                                                                    "ContextScope": "Process", "NoWelcome": True})
    assert result["terminating"] is None, result["terminating"]
    assert pwshcompat.invoke("Get-MgContext").TokenCredentialType == "DeviceCode"


# -- environment variables ---------------------------------------------------------------------

def _env_connect(emu) -> dict:
    return bridge.invoke("Connect-MgGraph", "EnvironmentVariableParameterSet",
                         {"EnvironmentVariable": True, "Environment": "Local", "NoWelcome": True})


def test_environment_variables_with_a_client_secret(strict, monkeypatch):
    strict.register_app("env-app", secret=SECRET)
    monkeypatch.setenv("AZURE_TENANT_ID", strict.tenant_id)
    monkeypatch.setenv("AZURE_CLIENT_ID", "env-app")
    monkeypatch.setenv("AZURE_CLIENT_SECRET", SECRET)
    result = _env_connect(strict)
    assert result["terminating"] is None, result["terminating"]
    info = pwshcompat.invoke("Get-MgContext")
    assert (info.AuthType, info.TokenCredentialType, info.ClientId) == ("EnvironmentVariable", "EnvironmentVariable", "env-app")
    assert SECRET not in _streams(result) + repr(info)


def test_environment_variables_with_a_certificate_file(strict, monkeypatch, tmp_path):
    key, cert = _certificate()
    strict.register_app("env-app", certificate=cert)
    path = tmp_path / "env.pfx"
    path.write_bytes(pkcs12.serialize_key_and_certificates(b"t", key, cert, None,
                                                           serialization.BestAvailableEncryption(b"pfx-pass")))
    monkeypatch.setenv("AZURE_TENANT_ID", strict.tenant_id)
    monkeypatch.setenv("AZURE_CLIENT_ID", "env-app")
    monkeypatch.setenv("AZURE_CLIENT_CERTIFICATE_PATH", str(path))
    monkeypatch.setenv("AZURE_CLIENT_CERTIFICATE_PASSWORD", "pfx-pass")
    result = _env_connect(strict)
    assert result["terminating"] is None, result["terminating"]
    assert pwshcompat.invoke("Get-MgContext").CertificateThumbprint == _thumbprint(cert)


def test_a_host_passes_its_current_environment_explicitly(local, monkeypatch):
    """pwsh's `$env:X = ...` never reaches Python's os.environ, so the host hands the values over."""
    monkeypatch.setenv("AZURE_CLIENT_SECRET", "stale-value-from-process-start")
    result = bridge.invoke("Connect-MgGraph", "EnvironmentVariableParameterSet", {
        "EnvironmentVariable": True, "Environment": "Local", "NoWelcome": True,
        "__Environment": {"AZURE_TENANT_ID": local.tenant_id, "AZURE_CLIENT_ID": "host-app", "AZURE_CLIENT_SECRET": SECRET}})
    assert result["terminating"] is None, result["terminating"]
    assert pwshcompat.invoke("Get-MgContext").ClientId == "host-app"
    missing = bridge.invoke("Connect-MgGraph", "EnvironmentVariableParameterSet", {
        "EnvironmentVariable": True, "Environment": "Local", "__Environment": {}})
    assert missing["terminating"]["error_id"] == "EnvironmentVariableNotSet"  # absent there means unset


@pytest.mark.parametrize("variables, error_id", [
    ({"AZURE_USERNAME": "a@b.test", "AZURE_PASSWORD": "pw"}, "AuthNotSupported"),
    ({}, "EnvironmentVariableNotSet"),
    ({"AZURE_TENANT_ID": "t", "AZURE_CLIENT_ID": "c"}, "EnvironmentVariableNotSet"),
])
def test_environment_variable_errors_send_nothing(local, monkeypatch, variables, error_id):
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    result = _env_connect(local)
    assert result["terminating"]["error_id"] == error_id
    assert local.login_requests == []


# -- the one-line dry run ----------------------------------------------------------------------

def test_environment_emulator_starts_the_embedded_emulator_and_connects():
    from pwshcompat.emulator import embedded

    result = bridge.invoke("Connect-MgGraph", "UserParameterSet", {"Environment": "Emulator", "NoWelcome": True})
    assert result["terminating"] is None, result["terminating"]
    emu = embedded.shared()
    assert context.current().environment.graph_endpoint == emu.graph_url
    assert pwshcompat.invoke("Get-MgEnvironment", Name="Emulator").GraphEndpoint == emu.graph_url
    _set_presence("dry-run-user")
    assert emu.requests[-1].status == 200
