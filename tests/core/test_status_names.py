"""HTTP statuses are named as .NET's ``HttpStatusCode.ToString()`` names them (brief K item 5): in a
service error's ErrorDetails ("Status: 414 (RequestUriTooLong)"), as ``RestException`1``'s error id
and message, in the ``-Debug`` response dump and in Invoke-MgGraphRequest's message. Python's
``HTTPStatus`` phrases gave ``RequestURITooLong``, ``I'maTeapot``, ``TemporaryRedirect``.

The table is checked against real .NET (pwsh's own enum, every code from 100 to 599), then the
names are followed end to end through the Python API against a recording server on 127.0.0.1.
"""

from __future__ import annotations

import json
from typing import Any, Iterator

import pytest

import pwshcompat
from pwshcompat.errors import CommandError, TerminatingError
from pwshcompat.graph import http_status, request_context

from conftest import connect, run_pwsh
from tests.reply_server import ReplyServer

# Statuses whose .NET name differs from Python's HTTPStatus phrase, or that .NET does not name.
# Expected values: .NET 8's HttpStatusCode.ToString() (the same on .NET 10).
ERROR_STATUSES = {413: "RequestEntityTooLarge", 414: "RequestUriTooLong", 416: "RequestedRangeNotSatisfiable",
                  418: "418", 421: "MisdirectedRequest", 422: "UnprocessableEntity", 425: "425", 509: "509"}


def test_the_table_is_dotnets_enum() -> None:
    done = run_pwsh("$(foreach ($i in 100..599) { '{0} {1}' -f $i, [Enum]::ToObject([System.Net.HttpStatusCode], $i) }) -join \"`n\"")
    assert done.returncode == 0, done.stderr
    dotnet = dict(line.split(" ", 1) for line in done.stdout.strip().splitlines())
    assert {str(code): http_status.dotnet_name(code) for code in range(100, 600)} == dotnet


@pytest.fixture(scope="module")
def server() -> Iterator[ReplyServer]:
    with ReplyServer() as replies:
        connect(replies.url, "StatusNames", "not-checked")
        request_context.update(retry_delay=0.0)
        try:
            yield replies
        finally:
            request_context.reset()


def _errors(**kwargs: Any) -> list[Any]:
    with pytest.raises(CommandError) as failure:
        pwshcompat.invoke("Get-MgUserPresence", UserId="u1", **kwargs)
    return list(failure.value.errors)


@pytest.mark.parametrize("status,name", ERROR_STATUSES.items())
def test_a_service_error_names_its_status_as_dotnet(server: ReplyServer, status: int, name: str) -> None:
    (graph,) = _errors(Headers={"x-reply": f"graph-{status}"})
    assert f"\nStatus: {status} ({name})\n" in graph.details_message
    (rest,) = _errors(Headers={"x-reply": f"empty-{status}"})
    kind = "Server Error" if status >= 500 else "Request Error"
    assert rest.fully_qualified_error_id.startswith(f"{name},")
    assert rest.message == f"The server responded with a {kind}, Status: {name}"


def test_the_debug_response_dump_names_the_status_as_dotnet(server: ReplyServer, caplog: Any) -> None:
    import logging

    with caplog.at_level(logging.DEBUG, logger="pwshcompat.cmdlet"):
        with pytest.raises(CommandError):
            pwshcompat.invoke("Get-MgUserPresence", UserId="u1", Headers={"x-reply": "graph-414"}, Debug=True)
    dumps = [r.getMessage() for r in caplog.records if "HTTP RESPONSE" in r.getMessage()]
    assert len(dumps) == 1 and "\nStatus Code:\nRequestUriTooLong\n" in dumps[0]


def test_invoke_mg_graph_request_names_the_status_as_dotnet(server: ReplyServer) -> None:
    with pytest.raises(TerminatingError) as failure:
        pwshcompat.invoke("Invoke-MgGraphRequest", Uri="/v1.0/me", Headers={"x-reply": "graph-422"})
    assert failure.value.record.message.startswith("Response status code does not indicate success: UnprocessableEntity (")
    details = failure.value.record.details_message or ""
    assert details.startswith("HTTP/1.1 422 ")
    assert json.loads(details.partition("\r\n\r\n")[2])["error"]["code"] == "itemNotFound"
