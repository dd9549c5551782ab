"""Invoke-MgGraphRequest through core's Graph client against the emulator."""

from __future__ import annotations

import json

import pytest

import pwshcompat
from pwshcompat import bridge
from pwshcompat.hostvalues import Hashtable, HttpResponseMessage
from auth_fixtures import home  # noqa: F401 - autouse: private HOME, no connection left behind

FQID = "InvokeGraphHttpResponseException,Microsoft.Graph.PowerShell.Authentication.Cmdlets.InvokeMgGraphRequest"


@pytest.fixture
def connected(emulator):
    pwshcompat.invoke("Add-MgEnvironment", Name="Local", AzureADEndpoint=emulator.login_url, GraphEndpoint=emulator.graph_url)
    pwshcompat.invoke("Connect-MgGraph", Environment="Local", AccessToken=emulator.issue_token(), NoWelcome=True)
    emulator.add_client_session("u1")  # preferred presence shows only while the user has a session
    return emulator


def _invoke(**bound) -> dict:
    return bridge.invoke("Invoke-MgGraphRequest", "__AllParameterSets", bound)


def _set_busy(user: str = "u1") -> None:
    result = _invoke(Method="POST", Uri=f"beta/communications/presences/{user}/setUserPreferredPresence",
                     Body={"availability": "Busy", "activity": "Busy"})
    assert result["terminating"] is None, result["terminating"]
    assert result["output"] == []  # 200 with an empty body writes nothing


def test_post_a_hashtable_body_as_json_to_a_relative_uri(connected):
    _set_busy()
    request = connected.requests[-1]
    assert (request.method, request.path) == ("POST", "/beta/communications/presences/u1/setUserPreferredPresence")
    assert request.headers["content-type"].startswith("application/json")
    assert request.json() == {"availability": "Busy", "activity": "Busy"}


def test_get_returns_a_hashtable_by_default(connected):
    _set_busy()
    presence = pwshcompat.invoke("Invoke-MgGraphRequest", Uri="/v1.0/users/u1/presence")
    assert isinstance(presence, dict) and presence["availability"] == "Busy"
    # PowerShell receives these as case-insensitive Hashtables, nested objects too (tests/pwsh/test_invoke_types.py).
    assert isinstance(presence, Hashtable) and isinstance(presence["outOfOfficeSettings"], Hashtable)
    assert connected.requests[-1].method == "GET"


def test_absolute_graph_uri_goes_to_the_current_environment(connected):
    _invoke(Uri="https://graph.microsoft.com/v1.0/users/u1/presence?$select=availability")
    assert connected.requests[-1].path == "/v1.0/users/u1/presence?$select=availability"


@pytest.mark.parametrize("bound, error_id", [
    ({"Uri": "https://evil.example/v1.0/me"}, "InvalidUri"),
    ({"Uri": "/v1.0/me", "Body": {"a": 1}}, "GetRequestWithBody"),
    ({"Uri": "/v1.0/me", "Headers": {"X-Bad": "a\r\nInjected: 1"}}, "InvalidHeader"),
    ({"Uri": "/v1.0/me", "Method": "TRACE"}, "CannotConvertArgumentNoMessage"),
    ({"Uri": "/v1.0/me", "OutputType": "Xml"}, "CannotConvertArgumentNoMessage"),
    ({"Uri": "/v1.0/me", "SessionVariable": "s"}, "NotSupported"),
])
def test_bad_requests_fail_before_anything_is_sent(connected, bound, error_id):
    result = _invoke(**bound)
    assert result["terminating"]["error_id"] == error_id
    assert connected.requests == []


def test_http_error_is_terminating_with_the_response_as_details(connected):
    result = _invoke(Uri="/v1.0/nothing/here", StatusCodeVariable="code")
    error = result["terminating"]
    assert error["fully_qualified_error_id"] == FQID
    assert error["message"] == "Response status code does not indicate success: BadRequest (Bad Request)."
    # The whole response, as the original's HttpMessageFormatter writes it (status line, headers, body).
    head, _, body = error["details_message"].partition("\r\n\r\n")
    assert head.startswith("HTTP/1.1 400 Bad Request\r\n") and "\r\nContent-Type: application/json" in head
    assert json.loads(body)["error"]["code"]
    assert result["variables"]["code"] == 400
    response = bridge.invoke_host("Invoke-MgGraphRequest", "__AllParameterSets", {"Uri": "/v1.0/nothing/here"})[
        "terminating"]["response"]
    assert isinstance(response, HttpResponseMessage) and (response.StatusCode, response.RequestMethod) == (400, "GET")
    assert response.RequestUri.endswith("/v1.0/nothing/here") and json.loads(response.Body)["error"]["code"]


def test_skip_http_error_check_returns_the_error_body(connected):
    result = _invoke(Uri="/v1.0/nothing/here", SkipHttpErrorCheck=True, StatusCodeVariable="code")
    assert result["terminating"] is None
    assert "error" in result["output"][0] and result["variables"]["code"] >= 400


def test_output_types(connected):
    _set_busy()
    (text,) = _invoke(Uri="/v1.0/users/u1/presence", OutputType="json")["output"]
    assert json.loads(text)["availability"] == "Busy"
    (obj,) = _invoke(Uri="/v1.0/users/u1/presence", OutputType="PSObject")["output"]
    assert obj.availability == "Busy"
    (message,) = _invoke(Uri="/v1.0/users/u1/presence", OutputType="HttpResponseMessage")["output"]
    assert message.StatusCode == 200 and message.IsSuccessStatusCode and "Busy" in message.Content
    assert dict(message.Headers)["Content-Type"].startswith("application/json")


def test_output_file_and_passthru(connected, tmp_path):
    _set_busy()
    target = tmp_path / "presence.json"
    assert _invoke(Uri="/v1.0/users/u1/presence", OutputFilePath=str(target))["output"] == []
    assert json.loads(target.read_text())["availability"] == "Busy"
    assert len(_invoke(Uri="/v1.0/users/u1/presence", OutputFilePath=str(target), PassThru=True)["output"]) == 1


def test_response_headers_and_string_body_and_extra_headers(connected):
    result = _invoke(Method="POST", Uri="/beta/communications/presences/u2/setUserPreferredPresence",
                     Body='{"availability": "Away", "activity": "Away"}', Headers={"X-Trace": "t1"},
                     ResponseHeadersVariable="rh")
    assert result["terminating"] is None, result["terminating"]
    assert all(isinstance(v, list) for v in result["variables"]["rh"].values())
    request = connected.requests[-1]
    assert request.headers["x-trace"] == "t1" and request.json() == {"availability": "Away", "activity": "Away"}
