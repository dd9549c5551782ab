"""No secret, access token or refresh token in logs (msal and ours at DEBUG), streams, errors or Get-MgContext."""

from __future__ import annotations

import json
import logging

import msal
import pytest

import pwshcompat
from pwshcompat import bridge
from pwshcompat.auth import connect, context
from auth_fixtures import home  # noqa: F401 - autouse: private HOME, no connection left behind

SECRET = "canary-secret-4b1d"


def test_flows_leak_nothing_at_debug_level(emulator, monkeypatch, caplog):
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", emulator.ca_bundle)
    monkeypatch.setattr(connect, "device_code_sink", lambda message: None)
    emulator.device_code_hook = lambda code: code.approve()
    pwshcompat.invoke("Add-MgEnvironment", Name="Local", AzureADEndpoint=emulator.login_url, GraphEndpoint=emulator.graph_url)

    streams = [bridge.invoke_json("Connect-MgGraph", "AppSecretCredentialParameterSet", {
        "ClientSecretCredential": {"UserName": "app", "Password": SECRET}, "TenantId": emulator.tenant_id,
        "Environment": "Local"})]
    app_token = context.current().get_token()
    streams.append(bridge.invoke_json("Get-MgContext", "__AllParameterSets", {}))
    streams.append(bridge.invoke_json("Connect-MgGraph", "UserParameterSet", {
        "UseDeviceCode": True, "TenantId": emulator.tenant_id, "Environment": "Local", "ContextScope": "Process"}))
    ctx = context.current()
    user_tokens = [ctx.get_token(), ctx.get_token(force_refresh=True)]
    cache = ctx.provider._app.token_cache
    refresh_tokens = [rt["secret"] for rt in cache.find(msal.TokenCache.CredentialType.REFRESH_TOKEN)]
    streams.append(bridge.invoke_json("Get-MgContext", "__AllParameterSets", {}))
    streams.append(bridge.invoke_json("Disconnect-MgGraph", "__AllParameterSets", {}))
    streams.append(repr(ctx) + repr(ctx.info()) + repr(ctx.provider))

    assert refresh_tokens and all(user_tokens)
    everything = caplog.text + "\n".join(streams)
    assert "msal" in caplog.text  # the check reads msal's own debug log, not an empty one
    for value in [SECRET, app_token, *user_tokens, *refresh_tokens]:
        assert value not in everything


def test_failed_sign_in_error_text_does_not_echo_the_secret(emulator, monkeypatch):
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", emulator.ca_bundle)
    pwshcompat.invoke("Add-MgEnvironment", Name="Local", AzureADEndpoint=emulator.login_url, GraphEndpoint=emulator.graph_url)
    emulator.register_app("app", secret="another")  # a registered app: a wrong secret is refused
    with pytest.raises(pwshcompat.PSError) as err:
        pwshcompat.invoke("Connect-MgGraph", ClientSecretCredential={"UserName": "app", "Password": SECRET},
                          TenantId=emulator.tenant_id, Environment="Local")
    assert err.value.error_id == "AuthenticationFailed"
    assert SECRET not in str(err.value) + repr(err.value.record) + json.dumps(err.value.record.extra)
