"""What a failed sign-in says: secrets masked as whole values only, unreadable answers named by URL,
one wording for an unknown environment. Real HTTPS to a scripted sign-in endpoint (signin_server)."""

from __future__ import annotations

import json
import socket

import pytest

import pwshcompat
from pwshcompat.auth.providers import redact
from auth_fixtures import home  # noqa: F401 - autouse: private HOME, no connection left behind
from signin_server import SignInServer

TENANT = "contoso-tenant"


@pytest.fixture
def server(monkeypatch):
    with SignInServer() as srv:
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", srv.ca_bundle)
        pwshcompat.invoke("Add-MgEnvironment", Name="Scripted", AzureADEndpoint=srv.url,
                          GraphEndpoint="http://127.0.0.1:9")
        yield srv


def _connect(secret: str, tenant: str = TENANT, environment: str = "Scripted") -> pwshcompat.PSError:
    with pytest.raises(pwshcompat.PSError) as err:
        pwshcompat.invoke("Connect-MgGraph", ClientSecretCredential={"UserName": "app", "Password": secret},
                          TenantId=tenant, Environment=environment)
    return err.value


def _everything(error: pwshcompat.PSError) -> str:
    return str(error) + repr(error.record) + json.dumps(error.record.extra, default=str)


@pytest.mark.parametrize("secret, description, shown", [
    ("online", "Invalid client secret online provided; see https://login.microsoftonline.com/x?c=online.",
     "Invalid client secret *** provided; see https://login.microsoftonline.com/x?c=***."),
    ("s", "Invalid client secret s provided (s).", "Invalid client secret *** provided (***)."),
    ("a+b/c=", "Invalid client secret in client_secret=a%2Bb%2Fc%3D&scope=x and 'a+b/c='.",
     "Invalid client secret in client_secret=***&scope=x and '***'."),
])
def test_a_secret_in_the_answer_is_masked_as_a_whole_value_only(server, secret, description, shown):
    server.token_answer = (401, "application/json", json.dumps(
        {"error": "invalid_client", "error_description": description}).encode())
    error = _connect(secret)
    assert error.error_id == "AuthenticationFailed"
    assert str(error).endswith(f"invalid_client: {shown}"), str(error)


def test_a_secret_that_is_part_of_the_authority_leaves_the_url_readable(server):
    with socket.socket() as s:  # a port nobody listens on: the sign-in endpoint does not answer
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    pwshcompat.invoke("Add-MgEnvironment", Name="Gone", AzureADEndpoint=f"https://127.0.0.1:{closed}",
                      GraphEndpoint="http://127.0.0.1:9")
    error = _connect("online", tenant="microsoftonline-tenant", environment="Gone")
    assert f"https://127.0.0.1:{closed}/microsoftonline-tenant" in str(error)
    assert "***" not in str(error)


def test_redact_masks_whole_values_and_never_fragments():
    assert redact("login.microsoftonline.com", ("online",)) == "login.microsoftonline.com"
    assert redact("this is s", ("s",)) == "this is ***"
    assert redact("x~key1 and ~key1x", ("~key1",)) == "x*** and ~key1x"
    assert redact("k=p%40ss+word&", ("p@ss word",)) == "k=***&"


def test_a_token_endpoint_that_answers_with_html_is_named(server):
    server.token_answer = (200, "text/html; charset=utf-8", b"<html><body>Proxy sign-in</body></html>")
    error = _connect("canary-7d1f")
    message = str(error)
    assert message == (f"Client secret sign-in failed: the sign-in endpoint sent an invalid answer: POST "
                       f"{server.url}/{TENANT}/oauth2/v2.0/token answered HTTP 200 (text/html; charset=utf-8), "
                       "not JSON"), message
    assert "Expecting value" not in message and "canary-7d1f" not in _everything(error)


def test_a_discovery_document_that_is_not_json_is_named(server):
    server.discovery_answer = (200, "text/plain", b"maintenance")
    message = str(_connect("canary-7d1f"))
    assert (f"the sign-in endpoint sent an invalid answer: GET {server.url}/{TENANT}/v2.0/.well-known/"
            "openid-configuration answered HTTP 200 (text/plain), not JSON") in message, message
    assert not [p for p in server.paths if p.startswith("POST")]


@pytest.mark.parametrize("cmdlet, kwargs, error_id", [
    ("Connect-MgGraph", {"AccessToken": "x"}, "InvalidEnvironment"),
    ("Set-MgEnvironment", {"GraphEndpoint": "https://g.example"}, "EnvironmentNotFound"),
    ("Remove-MgEnvironment", {}, "EnvironmentNotFound"),
])
def test_an_unknown_environment_has_one_wording(cmdlet, kwargs, error_id):
    key = "Environment" if cmdlet == "Connect-MgGraph" else "Name"
    with pytest.raises(pwshcompat.PSError) as err:
        pwshcompat.invoke(cmdlet, **{key: "Nowhere"}, **kwargs)
    assert err.value.error_id == error_id
    assert str(err.value) == "Environment Nowhere not found."
