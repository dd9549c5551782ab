"""The fake Entra ID tenant, driven by real msal over TLS that is verified against the emulator's CA."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import jwt
import msal
import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from pwshcompat.emulator import Emulator

from .conftest import USER, Graph

GRAPH_DEFAULT = ["https://graph.microsoft.com/.default"]


def _confidential(emu: Emulator, client_id: str, credential) -> msal.ConfidentialClientApplication:
    return msal.ConfidentialClientApplication(client_id, client_credential=credential, authority=emu.authority,
                                              validate_authority=False, http_client=emu.http_session())


def _public(emu: Emulator, client_id: str = "public-app") -> msal.PublicClientApplication:
    return msal.PublicClientApplication(client_id, authority=emu.authority, validate_authority=False,
                                        http_client=emu.http_session())


@pytest.fixture(scope="module")
def certificate() -> tuple[x509.Certificate, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "presence-bot")])
    now = datetime.now(timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(minutes=1))
            .not_valid_after(now + timedelta(days=1)).sign(key, hashes.SHA256()))
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode()
    return cert, pem


def test_login_url_is_https_and_verification_against_the_system_store_fails(emu):
    assert emu.login_url.startswith("https://127.0.0.1:")
    discovery = f"{emu.authority}/v2.0/.well-known/openid-configuration"
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(discovery, timeout=10)
    assert requests.get(discovery, verify=emu.ca_bundle, timeout=10).status_code == 200


def test_openid_discovery_names_the_endpoints(emu):
    config = emu.http_session().get(f"{emu.login_url}/common/v2.0/.well-known/openid-configuration").json()
    assert config["token_endpoint"] == f"{emu.login_url}/common/oauth2/v2.0/token"
    assert config["device_authorization_endpoint"] == f"{emu.login_url}/common/oauth2/v2.0/devicecode"
    assert config["issuer"] == f"{emu.login_url}/{emu.tenant_id}/v2.0"
    keys = emu.http_session().get(config["jwks_uri"]).json()["keys"]
    token = emu.issue_token()
    (key,) = [k for k in keys if k["kid"] == jwt.get_unverified_header(token)["kid"]]
    claims = jwt.decode(token, jwt.algorithms.RSAAlgorithm.from_jwk(key), algorithms=["RS256"],
                        audience="https://graph.microsoft.com")
    assert claims["roles"] == ["Presence.Read.All", "Presence.ReadWrite.All"]


def test_open_tenant_gives_any_client_secret_an_app_token_graph_accepts(emu):
    result = _confidential(emu, "any-client", "any-secret").acquire_token_for_client([f"{emu.graph_url}/.default"])
    assert "access_token" in result, result
    claims = jwt.decode(result["access_token"], options={"verify_signature": False})
    assert (claims["appid"], claims["aud"], claims["tid"]) == ("any-client", emu.graph_url, emu.tenant_id)
    assert Graph(emu, result["access_token"]).set_preferred("Busy", "Busy").status_code == 200


def test_client_credentials_need_a_default_scope(emu):
    result = _confidential(emu, "any-client", "s").acquire_token_for_client(["Presence.ReadWrite.All"])
    assert result["error"] == "invalid_scope" and 1002012 in result["error_codes"]


def test_strict_tenant_knows_only_registered_apps_and_their_secrets():
    with Emulator(strict=True) as strict:
        strict.register_app("registered", secret="right", roles=["Presence.Read.All"])
        unknown = _confidential(strict, "stranger", "x").acquire_token_for_client(GRAPH_DEFAULT)
        assert unknown["error"] == "unauthorized_client" and 700016 in unknown["error_codes"]
        wrong = _confidential(strict, "registered", "wrong").acquire_token_for_client(GRAPH_DEFAULT)
        assert wrong["error"] == "invalid_client" and 7000215 in wrong["error_codes"]
        good = _confidential(strict, "registered", "right").acquire_token_for_client(GRAPH_DEFAULT)
        assert jwt.decode(good["access_token"], options={"verify_signature": False})["roles"] == ["Presence.Read.All"]


def test_certificate_assertion_is_verified_against_the_registered_certificate(emu, certificate):
    cert, pem = certificate
    emu.register_app("cert-app", certificate=cert)
    thumbprint = cert.fingerprint(hashes.SHA1()).hex()
    good = _confidential(emu, "cert-app", {"private_key": pem, "thumbprint": thumbprint})
    assert "access_token" in good.acquire_token_for_client(["https://graph.microsoft.com/.default"])
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()
    forged = _confidential(emu, "cert-app", {"private_key": other_key, "thumbprint": thumbprint})
    result = forged.acquire_token_for_client(["https://graph.microsoft.com/.default"])
    assert result["error"] == "invalid_client" and 700027 in result["error_codes"]


def test_device_code_is_pending_until_the_test_approves_it(emu):
    app = _public(emu)
    flow = app.initiate_device_flow(["Presence.ReadWrite"])
    assert flow["user_code"] in flow["message"] and flow["verification_uri"].startswith(emu.login_url)
    pending = app.acquire_token_by_device_flow(flow, exit_condition=lambda f: True)
    assert pending["error"] == "authorization_pending" and 70016 in pending["error_codes"]
    emu.approve_device_code(flow["user_code"], user_id=USER, upn="megan@pwshcompat.test")
    flow["latest_attempt_at"] = 0
    result = app.acquire_token_by_device_flow(flow, exit_condition=lambda f: True)
    claims = jwt.decode(result["access_token"], options={"verify_signature": False})
    assert (claims["oid"], claims["scp"], claims["upn"]) == (USER, "Presence.ReadWrite", "megan@pwshcompat.test")
    assert Graph(emu, result["access_token"]).post(
        "/v1.0/me/presence/setUserPreferredPresence", {"availability": "Away", "activity": "Away"}).status_code == 200


def test_scopes_asked_in_another_case_are_granted_under_their_own_names(emu):
    """Entra ID matches permission names case-insensitively and puts their own spelling in ``scp``, so
    ``Connect-MgGraph -Scopes 'presence.read.all','User.Read'`` (real-usage.md B7) reads others' presence;
    the emulator put 'presence.read.all' in the token and its Graph answered 403."""
    emu.device_code_hook = lambda code: code.approve()
    app = _public(emu)
    result = app.acquire_token_by_device_flow(app.initiate_device_flow(["presence.read.all", "USER.READ", "Custom.x"]),
                                              exit_condition=lambda f: True)
    claims = jwt.decode(result["access_token"], options={"verify_signature": False})
    assert sorted(claims["scp"].split()) == ["Custom.x", "Presence.Read.All", "User.Read"]
    assert Graph(emu, result["access_token"]).get("/v1.0/users/someone-else/presence").status_code == 200


def test_device_code_hook_can_approve_or_deny(emu):
    emu.device_code_hook = lambda code: code.deny()
    app = _public(emu)
    denied = app.acquire_token_by_device_flow(app.initiate_device_flow(["User.Read"]), exit_condition=lambda f: True)
    assert denied["error"] == "authorization_declined"
    emu.device_code_hook = lambda code: code.approve()
    approved = app.acquire_token_by_device_flow(app.initiate_device_flow(["User.Read"]), exit_condition=lambda f: True)
    assert "access_token" in approved


def test_device_code_expires_with_the_clock(emu):
    app = _public(emu)
    flow = app.initiate_device_flow(["User.Read"])
    emu.clock.advance(minutes=15)
    assert app.acquire_token_by_device_flow(flow, exit_condition=lambda f: True)["error"] == "expired_token"


def test_refresh_token_gives_a_new_access_token_and_is_single_use(emu):
    emu.device_code_hook = lambda code: code.approve()
    app = _public(emu)
    first = app.acquire_token_by_device_flow(app.initiate_device_flow(["Presence.Read"]), exit_condition=lambda f: True)
    (account,) = app.get_accounts()
    emu.clock.advance(hours=2)
    refreshed = app.acquire_token_silent(["Presence.Read"], account=account, force_refresh=True)
    assert refreshed and refreshed["access_token"] != first["access_token"]
    assert Graph(emu, refreshed["access_token"]).get("/v1.0/me/presence").status_code == 200
    reused = emu.http_session().post(f"{emu.authority}/oauth2/v2.0/token", data={
        "grant_type": "refresh_token", "refresh_token": first["refresh_token"], "client_id": "public-app"})
    assert reused.status_code == 400 and reused.json()["error"] == "invalid_grant"
