"""Half a surrogate pair in a Python string (a lone surrogate, ``"\\udc80"``) goes out as .NET writes
it: U+FFFD, ``%EF%BF%BD`` in a path segment or a query value and the bytes EF BF BD in a body, a
header value holding one is refused as non-ASCII before sending. It crashed with UnicodeEncodeError
inside the request builder and the JSON encoder. Every parameter set of every presence cmdlet,
through the Python API, against a recording server on 127.0.0.1 (tests/reply_server.py) that keeps
each request as received.

Expected values are .NET's: ``[uri]::EscapeDataString("a" + [char]0xD800)`` is ``a%EF%BF%BD`` and
``[Text.Encoding]::UTF8.GetBytes(...)`` gives ``61 EF BF BD`` (pwsh 7.6); the PowerShell side already
sends these (tests/pwsh/test_family_scripts.py, ``WellFormedText.cs``).
"""

from __future__ import annotations

import copy
from typing import Any, Iterator

import pytest

import pwshcompat
from pwshcompat.errors import CommandError
from pwshcompat.graph import request_context

from conftest import connect
from tests.family_rows import USER, Row, rows
from tests.reply_server import ReplyServer

ROWS = rows()
HALF = "a\udc80"  # "a" and the second half of a pair alone
HALF_ESCAPED = "a%EF%BF%BD"
HALF_UTF8 = b"a\xef\xbf\xbd"


@pytest.fixture(scope="module")
def server() -> Iterator[ReplyServer]:
    with ReplyServer() as replies:
        connect(replies.url, "Surrogates", "not-checked")
        request_context.update(retry_delay=0.0)
        try:
            yield replies
        finally:
            request_context.reset()


def _with_half(row: Row) -> dict[str, Any]:
    """The row's parameters with a lone surrogate in every path value, query value and body member it has."""
    parameters = copy.deepcopy(row.parameters)
    for name, value in list(parameters.items()):
        if value == USER:
            parameters[name] = HALF  # a path parameter
        elif isinstance(value, dict) and name == "InputObject":
            parameters[name] = {k: HALF for k in value}
    if "Property" in parameters:
        parameters["Property"] = ["id" + HALF]
    if "Filter" in parameters:
        parameters["Filter"] = HALF
    if "AdditionalProperties" in parameters:
        parameters["AdditionalProperties"] = {"note" + HALF: HALF}
    if "BodyParameter" in parameters:
        parameters["BodyParameter"] = {**parameters["BodyParameter"], "note" + HALF: HALF}
    return parameters


def _expected_path(row: Row) -> str:
    path, _, query = row.path.partition("?")
    path = path.replace(USER, HALF_ESCAPED)
    if query:
        query = "&".join(
            "$select=id" + HALF_ESCAPED if part.startswith("$select=") else
            "$filter=" + HALF_ESCAPED if part.startswith("$filter=") else part
            for part in query.split("&"))
    return path + ("?" + query if query else "")


@pytest.mark.parametrize("row", ROWS, ids=[r.id for r in ROWS])
def test_a_lone_surrogate_is_sent_as_dotnet_encodes_it(server: ReplyServer, row: Row) -> None:
    before = len(server.requests)
    pwshcompat.invoke(row.command, **_with_half(row), ErrorAction="SilentlyContinue")
    (request,) = server.requests[before:]
    assert request.path == _expected_path(row)
    if row.body is not None:
        # Members given beside the model's (-AdditionalProperties, unknown -BodyParameter keys) come first.
        assert request.body.startswith(b'{\n  "note' + HALF_UTF8 + b'": "' + HALF_UTF8 + b'"')
        request.body.decode("utf-8")  # well-formed UTF-8 throughout


@pytest.mark.parametrize("row", ROWS, ids=[r.id for r in ROWS])
def test_a_header_value_with_a_lone_surrogate_is_refused_before_sending(server: ReplyServer, row: Row) -> None:
    before = len(server.requests)
    with pytest.raises(CommandError) as failure:
        pwshcompat.invoke(row.command, **{**row.parameters, "Headers": {"x-half": HALF}})
    assert server.requests[before:] == []
    (record,) = failure.value.errors
    assert record.message == "Request headers must contain only ASCII characters."
    assert record.exception_type == "System.Net.Http.HttpRequestException"
    assert record.fully_qualified_error_id == row.internal_type


def test_a_header_name_with_a_lone_surrogate_names_it_with_a_replacement_character(server: ReplyServer) -> None:
    before = len(server.requests)
    with pytest.raises(CommandError) as failure:
        pwshcompat.Get_MgUserPresence(UserId="u1", Headers={"x-" + HALF: "v"})
    assert server.requests[before:] == []
    assert failure.value.errors[0].message == "The header name 'x-a\ufffd' has an invalid format."
    assert failure.value.errors[0].exception_type == "System.FormatException"


def test_a_pair_given_as_two_halves_is_the_character_they_spell(server: ReplyServer) -> None:
    # "\ud83d\ude00" is one character (U+1F600) to .NET; Python keeps the two halves apart.
    before = len(server.requests)
    pwshcompat.invoke("Set-MgBetaCommunicationPresenceUserPreferredPresence", PresenceId="\ud83d\ude00",
                      AdditionalProperties={"k": "\ud83d\ude00\ud83d"}, Availability="Busy", Activity="Busy")
    (request,) = server.requests[before:]
    assert request.path == "/beta/communications/presences/%F0%9F%98%80/microsoft.graph.setUserPreferredPresence"
    assert request.body.startswith('{\n  "k": "\U0001F600\ufffd"'.encode())


def test_invoke_mg_graph_request_sends_a_lone_surrogate_as_dotnet_does(server: ReplyServer) -> None:
    before = len(server.requests)
    pwshcompat.invoke("Invoke-MgGraphRequest", Method="POST", Uri="/v1.0/users/" + HALF, Body='{"k": "' + HALF + '"}')
    (request,) = server.requests[before:]
    assert request.path == "/v1.0/users/" + HALF_ESCAPED
    assert request.body == b'{"k": "' + HALF_UTF8 + b'"}'
