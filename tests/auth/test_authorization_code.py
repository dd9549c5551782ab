"""The emulator's authorization-code flow over HTTPS: authorize, the sign-in page, PKCE, one redemption."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
import pytest
import requests

from pwshcompat.emulator import Emulator

REDIRECT = "http://localhost:53682"
CLIENT = "dry-run-app"


def _pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    return verifier, base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


def _authorize(emu: Emulator, challenge: str, **extra: str) -> requests.Response:
    params = {"client_id": CLIENT, "response_type": "code", "redirect_uri": REDIRECT, "state": "st-1",
              "scope": "Presence.ReadWrite User.Read openid profile offline_access", "nonce": "n-1",
              "code_challenge": challenge, "code_challenge_method": "S256", **extra}
    return requests.get(f"{emu.authority}/oauth2/v2.0/authorize?{urlencode(params)}", verify=emu.ca_bundle,
                        allow_redirects=False, timeout=30)


def _redirect_params(answer: requests.Response) -> dict[str, str]:
    assert answer.status_code == 302, answer.text
    location = answer.headers["Location"]
    assert location.startswith(REDIRECT + "?")
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def _redeem(emu: Emulator, code: str, verifier: str, redirect_uri: str = REDIRECT) -> requests.Response:
    return requests.post(f"{emu.authority}/oauth2/v2.0/token", verify=emu.ca_bundle, timeout=30, data={
        "grant_type": "authorization_code", "client_id": CLIENT, "code": code, "redirect_uri": redirect_uri,
        "code_verifier": verifier, "scope": "Presence.ReadWrite User.Read openid profile offline_access"})


def _claims(token: str) -> dict:
    return jwt.decode(token, options={"verify_signature": False})


def test_open_tenant_signs_in_at_once_and_redeems_the_code_once(emulator):
    verifier, challenge = _pkce()
    answer = _redirect_params(_authorize(emulator, challenge))
    assert answer["state"] == "st-1" and answer["code"]
    tokens = _redeem(emulator, answer["code"], verifier)
    assert tokens.status_code == 200, tokens.text
    body = tokens.json()
    access = _claims(body["access_token"])
    assert access["scp"] == "Presence.ReadWrite User.Read" and access["upn"] == "alex@pwshcompat.test"
    assert body["refresh_token"] and _claims(body["id_token"])["nonce"] == "n-1"
    again = _redeem(emulator, answer["code"], verifier)
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"
    assert again.json()["error_codes"] == [54005]
    # The delegated token works for /me/presence.
    me = requests.get(f"{emulator.graph_url}/v1.0/me/presence", timeout=30,
                      headers={"Authorization": "Bearer " + body["access_token"]})
    assert me.status_code == 200 and me.json()["id"] == access["oid"]
    # And the refresh token gives a new access token with the same scopes.
    refreshed = requests.post(f"{emulator.authority}/oauth2/v2.0/token", verify=emulator.ca_bundle, timeout=30, data={
        "grant_type": "refresh_token", "client_id": CLIENT, "refresh_token": body["refresh_token"]})
    assert _claims(refreshed.json()["access_token"])["scp"] == "Presence.ReadWrite User.Read"


@pytest.mark.parametrize("change, code", [("verifier", 501481), ("redirect", 500112), ("missing", 501481)])
def test_a_wrong_verifier_or_redirect_uri_is_refused_and_uses_the_code_up(emulator, change, code):
    verifier, challenge = _pkce()
    issued = _redirect_params(_authorize(emulator, challenge))["code"]
    wrong = {"verifier": (issued, _pkce()[0]), "redirect": (issued, verifier, "http://localhost:1"),
             "missing": (issued, "")}[change]
    refused = _redeem(emulator, *wrong)
    assert refused.status_code == 400
    assert refused.json()["error"] == "invalid_grant" and refused.json()["error_codes"] == [code]
    assert _redeem(emulator, issued, verifier).json()["error_codes"] == [54005]


def test_login_hint_picks_the_user_in_the_open_tenant(emulator):
    verifier, challenge = _pkce()
    code = _redirect_params(_authorize(emulator, challenge, login_hint="kim@contoso.test"))["code"]
    access = _claims(_redeem(emulator, code, verifier).json()["access_token"])
    assert access["upn"] == "kim@contoso.test" and access["oid"] != "6e7b0b1c-8a1f-4f3e-9f1a-2b3c4d5e6f70"


@pytest.mark.parametrize("redirect_uri", ["https://evil.example/cb", "http://evil.example:80/", "", "http://localhost:99999"])
def test_a_redirect_uri_that_is_not_loopback_gets_an_error_page_and_no_redirect(emulator, redirect_uri):
    answer = _authorize(emulator, _pkce()[1], redirect_uri=redirect_uri)
    assert answer.status_code == 400 and "Location" not in answer.headers
    assert "AADSTS50011" in answer.text and answer.headers["Content-Type"].startswith("text/html")


@pytest.mark.parametrize("extra, error", [({"code_challenge": ""}, "invalid_request"),
                                          ({"response_type": "token"}, "unsupported_response_type"),
                                          ({"code_challenge_method": "S512"}, "invalid_request")])
def test_a_bad_request_goes_back_to_the_app_as_an_error(emulator, extra, error):
    answer = _redirect_params(_authorize(emulator, _pkce()[1], **extra))
    assert answer["error"] == error and answer["state"] == "st-1" and "code" not in answer


class _Form(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.fields: dict[str, str] = {}
        self.options: list[str] = []
        self.selected: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "input" and a.get("type") == "hidden":
            self.fields[a["name"]] = a["value"]
        if tag == "option":
            self.options.append(a["value"])
            if "selected" in a:
                self.selected = a["value"]


@pytest.fixture
def strict():
    with Emulator(strict=True) as emu:
        emu.register_app(CLIENT, display_name="Presence dry run")
        emu.tenant.add_user("kim@contoso.test", "0f1e2d3c-4b5a-4697-8877-665544332211")
        yield emu


def _post_page(emu: Emulator, fields: dict[str, str]) -> requests.Response:
    return requests.post(f"{emu.authority}/oauth2/v2.0/authorize", data=fields, verify=emu.ca_bundle,
                         allow_redirects=False, timeout=30)


def test_strict_tenant_shows_a_sign_in_page_whose_form_signs_in_the_chosen_user(strict):
    verifier, challenge = _pkce()
    page = _authorize(strict, challenge, login_hint="kim@contoso.test")
    assert page.status_code == 200 and page.headers["X-Frame-Options"] == "DENY"
    assert "Presence dry run" in page.text and "<li>Presence.ReadWrite</li>" in page.text
    form = _Form()
    form.feed(page.text)
    assert form.options == ["alex@pwshcompat.test", "kim@contoso.test"] and form.selected == "kim@contoso.test"
    code = _redirect_params(_post_page(strict, {**form.fields, "login": "kim@contoso.test", "action": "accept"}))
    access = _claims(_redeem(strict, code["code"], verifier).json()["access_token"])
    assert access["upn"] == "kim@contoso.test" and access["oid"] == "0f1e2d3c-4b5a-4697-8877-665544332211"
    # The page's request is used up by its answer.
    assert _post_page(strict, {**form.fields, "login": "kim@contoso.test", "action": "accept"}).status_code == 400


def test_strict_tenant_cancel_goes_back_as_access_denied(strict):
    form = _Form()
    form.feed(_authorize(strict, _pkce()[1]).text)
    answer = _redirect_params(_post_page(strict, {**form.fields, "login": "alex@pwshcompat.test", "action": "cancel"}))
    assert answer["error"] == "access_denied" and answer["state"] == "st-1"
    assert answer["error_description"].startswith("AADSTS65004:")


def test_strict_tenant_refuses_an_unknown_app_and_user(strict):
    unknown = _authorize(strict, _pkce()[1], client_id="stranger")
    assert unknown.status_code == 400 and "AADSTS700016" in unknown.text
    form = _Form()
    form.feed(_authorize(strict, _pkce()[1]).text)
    answer = _post_page(strict, {**form.fields, "login": "nobody@contoso.test", "action": "accept"})
    assert answer.status_code == 400 and "AADSTS50034" in answer.text
    assert re.search(r"<script", _authorize(strict, _pkce()[1], login_hint="<script>x</script>").text) is None
