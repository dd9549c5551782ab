"""Connect-MgGraph -Identity against emulated IMDS and App Service endpoints (our own requests, not msal)."""

from __future__ import annotations

import pytest

import pwshcompat
from pwshcompat import bridge
from pwshcompat.auth import context
from pwshcompat.emulator.managed_identity import SYSTEM_ASSIGNED_CLIENT_ID, ManagedIdentityEndpoint
from auth_fixtures import home  # noqa: F401 - autouse: private HOME, no connection left behind


@pytest.fixture
def mi(emulator):
    pwshcompat.invoke("Add-MgEnvironment", Name="Local", AzureADEndpoint=emulator.login_url, GraphEndpoint=emulator.graph_url)
    with ManagedIdentityEndpoint(emulator, user_assigned={"ua-client"}) as endpoint:
        yield endpoint


def _connect(**bound) -> dict:
    return bridge.invoke("Connect-MgGraph", "IdentityParameterSet",
                         {"Identity": True, "Environment": "Local", "NoWelcome": True, **bound})


def test_imds_system_assigned_identity(mi, emulator, monkeypatch):
    monkeypatch.setenv("AZURE_POD_IDENTITY_AUTHORITY_HOST", mi.url)
    result = _connect()
    assert result["terminating"] is None, result["terminating"]
    info = pwshcompat.invoke("Get-MgContext")
    assert (info.AuthType, info.TokenCredentialType, info.ClientId, info.ManagedIdentityId) == (
        "ManagedIdentity", "ManagedIdentity", SYSTEM_ASSIGNED_CLIENT_ID, None)
    path, headers, query = mi.requests[-1]
    assert path == "/metadata/identity/oauth2/token" and headers["metadata"] == "true"
    assert query["resource"] == [emulator.graph_url] and "client_id" not in query  # bare endpoint, no /.default
    pwshcompat.invoke("Set-MgBetaCommunicationPresenceUserPreferredPresence", PresenceId="u1",
                      Availability="Busy", Activity="Busy")
    assert emulator.requests[-1].status == 200


def test_imds_user_assigned_identity_by_client_id(mi, monkeypatch):
    monkeypatch.setenv("AZURE_POD_IDENTITY_AUTHORITY_HOST", mi.url)
    assert _connect(ClientId="ua-client")["terminating"] is None
    assert pwshcompat.invoke("Get-MgContext").ManagedIdentityId == "ua-client"
    assert mi.requests[-1][2]["client_id"] == ["ua-client"]


def test_app_service_endpoint_wins_when_its_variables_are_set(mi, monkeypatch):
    monkeypatch.setenv("AZURE_POD_IDENTITY_AUTHORITY_HOST", "http://127.0.0.1:9")  # would fail if used
    monkeypatch.setenv("IDENTITY_ENDPOINT", mi.app_service_endpoint)
    monkeypatch.setenv("IDENTITY_HEADER", mi.identity_header)
    assert _connect()["terminating"] is None
    path, headers, query = mi.requests[-1]
    assert path == "/msi/token" and headers["x-identity-header"] == mi.identity_header
    assert query["api-version"] == ["2019-08-01"]
    result = bridge.invoke("Get-MgContext", "__AllParameterSets", {})
    assert mi.identity_header not in repr(result)


def test_unknown_user_assigned_identity_is_refused(mi, monkeypatch):
    monkeypatch.setenv("AZURE_POD_IDENTITY_AUTHORITY_HOST", mi.url)
    error = _connect(ClientId="nobody")["terminating"]
    assert error["error_id"] == "ManagedIdentityAuthenticationFailed"
    assert "HTTP 400" in error["message"] and "Identity not found" in error["message"]
    assert context.current() is None


def test_no_managed_identity_endpoint_is_a_clear_error(emulator, monkeypatch):
    pwshcompat.invoke("Add-MgEnvironment", Name="Local", AzureADEndpoint=emulator.login_url, GraphEndpoint=emulator.graph_url)
    monkeypatch.setenv("AZURE_POD_IDENTITY_AUTHORITY_HOST", "http://127.0.0.1:9")
    error = _connect()["terminating"]
    assert error["error_id"] == "ManagedIdentityUnavailable"
    assert "-Identity works only on an Azure resource" in error["message"]
