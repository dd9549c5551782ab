"""Interactive sign-in in a real browser (headless chromium), from Python: open and strict tenant.

The browser is the user's: ``BROWSER`` points at headless_browser.py, which starts chromium. In the
strict tenant the test clicks the sign-in page's buttons through the DevTools protocol.
"""

from __future__ import annotations

import socket
import threading
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import parse_qs, urlsplit

import msal
import pytest

import pwshcompat
from pwshcompat.auth import context
from pwshcompat.auth.environments import Environment, resolve
from pwshcompat.auth.http import AuthSession
from pwshcompat.auth.loopback import LoopbackReceiver, open_system_browser
from pwshcompat.auth.providers import UserProvider
from pwshcompat.emulator import Emulator
from auth_fixtures import home  # noqa: F401 - autouse: private HOME, no connection left behind
from headless_browser import Browsers

KIM = ("0f1e2d3c-4b5a-4697-8877-665544332211", "kim@contoso.test")


@pytest.fixture
def browsers(tmp_path: Path, monkeypatch) -> Iterator[Browsers]:
    b = Browsers(tmp_path / "browsers", None)
    yield b
    b.stop_all()


def _use(emu: Emulator, browsers: Browsers, monkeypatch) -> None:
    browsers.ca_bundle = emu.ca_bundle
    for name, value in browsers.environment().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", emu.ca_bundle)
    monkeypatch.delenv("DISPLAY", raising=False)
    pwshcompat.invoke("Add-MgEnvironment", Name="Local", AzureADEndpoint=emu.login_url, GraphEndpoint=emu.graph_url)


def _query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def _port_is_closed(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


def _connect(emu: Emulator, **extra: Any) -> None:
    pwshcompat.invoke("Connect-MgGraph", Environment="Local", TenantId=emu.tenant_id, Scopes=["Presence.ReadWrite"],
                      ContextScope="Process", NoWelcome=True, **extra)


def test_open_tenant_signs_in_through_the_browser(emulator, browsers, monkeypatch):
    _use(emulator, browsers, monkeypatch)
    _connect(emulator, LoginHint="kim@contoso.test")
    info = pwshcompat.invoke("Get-MgContext")
    assert (info.AuthType, info.TokenCredentialType, info.Account) == ("Delegated", "InteractiveBrowser", "kim@contoso.test")
    assert "Presence.ReadWrite" in info.Scopes
    me = pwshcompat.invoke("Invoke-MgGraphRequest", Uri="/v1.0/me/presence")
    assert me["id"] != "6e7b0b1c-8a1f-4f3e-9f1a-2b3c4d5e6f70"  # kim, not the default user
    launch = browsers.wait_for_launch()
    asked = _query(launch["url"])
    assert asked["login_hint"] == "kim@contoso.test" and asked["code_challenge_method"] == "S256"
    assert asked["redirect_uri"].startswith("http://localhost:")
    assert _port_is_closed(urlsplit(asked["redirect_uri"]).port)
    assert "Sign-in complete" in browsers.page_text(launch, expect="Sign-in complete")
    assert len(browsers.launches()) == 1


@pytest.fixture
def strict() -> Iterator[Emulator]:
    with Emulator(strict=True) as emu:
        emu.register_app("strict-app", display_name="Presence dry run")
        emu.tenant.add_user(KIM[1], KIM[0])
        emu.add_user(KIM[0])
        yield emu


def _connect_in_thread(emu: Emulator, outcome: dict[str, Any]) -> threading.Thread:
    def run() -> None:
        try:
            pwshcompat.invoke("Connect-MgGraph", Environment="Local", TenantId=emu.tenant_id, ClientId="strict-app",
                              Scopes=["Presence.ReadWrite"], ContextScope="Process", NoWelcome=True)
            outcome["context"] = pwshcompat.invoke("Get-MgContext")
        except BaseException as exc:  # noqa: BLE001 - checked by the test
            outcome["error"] = exc
    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_strict_tenant_consent_clicked_in_the_browser(strict, browsers, monkeypatch):
    _use(strict, browsers, monkeypatch)
    outcome: dict[str, Any] = {}
    thread = _connect_in_thread(strict, outcome)
    launch = browsers.wait_for_launch()
    browsers.click(launch, "#accept", select=("#user", KIM[1]))
    thread.join(120)
    assert "error" not in outcome, outcome.get("error")
    info = outcome["context"]
    assert (info.AuthType, info.Account, info.ClientId) == ("Delegated", KIM[1], "strict-app")
    me = pwshcompat.invoke("Invoke-MgGraphRequest", Uri="/v1.0/me/presence")
    assert me["id"] == KIM[0]
    assert _port_is_closed(urlsplit(_query(launch["url"])["redirect_uri"]).port)


def test_strict_tenant_cancel_in_the_browser_is_a_clear_error(strict, browsers, monkeypatch):
    _use(strict, browsers, monkeypatch)
    outcome: dict[str, Any] = {}
    thread = _connect_in_thread(strict, outcome)
    launch = browsers.wait_for_launch()
    browsers.click(launch, "#cancel")
    thread.join(120)
    error = outcome["error"]
    assert isinstance(error, pwshcompat.PSError) and error.error_id == "AuthenticationFailed"
    assert str(error).startswith("Interactive sign-in failed: the sign-in was cancelled or declined in the browser: "
                                 "access_denied: AADSTS65004:"), str(error)
    assert context.current() is None
    assert _port_is_closed(urlsplit(_query(launch["url"])["redirect_uri"]).port)


def test_a_code_from_the_browser_with_a_wrong_pkce_verifier_is_refused(emulator, browsers, monkeypatch):
    _use(emulator, browsers, monkeypatch)
    app = msal.PublicClientApplication("pkce-app", authority=emulator.authority, validate_authority=False,
                                       instance_discovery=False, http_client=AuthSession(30, emulator.ca_bundle))
    with LoopbackReceiver() as receiver:
        flow = app.initiate_auth_code_flow(["Presence.ReadWrite"], redirect_uri=receiver.redirect_uri)
        receiver.state = flow["state"]
        assert open_system_browser(flow["auth_uri"])
        answer = receiver.wait(60)
    assert answer and answer["code"]
    result = app.acquire_token_by_auth_code_flow({**flow, "code_verifier": "not-the-verifier-" + "x" * 40}, answer)
    assert result["error"] == "invalid_grant" and "AADSTS501481" in result["error_description"]
    assert "access_token" not in result


def test_no_answer_from_the_browser_times_out_and_closes_the_port(emulator, monkeypatch):
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", emulator.ca_bundle)
    provider = UserProvider(resolve(Environment("Local", emulator.login_url, emulator.graph_url)), emulator.tenant_id,
                            "app", ["User.Read"], msal.TokenCache(), 30)
    opened: list[str] = []
    with pytest.raises(pwshcompat.PSError) as err:
        provider.sign_in_interactively(1, lambda url: opened.append(url) or True)  # a browser that never answers
    assert "Authentication timed out after 1 seconds" in str(err.value)
    assert _port_is_closed(urlsplit(provider.redirect_uri).port) and len(opened) == 1


def test_a_browser_command_that_fails_falls_back_to_the_device_code(emulator, monkeypatch):
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", emulator.ca_bundle)
    monkeypatch.setenv("BROWSER", "/bin/false %s")
    from pwshcompat.auth import connect

    monkeypatch.setattr(connect, "device_code_sink", lambda message: None)
    emulator.device_code_hook = lambda code: code.approve()
    pwshcompat.invoke("Add-MgEnvironment", Name="Local", AzureADEndpoint=emulator.login_url, GraphEndpoint=emulator.graph_url)
    _connect(emulator)
    assert pwshcompat.invoke("Get-MgContext").TokenCredentialType == "DeviceCode"
    paths = [r.path.split("?")[0] for r in emulator.login_requests]
    assert any(p.endswith("/oauth2/v2.0/devicecode") for p in paths)
