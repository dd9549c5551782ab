"""The operation over real HTTP against the emulator on 127.0.0.1, through the public Python API."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

import pwshcompat
from pwshcompat.api import what_if_log
from pwshcompat.auth import context as auth_context
from pwshcompat.errors import CommandError, ErrorCategory, ParameterBindingError, PSWarning, TerminatingError
from pwshcompat.graph import request_context

from ._support import CMD, INTERNAL, PATH, call, emu, graph  # noqa: F401 - fixtures

BUSY = {"Availability": "Busy", "Activity": "Busy"}


@pytest.mark.parametrize("presence_id,segment", [
    ("u1", "u1"), ("user/1 é", "user%2F1%20%C3%A9"), ("a+b@c.d", "a%2Bb%40c.d"), ("-._~", "-._~"),
    ("?#%", "%3F%23%25"), ("ÄÖ", "%C3%84%C3%96"), ("a'b(c)*!", "a%27b%28c%29%2A%21"),
])
def test_id_is_one_escaped_path_segment(emu: Any, presence_id: str, segment: str) -> None:
    assert call(PresenceId=presence_id, **BUSY) is None
    (request,) = emu.requests
    assert (request.method, request.path) == ("POST", PATH.format(segment))


def test_request_headers_and_body_text(emu: Any) -> None:
    call(PresenceId="u1", **BUSY, ExpirationDuration="01:30:00")
    (request,) = emu.requests
    assert request.headers["content-type"] == "application/json"
    assert request.headers["authorization"].startswith("Bearer ")
    assert request.headers["sdkversion"].startswith("graph-powershell-beta/")
    assert request.body == b'{\n  "availability": "Busy",\n  "activity": "Busy",\n  "expirationDuration": "PT1H30M"\n}'


@pytest.mark.parametrize("kwargs,expected", [
    ({"PassThru": True}, True), ({"PassThru": False}, True), ({}, None), ({"pass": True}, True),
])
def test_passthru_is_a_containskey_test(emu: Any, kwargs: dict[str, Any], expected: Any) -> None:
    assert call(PresenceId="u1", **BUSY, **kwargs) is expected


def test_additional_properties_come_first_in_their_order(emu: Any) -> None:
    call(PresenceId="u1", AdditionalProperties={"zeta": 1, "nested": {"a": None, "b": [1, "x"]}, "dropped": None}, **BUSY,
         ExpirationDuration=pwshcompat.conversion.TimeSpan(36_000_000_000))
    (request,) = emu.requests
    assert list(json.loads(request.body)) == ["zeta", "nested", "availability", "activity", "expirationDuration"]
    assert request.json()["nested"] == {"b": [1, "x"]}


@pytest.mark.parametrize("extra", [{"Availability": "Busy"}, {"availability": "Busy", "AdditionalProperties": {"AVAILABILITY": "x"}}])
def test_a_key_given_twice_fails_before_any_request(emu: Any, extra: dict[str, Any]) -> None:
    kwargs = {"AdditionalProperties": {"availability": "Away"}, **extra}
    errors: list[Any] = []
    assert call(PresenceId="u1", ErrorAction="SilentlyContinue", ErrorVariable=errors, **kwargs) is None
    (error,) = errors
    assert error.message.startswith("An item with the same key has already been added. Key: ")
    assert (error.error_id, error.category) == ("", ErrorCategory.NotSpecified)
    assert error.fully_qualified_error_id == INTERNAL + "SetExpanded"
    assert emu.requests == []


def test_body_parameter_dict_and_json_text_but_no_object_with_attributes(emu: Any) -> None:
    from types import SimpleNamespace

    call(PresenceId="a", BodyParameter={"Availability": "Away", "ACTIVITY": "Away", "custom": 1})
    call(PresenceId="b", BodyParameter='{"availability": "Away", "activity": "Away", "expirationDuration": "PT2H"}')
    bodies = [r.json() for r in emu.requests]
    assert bodies == [{"custom": 1, "availability": "Away", "activity": "Away"},
                      {"availability": "Away", "activity": "Away", "expirationDuration": "PT2H"}]
    # An object with attributes is a [pscustomobject], which the original refuses (issue 13.12).
    with pytest.raises(ParameterBindingError) as info:
        call(PresenceId="c", BodyParameter=SimpleNamespace(availability="Away", activity="Away"))
    assert info.value.error_id == "ParameterArgumentTransformationError" and len(emu.requests) == 2


def test_body_parameter_silent_drop_is_warned(emu: Any) -> None:
    with pytest.warns(PSWarning, match="expirationDuration"):
        call(PresenceId="u1", BodyParameter={**{k.lower(): v for k, v in BUSY.items()}, "expirationDuration": "01:00:00"})
    assert emu.requests[0].json() == {"availability": "Busy", "activity": "Busy"}


def test_warning_variable_and_silence(emu: Any, recwarn: Any) -> None:
    collected: list[str] = []
    call(PresenceId="u1", BodyParameter={"availability": "Busy", "activity": "Busy", "expirationDuration": 5},
         WarningAction="SilentlyContinue", WarningVariable=collected)
    assert len(collected) == 1 and not [w for w in recwarn if issubclass(w.category, PSWarning)]


def test_body_parameter_not_json_fails_without_request(emu: Any) -> None:
    with pytest.raises(ParameterBindingError) as info:
        call(PresenceId="u1", BodyParameter="availability=Busy")
    assert info.value.error_id == "ParameterArgumentTransformationError" and emu.requests == []


def test_body_parameter_conversion_error_from_an_already_bound_value(emu: Any) -> None:
    # PowerShell hands the raw value over; the command's conversion reports what was wrong.
    from pwshcompat import bridge

    result = bridge.invoke(CMD, "Set", {"PresenceId": "u1", "BodyParameter": {"a": 1, "A": 2}})
    assert result["terminating"]["error_id"] == "ParameterArgumentTransformationError"
    assert "more than once" in result["terminating"]["message"] and emu.requests == []


def test_input_object_gives_the_id(emu: Any) -> None:
    assert call(InputObject={"presenceId": "x/y", "UserId": "ignored"}, **BUSY, PassThru=True) is True
    assert call(InputObject={"PresenceId": "j"}, BodyParameter='{"availability": "Away", "activity": "Away"}',
                PassThru=True) is True
    assert [r.path for r in emu.requests] == [PATH.format("x%2Fy"), PATH.format("j")]


@pytest.mark.parametrize("value,error_id", [
    ("u1", "ParameterArgumentValidationErrorNullNotAllowed"), (42, "ParameterArgumentValidationErrorNullNotAllowed"),
    ('{"PresenceId": "j"}', "ParameterArgumentTransformationError"),
])
def test_input_object_refuses_text_and_numbers_as_the_original(emu: Any, value: Any, error_id: str) -> None:
    # original-observed.md "Binding": a string or number becomes $null; JSON text does not convert.
    with pytest.raises(ParameterBindingError) as info:
        call(InputObject=value, **BUSY)
    assert info.value.error_id == error_id and emu.requests == []
    if error_id.endswith("NullNotAllowed"):
        assert info.value.record.message == "Cannot bind argument to parameter 'InputObject' because it is null."


@pytest.mark.parametrize("identity,parameter_set", [
    ({"UserId": "u1"}, "SetViaIdentityExpanded"), ({"PresenceId": None}, "SetViaIdentityExpanded"),
    ({}, "SetViaIdentityExpanded"),
])
def test_identity_without_presence_id_is_the_originals_terminating_error(emu: Any, identity: Any, parameter_set: str) -> None:
    with pytest.raises(TerminatingError) as info:
        call(InputObject=identity, **BUSY)
    error = info.value
    assert error.record.message == "InputObject has null value for InputObject.PresenceId"
    assert (error.error_id, error.category) == ("", ErrorCategory.InvalidArgument)
    assert error.fully_qualified_error_id == INTERNAL + parameter_set  # no leading comma: the error id is empty
    assert emu.requests == []


def test_identity_error_names_the_via_identity_set(emu: Any) -> None:
    with pytest.raises(TerminatingError) as info:
        call(InputObject={"UserId": "u"}, BodyParameter={"availability": "Busy"})
    assert info.value.fully_qualified_error_id == INTERNAL + "SetViaIdentity"


def test_headers_are_added_and_user_agent_wins(emu: Any) -> None:
    call(PresenceId="u1", **BUSY, Headers={"X-Custom": 5, "User-Agent": "mine/1", "X-List": [1, 2]})
    headers = emu.requests[0].headers
    assert (headers["x-custom"], headers["user-agent"], headers["x-list"]) == ("5", "mine/1", "System.Object[]")


@pytest.mark.parametrize("headers,message,exception_type", [
    # The original's .NET exceptions and messages (original-observed.md, Requests).
    ({"Content-Type": "text/plain"}, "Misused header name, 'Content-Type'. Make sure request headers are used with "
     "HttpRequestMessage, response headers with HttpResponseMessage, and content headers with HttpContent objects.",
     "System.InvalidOperationException"),
    ({"bad header": "x"}, "The header name 'bad header' has an invalid format.", "System.FormatException"),
    ({"X-A": "a\r\nb"}, "New-line or NUL characters are not allowed in header values.", "System.FormatException"),
    ({"X-A": None}, "Object reference not set to an instance of an object.", "System.NullReferenceException"),
])
def test_bad_headers_fail_before_any_request(emu: Any, headers: dict[str, Any], message: str,
                                             exception_type: str) -> None:
    with pytest.raises(CommandError) as info:
        call(PresenceId="u1", **BUSY, Headers=headers)
    record = info.value.record
    assert (record.message, record.exception_type, record.category) == (message, exception_type,
                                                                        ErrorCategory.NotSpecified)
    assert emu.requests == []


def test_authorization_header_cannot_be_overridden(emu: Any) -> None:
    token = auth_context.current().get_token()  # type: ignore[union-attr]
    call(PresenceId="u1", **BUSY, Headers={"Authorization": "Bearer forged"})
    assert emu.requests[0].headers["authorization"] == f"Bearer {token}"


def test_response_headers_variable_is_case_insensitive_lists(emu: Any) -> None:
    call(PresenceId="u1", **BUSY, RHV="core_rhv")
    headers = pwshcompat.variables["core_rhv"]
    assert isinstance(headers["REQUEST-ID"], list) and headers["request-id"] == headers["Request-Id"]
    assert "request-id" in headers


def test_response_headers_variable_untouched_on_error(emu: Any) -> None:
    pwshcompat.variables["core_rhv2"] = "old"
    with pytest.raises(CommandError):
        call(PresenceId="u1", Availability="Bogus", Activity="Busy", ResponseHeadersVariable="core_rhv2")
    assert pwshcompat.variables["core_rhv2"] == "old"


def test_what_if_sends_nothing_and_prints_the_originals_text(emu: Any, capsys: Any) -> None:
    for kwargs, parameter_set in (({"PresenceId": "u1"}, "SetExpanded"), ({"InputObject": {"UserId": "no id"}},
                                                                          "SetViaIdentityExpanded")):
        assert call(**kwargs, **BUSY, PassThru=True, WhatIf=True) is None
        expected = (f'What if: Performing the operation "{CMD}_{parameter_set}" on target "Call remote '
                    "'POST /communications/presences/{presence-id}/microsoft.graph.setUserPreferredPresence' operation\".")
        assert what_if_log[-1] == expected
        assert expected in capsys.readouterr().out
    assert emu.requests == []


def test_confirm_declined_sends_nothing(emu: Any, monkeypatch: Any) -> None:
    asked: list[tuple[str, str]] = []
    monkeypatch.setattr(pwshcompat.api, "confirm_hook", lambda target, action: asked.append((target, action)) or False)
    assert call(PresenceId="u1", **BUSY, PassThru=True, Confirm=True) is None
    assert emu.requests == [] and asked[0][1] == CMD + "_SetExpanded"
    monkeypatch.setattr(pwshcompat.api, "confirm_hook", lambda target, action: True)
    assert call(PresenceId="u1", **BUSY, PassThru=True, cf=True) is True


def test_service_error_record_matches_the_original(emu: Any) -> None:
    with pytest.raises(CommandError) as info:
        call(PresenceId="u1", Availability="Bogus", Activity="Busy")
    record = info.value.record
    assert record.message.startswith("[InvalidArgument] : ")
    assert (record.error_id, record.category) == ("InvalidArgument", ErrorCategory.InvalidOperation)
    assert record.fully_qualified_error_id == "InvalidArgument," + INTERNAL + "SetExpanded"
    assert record.recommended_action == "See service error codes: https://learn.microsoft.com/graph/errors"
    lines = (record.details_message or "").split("\n")
    assert lines[1:3] == ["", "Status: 400 (BadRequest)"] and lines[3] == "ErrorCode: InvalidArgument"
    assert lines[4].startswith("Date: ") and lines[5:7] == ["", "Headers:"]
    assert any(line.startswith("request-id                    : ") for line in lines)
    # The target is the original's anonymous object: path value, Headers, body model (13.17).
    assert (record.target.PresenceId, record.target.Headers) == ("u1", None)
    assert record.target.body.Availability == "Bogus" and record.target.body.ExpirationDuration is None
    assert record.target.body.type_name == ("Microsoft.Graph.Beta.PowerShell.Models."
                                            "Paths16OmbuoCommunicationsPresencesPresenceIdMicrosoftGraphSetuserpreferredpresencePostRequestbodyContentApplicationJsonSchema")
    assert str(record.target) == f"{{ PresenceId = u1, Headers = , body = {record.target.body.type_name} }}"
    assert record.extra["target_name"] == str(record.target)
    assert str(info.value) == record.details_message


def test_error_action_semantics(emu: Any, caplog: Any) -> None:
    bad = dict(PresenceId="u1", Availability="Bogus", Activity="Busy")
    assert call(**bad, ErrorAction="SilentlyContinue") is None
    assert call(**bad, ErrorAction="Ignore", ErrorVariable="core_ev") is None and pwshcompat.variables.get("core_ev") is None
    with caplog.at_level(logging.ERROR, logger="pwshcompat"):
        assert call(**bad, ErrorAction="Continue", PassThru=True) is None
    assert "ErrorCode: InvalidArgument" in caplog.text  # logged as PowerShell shows it: the ErrorDetails text
    with pytest.raises(CommandError):
        call(**bad, ErrorAction="Stop")
    call(**bad, ea="SilentlyContinue", ev="core_ev2")
    call(**bad, ea="SilentlyContinue", ev="+core_ev2")
    assert len(pwshcompat.variables["core_ev2"]) == 2


def test_not_connected_is_a_non_terminating_not_specified_error(emu: Any) -> None:
    auth_context.set_current(None)
    with pytest.raises(CommandError) as info:
        call(PresenceId="u1", **BUSY)
    assert info.value.record.message == "Authentication needed. Please call Connect-MgGraph."
    assert info.value.fully_qualified_error_id == INTERNAL + "SetExpanded"


def test_binding_errors_raise_before_any_request(emu: Any) -> None:
    with pytest.raises(ParameterBindingError) as info:
        call(PresenceId="u1", Availability="Busy", BodyParameter={})
    assert info.value.error_id == "AmbiguousParameterSet" and emu.requests == []


def test_snake_case_and_function_facade(emu: Any) -> None:
    fn = pwshcompat.Set_MgBetaCommunicationPresenceUserPreferredPresence
    assert fn(presence_id="s1", availability="Busy", activity="Busy", pass_thru=True) is True
    assert emu.requests[0].path == PATH.format("s1")


def test_pipeline_input_through_the_api(emu: Any) -> None:
    out = pwshcompat.invoke_pipeline(CMD, [{"PresenceId": "p1"}, {"PresenceId": "p2"}], **BUSY, PassThru=True)
    assert out == [True, True]
    assert [r.path for r in emu.requests] == [PATH.format("p1"), PATH.format("p2")]


def test_pipeline_error_is_non_terminating_per_object(emu: Any) -> None:
    errors: list[Any] = []
    out = pwshcompat.invoke_pipeline(CMD, [5, {"PresenceId": "p"}], **BUSY, PassThru=True, ErrorAction="SilentlyContinue",
                                     ErrorVariable=errors)
    assert out is True, "the object after a failed one is still processed"
    assert [e.error_id for e in errors] == ["ParameterArgumentValidationErrorNullNotAllowed"]
    assert [r.path for r in emu.requests] == [PATH.format("p")]


def test_identity_error_in_a_pipeline_is_terminating(emu: Any) -> None:
    with pytest.raises(TerminatingError):
        pwshcompat.invoke_pipeline(CMD, [{"UserId": "x"}, {"PresenceId": "p"}], **BUSY, PassThru=True)
    assert emu.requests == [], "the pipeline stops at the terminating error"


def test_error_action_stop_stops_a_pipeline(emu: Any) -> None:
    with pytest.raises(CommandError):
        pwshcompat.invoke_pipeline(CMD, [5, {"PresenceId": "p"}], **BUSY, ErrorAction="Stop")
    assert emu.requests == []


def test_debug_output_has_no_token(emu: Any, caplog: Any) -> None:
    token = auth_context.current().get_token()  # type: ignore[union-attr]
    with caplog.at_level(logging.DEBUG, logger="pwshcompat"):
        call(PresenceId="u1", **BUSY, Debug=True)
    text = caplog.text
    assert "[CmdletBeginProcessing]: - " + CMD + " begin processing with parameterSet 'SetExpanded'." in text
    assert "============================ HTTP REQUEST ============================" in text
    assert "HTTP RESPONSE" in text and "[CmdletEndProcessing]" in text
    assert token not in text and "Authorization" not in text


def _debug_lines(caplog: Any) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.getMessage().startswith("[")]


def test_debug_with_what_if_writes_begin_authentication_and_end(emu: Any, caplog: Any) -> None:
    # original-observed.md, "Errors": -Debug writes these even with -WhatIf (issue 13.19).
    with caplog.at_level(logging.DEBUG, logger="pwshcompat"):
        call(PresenceId="u1", **BUSY, Debug=True, WhatIf=True)
    lines = _debug_lines(caplog)
    assert lines[0] == f"[CmdletBeginProcessing]: - {CMD} begin processing with parameterSet 'SetExpanded'."
    assert lines[1].startswith("[Authentication]: - AuthType: '") and lines[2].startswith("[Authentication]: - Scopes: [")
    assert lines[3:] == [f"[CmdletEndProcessing]: - {CMD} end processing."] and emu.requests == []


def test_a_call_failing_before_it_sends_writes_cmdlet_exception(emu: Any, caplog: Any) -> None:
    with caplog.at_level(logging.DEBUG, logger="pwshcompat"), pytest.raises(CommandError):
        call(PresenceId="u1", **BUSY, AdditionalProperties={"Availability": "Away"}, Debug=True)
    lines = _debug_lines(caplog)
    assert ("[CmdletException]: Received exception with message 'ArgumentException - An item with the same key has "
            "already been added. Key: availability'") in lines
    assert lines[-1] == f"[CmdletEndProcessing]: - {CMD} end processing." and emu.requests == []


# --- the Graph client: retries, faults, transport errors --------------------------------------------

def test_429_is_retried_with_retry_attempt_header(emu: Any) -> None:
    emu.inject("429", path="*/microsoft.graph.setUserPreferredPresence", count=2, retry_after=0)
    assert call(PresenceId="u1", **BUSY, PassThru=True) is True
    attempts = [r.headers.get("retry-attempt") for r in emu.requests]
    assert attempts == [None, "1", "2"]


@pytest.mark.parametrize("kind", ["503", "504"])
def test_503_and_504_are_retried(emu: Any, kind: str) -> None:
    emu.inject(kind, count=1, retry_after=0)
    assert call(PresenceId="u1", **BUSY, PassThru=True) is True
    assert len(emu.requests) == 2


def test_retries_run_out_with_the_originals_message(emu: Any) -> None:
    emu.inject("429", retry_after=0)
    with pytest.raises(CommandError) as info:
        call(PresenceId="u1", **BUSY)
    assert info.value.record.message == ("Too many retries performed. More than 3 retries encountered while sending "
                                         "the request.")
    assert info.value.category == ErrorCategory.NotSpecified and len(emu.requests) == 4


def test_max_retry_zero_gives_the_service_error(emu: Any) -> None:
    pwshcompat.invoke("Set-MgRequestContext", MaxRetry=0)
    emu.inject("429", retry_after=0)
    with pytest.raises(CommandError) as info:
        call(PresenceId="u1", **BUSY)
    assert (info.value.error_id, info.value.record.message) == ("TooManyRequests", "[TooManyRequests] : Please retry again later.")
    assert "Status: 429 (TooManyRequests)" in (info.value.record.details_message or "")
    assert len(emu.requests) == 1


def test_retries_time_limit_returns_the_last_response(emu: Any) -> None:
    pwshcompat.invoke("Set-MgRequestContext", RetryDelay=0, RetriesTimeLimit=1)
    emu.inject("503", retry_after=5)
    with pytest.raises(CommandError):
        call(PresenceId="u1", **BUSY)
    assert len(emu.requests) == 1, "a 5 s wait would exceed the 1 s limit, so no retry happens"


def test_request_context_defaults_and_changes() -> None:
    request_context.reset()
    ctx = pwshcompat.invoke("Get-MgRequestContext")
    assert (ctx["MaxRetry"], ctx["RetryDelay"], ctx["ClientTimeout"].ticks, ctx["RetriesTimeLimit"].ticks) == (
        3, 3, 300 * 10_000_000, 0)
    changed = pwshcompat.invoke("Set-MgRequestContext", MaxRetry=5, ClientTimeout=30)
    assert (changed["MaxRetry"], changed["ClientTimeout"].ticks, changed["RetryDelay"]) == (5, 300_000_000, 3)
    request_context.reset()


def test_connection_reset_is_mapped_at_the_boundary(emu: Any) -> None:
    pwshcompat.invoke("Set-MgRequestContext", MaxRetry=0)
    emu.inject("reset", count=1)
    with pytest.raises(CommandError) as info:
        call(PresenceId="u1", **BUSY)
    record = info.value.record
    assert (record.error_id, record.category) == ("", ErrorCategory.NotSpecified)
    assert record.exception_type == "System.Net.Http.HttpRequestException"


def test_connection_refused_is_mapped(emu: Any) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    pwshcompat.Add_MgEnvironment(Name="CoreRefused", GraphEndpoint=f"http://127.0.0.1:{port}", AzureADEndpoint="https://l")
    pwshcompat.Connect_MgGraph(Environment="CoreRefused", AccessToken=emu.issue_token(), NoWelcome=True)
    with pytest.raises(CommandError) as info:
        call(PresenceId="u1", **BUSY)
    assert info.value.record.message == f"Connection refused (127.0.0.1:{port})"


def test_every_requests_exception_is_mapped() -> None:
    import inspect

    import requests

    from pwshcompat.graph.client import GraphRequestError, map_transport_error

    classes = [c for _, c in inspect.getmembers(requests.exceptions, inspect.isclass)
               if issubclass(c, requests.RequestException)]
    assert len(classes) > 10
    for cls in classes:
        try:
            exc = cls("boom")
        except TypeError:
            continue
        mapped = map_transport_error(exc, "https://graph.example/x", 300)
        assert isinstance(mapped, GraphRequestError) and mapped.record.message, cls
        assert mapped.record.exception_type.startswith("System."), cls


@pytest.mark.parametrize("presence_id", [".", ".."])
def test_dot_segments_are_refused_before_any_request(emu: Any, presence_id: str) -> None:
    with pytest.raises(CommandError) as info:
        call(PresenceId=presence_id, **BUSY)
    assert info.value.error_id == "InvalidPresenceId" and "PresenceId" in info.value.record.message
    assert emu.requests == []


def test_a_body_over_4_mb_is_refused_before_any_request(emu: Any) -> None:
    with pytest.raises(CommandError) as info:
        call(PresenceId="u1", **BUSY, AdditionalProperties={"blob": "x" * (4 * 1024 * 1024)})
    assert info.value.error_id == "RequestBodyTooLarge" and emu.requests == []


def test_json_body_with_a_member_twice_is_refused(emu: Any) -> None:
    # Graph's JSON objects are case-insensitive: the original's converter cannot parse it (issue 13.16).
    text = '{"availability": "Busy", "activity": {"a": 1, "A": 2}}'
    with pytest.raises(ParameterBindingError) as info:
        call(PresenceId="u1", BodyParameter=text)
    assert info.value.error_id == "ParameterArgumentTransformationError" and emu.requests == []
    assert info.value.record.exception_type == "System.Management.Automation.ParameterBindingArgumentTransformationException"
    assert info.value.record.message == (
        f"Cannot process argument transformation on parameter 'BodyParameter'. Cannot convert the \"{text}\" value of "
        'type "System.String" to type "Microsoft.Graph.Beta.PowerShell.Models.'
        'IPaths16OmbuoCommunicationsPresencesPresenceIdMicrosoftGraphSetuserpreferredpresencePostRequestbodyContentApplicationJsonSchema".')


def test_a_401_gets_one_more_try_with_a_fresh_token(emu: Any) -> None:
    expired = emu.issue_token(expires_in=-600)
    pwshcompat.Connect_MgGraph(Environment="CoreTests", AccessToken=expired, NoWelcome=True)
    with pytest.raises(CommandError) as info:
        call(PresenceId="u1", **BUSY)
    assert [r.status for r in emu.requests] == [401, 401], "one retry after a 401, not more"
    assert info.value.record.message.startswith("[")


def test_retry_after_forms() -> None:
    import email.utils
    import time

    from pwshcompat.graph.client import _retry_after_seconds

    assert _retry_after_seconds("7") == 7.0 and _retry_after_seconds(None) is None and _retry_after_seconds("soon") is None
    # An HTTP date: Kiota takes the seconds *component* of the difference (so 70 s ahead waits ~10 s).
    ahead = email.utils.formatdate(time.time() + 70, usegmt=True)
    assert 8 <= (_retry_after_seconds(ahead) or 0) <= 10
    assert _retry_after_seconds(email.utils.formatdate(time.time() - 30, usegmt=True)) is None


def test_debug_logs_redact_access_tokens() -> None:
    import requests

    from pwshcompat.graph.client import format_request_log

    prepared = requests.Request("POST", "https://graph.example/x", data=b'{"access_token": "secret-value", "a": 1}',
                                headers={"Authorization": "Bearer secret-value", "X-A": "1"}).prepare()
    text = format_request_log(prepared)
    assert "secret-value" not in text and '"access_token": "<redacted>"' in text and "X-A" in text
