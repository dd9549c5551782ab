"""Connect-MgGraph -AccessToken, Get-MgContext, Disconnect-MgGraph, the refresh rule, and the not-connected error."""

from __future__ import annotations

import dataclasses
import json
import math
import time

import pytest

import pwshcompat
from pwshcompat import bridge
from pwshcompat.auth import context
from pwshcompat.auth.connect import jwt_claims
from pwshcompat.errors import PSError
from auth_fixtures import home  # noqa: F401 - autouse: private HOME, no connection left behind

CONTEXT_PROPERTIES = ["ClientId", "TenantId", "Scopes", "AuthType", "TokenCredentialType", "CertificateThumbprint",
                      "CertificateSubjectName", "SendCertificateChain", "Account", "AppName", "ContextScope",
                      "Certificate", "PSHostVersion", "ManagedIdentityId", "ClientSecret", "Environment"]


@pytest.fixture
def local(emulator):
    pwshcompat.invoke("Add-MgEnvironment", Name="Local", GraphEndpoint=emulator.graph_url,
                      AzureADEndpoint="https://login.microsoftonline.com")
    return emulator


def _connect_with_token(emulator, **claims):
    token = emulator.issue_token(**claims)
    result = bridge.invoke("Connect-MgGraph", "AccessTokenParameterSet",
                           {"Environment": "Local", "AccessToken": token})
    assert result["terminating"] is None, result["terminating"]
    return token, result


def test_access_token_connection_is_described_by_get_mgcontext_without_the_token(local):
    token, result = _connect_with_token(local)
    info = pwshcompat.invoke("Get-MgContext")
    assert [f.name for f in dataclasses.fields(info)] == CONTEXT_PROPERTIES
    assert (info.AuthType, info.TokenCredentialType, info.ContextScope, info.Environment) == (
        "UserProvidedAccessToken", "UserProvidedAccessToken", "Process", "Local")
    claims = jwt_claims(token)
    assert info.ClientId == claims.get("appid") and info.TenantId == claims.get("tid")
    assert info.ClientSecret is None
    everything = bridge.invoke_json("Get-MgContext", "__AllParameterSets", {})
    everything += json.dumps(result, default=repr) + repr(context.current()) + repr(info)
    assert token not in everything


def test_welcome_text_goes_to_the_output_stream_unless_nowelcome(local):
    """The original writes the welcome with WriteObject (auth-and-pain.md A.4; PR #2241 names WriteObject
    as why it has no colour), so `Connect-MgGraph | Out-Null` and `$null = Connect-MgGraph` silence it
    (real scripts do both) and `$x = Connect-MgGraph` holds it; it went to the information stream."""
    _, result = _connect_with_token(local)
    (welcome,) = result["output"]
    assert welcome.startswith("Welcome to Microsoft Graph!\n\nConnected via userprovidedaccesstoken access using ")
    assert welcome.endswith("NOTE: You can use the -NoWelcome parameter to suppress this message.")
    assert result["information"] == []
    quiet = bridge.invoke("Connect-MgGraph", "AccessTokenParameterSet",
                          {"Environment": "Local", "AccessToken": local.issue_token(), "NoWelcome": True})
    assert quiet["output"] == [] and quiet["information"] == [] and quiet["terminating"] is None


def test_access_token_is_never_refreshed(local):
    token, _ = _connect_with_token(local)
    ctx = context.current()
    assert ctx.get_token() == token
    assert ctx.get_token(force_refresh=True) == token


def test_a_graph_call_uses_the_connection_token(local):
    token, _ = _connect_with_token(local)
    pwshcompat.invoke("Set-MgBetaCommunicationPresenceUserPreferredPresence", PresenceId="u1",
                      Availability="Busy", Activity="Busy")
    assert local.requests[-1].headers["authorization"] == f"Bearer {token}"


def test_disconnect_returns_the_context_then_reports_nothing_to_sign_out_from(local):
    _connect_with_token(local)
    gone = pwshcompat.invoke("Disconnect-MgGraph")
    assert gone.AuthType == "UserProvidedAccessToken"
    assert pwshcompat.invoke("Get-MgContext") is None
    result = bridge.invoke("Disconnect-MgGraph", "__AllParameterSets", {})
    (error,) = result["errors"]
    assert error["message"] == "No application to sign out from."
    assert error["error_id"] == "NoApplicationToSignOutFrom"


@pytest.mark.parametrize("cmdlet, kwargs", [
    ("Set-MgBetaCommunicationPresenceUserPreferredPresence", {"PresenceId": "u1", "Availability": "Busy", "Activity": "Busy"}),
    ("Invoke-MgGraphRequest", {"Uri": "/v1.0/me"}),
])
def test_without_a_connection_graph_commands_fail_and_send_nothing(emulator, cmdlet, kwargs):
    with pytest.raises(PSError) as err:
        pwshcompat.invoke(cmdlet, **kwargs)
    assert str(err.value) == "Authentication needed. Please call Connect-MgGraph."
    assert emulator.requests == []


def test_unknown_environment_fails_and_keeps_the_existing_connection(local):
    _connect_with_token(local)
    before = context.current()
    result = bridge.invoke("Connect-MgGraph", "AccessTokenParameterSet",
                           {"Environment": "Nowhere", "AccessToken": local.issue_token()})
    assert result["terminating"]["error_id"] == "InvalidEnvironment"
    assert context.current() is before


@pytest.mark.parametrize("value, error_id", [(0, "ParameterArgumentValidationError"),
                                             ("soon", "ParameterArgumentTransformationError")])
def test_client_timeout_is_validated_before_anything_happens(local, value, error_id):
    result = bridge.invoke("Connect-MgGraph", "AccessTokenParameterSet",
                           {"Environment": "Local", "AccessToken": local.issue_token(), "ClientTimeout": value})
    assert result["terminating"]["error_id"] == error_id
    assert context.current() is None and local.requests == []


def test_client_timeout_sets_the_request_context_timeout(local):
    from pwshcompat.graph import request_context

    bridge.invoke("Connect-MgGraph", "AccessTokenParameterSet",
                  {"Environment": "Local", "AccessToken": local.issue_token(), "ClientTimeout": 12.5})
    assert context.current().client_timeout == 12.5
    assert request_context.current().client_timeout == 12.5


class _CountingProvider:
    """A token source that says how often it was asked (the refresh rule, without any sign-in)."""

    def __init__(self, lifetime: float) -> None:
        self.lifetime, self.calls = lifetime, []

    def acquire(self, force_refresh: bool = False) -> context.AccessToken:
        self.calls.append(force_refresh)
        return context.AccessToken(f"t{len(self.calls)}", time.time() + self.lifetime)


def _ctx(provider) -> context.GraphContext:
    from pwshcompat.auth.environments import BUILT_IN

    return context.GraphContext(BUILT_IN["global"], "AppOnly", "ClientSecret", provider)


def test_tokens_are_reused_while_far_from_expiry():
    provider = _CountingProvider(lifetime=3600)
    ctx = _ctx(provider)
    assert [ctx.get_token() for _ in range(3)] == ["t1", "t1", "t1"]
    assert ctx.get_token(force_refresh=True) == "t2"
    assert provider.calls == [False, True]


def test_tokens_refresh_before_they_expire():
    provider = _CountingProvider(lifetime=context.REFRESH_MARGIN_SECONDS - 1)  # always inside the margin
    ctx = _ctx(provider)
    assert [ctx.get_token(), ctx.get_token()] == ["t1", "t2"]


def test_access_token_repr_hides_the_token():
    assert "secret-value" not in repr(context.AccessToken("secret-value", math.inf))
