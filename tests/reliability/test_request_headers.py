"""Request headers as the original sends them (issue 13, items 1-4; original-observed.md, Requests).

* every attempt carries ``client-request-id: <new GUID>``, a fresh one on a retry, and one given
  in ``-Headers`` is replaced;
* ``-Headers`` names that differ only in case (a case-sensitive .NET dictionary) go out as one
  header, the values joined with ", ";
* a non-ASCII value is refused before sending: non-terminating ``HttpRequestException`` "Request
  headers must contain only ASCII characters.", Category NotSpecified;
* entries .NET refuses fail with .NET's own exception types and messages.

The server is a :class:`Loopback` on 127.0.0.1 that records every header line as it arrived, so
"one header" means one line on the wire, not one key in a dictionary.
"""

from __future__ import annotations

import uuid
from typing import Any, Iterator

import pytest

from conftest import connected, run_pwsh

from .harness import PS_CONNECT, Loopback, connect_python, last_json_line, reply

INTERNAL = "Microsoft.Graph.Beta.PowerShell.Cmdlets.SetMgBetaCommunicationPresenceUserPreferredPresence_SetExpanded"
MISUSED = ("Misused header name, 'Content-Type'. Make sure request headers are used with HttpRequestMessage, "
           "response headers with HttpResponseMessage, and content headers with HttpContent objects.")
NOT_ASCII = "Request headers must contain only ASCII characters."
# What the original raises for each invalid -Headers entry: (.NET exception type, message).
REFUSED = {
    "misused": ("System.InvalidOperationException", MISUSED),
    "bad-name": ("System.FormatException", "The header name 'bad header' has an invalid format."),
    "new-line": ("System.FormatException", "New-line or NUL characters are not allowed in header values."),
    "null-value": ("System.NullReferenceException", "Object reference not set to an instance of an object."),
    "not-ascii": ("System.Net.Http.HttpRequestException", NOT_ASCII),
}


class Recorder:
    """Answers 204, or 429 with ``Retry-After: 0`` to the first request for a path containing
    ``retry-``; keeps each request's header lines as they arrived."""

    def __init__(self) -> None:
        self.lines: list[tuple[str, list[tuple[str, str]]]] = []

    def __call__(self, handler: Any, record: Any) -> None:
        path = record[1]
        first = not any(p == path for p, _ in self.lines)
        self.lines.append((path, list(handler.headers.items())))
        if "retry-" in path and first:
            reply(handler, 429, {"Retry-After": "0"})
        else:
            reply(handler, 204)

    def attempts(self, presence_id: str) -> list[list[tuple[str, str]]]:
        return [lines for path, lines in self.lines if f"/presences/{presence_id}/" in path]


def _values(lines: list[tuple[str, str]], name: str) -> list[str]:
    return [v for n, v in lines if n.lower() == name.lower()]


def _request_id(lines: list[tuple[str, str]]) -> uuid.UUID:
    (value,) = _values(lines, "client-request-id")
    return uuid.UUID(value)


PS_HEADERS = PS_CONNECT + r"""
Set-MgRequestContext -RetryDelay 0 | Out-Null
$dup = [Collections.Generic.Dictionary[string,string]]::new()
$dup['X-Dup'] = '1'
$dup['x-dup'] = '2'
$cases = [ordered]@{
    'plain' = @{}
    'given-id' = @{ 'client-request-id' = 'my-own-id' }
    'retry-1' = @{ 'Client-Request-Id' = 'my-own-id' }
    'dup' = $dup
    'misused' = @{ 'Content-Type' = 'text/plain' }
    'bad-name' = @{ 'bad header' = 'x' }
    'new-line' = @{ 'X-A' = "a`nb" }
    'null-value' = @{ 'X-A' = $null }
    'not-ascii' = @{ 'x-uni' = [string][char]0xE9 }
}
$rows = foreach ($name in $cases.Keys) {
    $errs = $null
    $out = Set-MgBetaCommunicationPresenceUserPreferredPresence -PresenceId "hdr-$name" -Availability Busy `
        -Activity Busy -PassThru -Headers $cases[$name] -ErrorVariable errs -ErrorAction SilentlyContinue
    [pscustomobject]@{
        name = $name
        out = @($out).Count
        errors = @($errs | ForEach-Object {
            [pscustomobject]@{ fqid = $_.FullyQualifiedErrorId; category = "$($_.CategoryInfo.Category)"
                               type = $_.Exception.GetType().FullName; message = $_.Exception.Message } })
    }
}
'HEADERS ' + (ConvertTo-Json -InputObject @($rows) -Depth 5 -Compress)
"""


@pytest.fixture(scope="module")
def ps_run(module_emulator: Any) -> Iterator[tuple[dict[str, Any], Recorder]]:
    recorder = Recorder()
    with Loopback(recorder) as server:
        result = run_pwsh(PS_HEADERS, server.url(), module_emulator.issue_token())
        assert result.returncode == 0, result.stderr[-3000:]
        rows = {row["name"]: row for row in last_json_line(result.stdout, "HEADERS ")}
        yield rows, recorder


def test_powershell_every_attempt_has_its_own_client_request_id(ps_run: tuple[dict[str, Any], Recorder]) -> None:
    rows, recorder = ps_run
    for name in ("plain", "given-id", "dup"):
        assert rows[name]["out"] == 1 and rows[name]["errors"] == [], rows[name]
    plain, given = recorder.attempts("hdr-plain"), recorder.attempts("hdr-given-id")
    assert len(plain) == len(given) == 1
    assert _request_id(plain[0]) != _request_id(given[0])
    assert "my-own-id" not in _values(given[0], "client-request-id"), "the caller's client-request-id was sent"


def test_powershell_a_retry_gets_a_fresh_client_request_id(ps_run: tuple[dict[str, Any], Recorder]) -> None:
    rows, recorder = ps_run
    assert rows["retry-1"]["out"] == 1 and rows["retry-1"]["errors"] == []
    first, second = recorder.attempts("hdr-retry-1")
    assert _request_id(first) != _request_id(second)
    assert (_values(first, "Retry-Attempt"), _values(second, "Retry-Attempt")) == ([], ["1"])


def test_powershell_names_differing_in_case_go_out_as_one_header(ps_run: tuple[dict[str, Any], Recorder]) -> None:
    _, recorder = ps_run
    (lines,) = recorder.attempts("hdr-dup")
    assert [(n, v) for n, v in lines if n.lower() == "x-dup"] == [("X-Dup", "1, 2")]


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_powershell_refused_headers_are_the_originals_errors(name: str, ps_run: tuple[dict[str, Any], Recorder]) -> None:
    rows, recorder = ps_run
    exception_type, message = REFUSED[name]
    row = rows[name]
    assert row["out"] == 0
    assert row["errors"] == [{"fqid": INTERNAL, "category": "NotSpecified", "type": exception_type,
                              "message": message}]
    assert recorder.attempts(f"hdr-{name}") == [], "a refused header was sent"
    # Non-terminating: the script went on to the next case.
    assert list(rows)[-1] == "not-ascii"


def test_python_client_request_id_duplicates_and_non_ascii(module_emulator: Any) -> None:
    import pwshcompat

    recorder = Recorder()
    with Loopback(recorder) as server:
        connect_python(module_emulator)
        pwshcompat.Add_MgEnvironment(Name="HeadersPy", GraphEndpoint=server.url(), AzureADEndpoint="https://login.local")
        pwshcompat.Connect_MgGraph(Environment="HeadersPy", AccessToken=module_emulator.issue_token(), NoWelcome=True)
        pwshcompat.invoke("Set-MgRequestContext", RetryDelay=0)
        try:
            busy = {"Availability": "Busy", "Activity": "Busy", "PassThru": True}
            assert pwshcompat.Set_MgBetaCommunicationPresenceUserPreferredPresence(
                PresenceId="py-retry-1", Headers={"client-request-id": "mine", "X-Dup": "1", "x-dup": "2"},
                **busy) is True
            with pytest.raises(pwshcompat.CommandError) as info:
                pwshcompat.Set_MgBetaCommunicationPresenceUserPreferredPresence(
                    PresenceId="py-uni", Headers={"x-uni": "caf\u00e9"}, **busy)
        finally:
            pwshcompat.invoke("Set-MgRequestContext", RetryDelay=3)
    first, second = recorder.attempts("py-retry-1")
    assert _request_id(first) != _request_id(second)
    assert [(n, v) for n, v in second if n.lower() == "x-dup"] == [("X-Dup", "1, 2")]
    record = info.value.record
    assert (record.message, record.exception_type, record.category.value, record.fully_qualified_error_id) == (
        NOT_ASCII, "System.Net.Http.HttpRequestException", "NotSpecified", INTERNAL)
    assert recorder.attempts("py-uni") == []


# -- every cmdlet of the family (one row per cmdlet, from the specs) ---------------------------

def _family_rows() -> list[Any]:
    from tests.family_rows import rows

    first: dict[str, Any] = {}
    for row in rows():
        first.setdefault(row.command, row)
    return list(first.values())


FAMILY = _family_rows()


@pytest.fixture(scope="module")
def family_emulator() -> Iterator[Any]:
    from pwshcompat.emulator import Emulator

    with Emulator() as emu:
        yield emu


@pytest.fixture
def family(family_emulator: Any) -> Iterator[Any]:
    from tests.family_rows import SCOPES, USER

    with connected(family_emulator, "HeadersFamily", scp=SCOPES, oid=USER):
        yield family_emulator


@pytest.mark.parametrize("row", FAMILY, ids=[r.command for r in FAMILY])
def test_every_cmdlet_sends_a_fresh_client_request_id_and_joins_names_differing_in_case(family: Any, row: Any) -> None:
    import pwshcompat

    row.prepare()
    before = len(family.requests)
    pwshcompat.invoke(row.command, **row.parameters, Headers={"client-request-id": "mine", "X-Dup": "1", "x-dup": "2"},
                      ErrorAction="SilentlyContinue")
    sent = family.requests[before:]
    assert sent, "nothing was sent"
    for request in sent:
        assert str(uuid.UUID(request.headers["client-request-id"])) == request.headers["client-request-id"]
        assert request.headers["x-dup"] == "1, 2"  # one header line: the emulator keeps the last of several
    assert len({r.headers["client-request-id"] for r in sent}) == len(sent)


@pytest.mark.parametrize("row", FAMILY, ids=[r.command for r in FAMILY])
def test_every_cmdlet_refuses_a_non_ascii_header_value_before_sending(family: Any, row: Any) -> None:
    import pwshcompat

    row.prepare()
    before = len(family.requests)
    errors: list[Any] = []
    pwshcompat.invoke(row.command, **row.parameters, Headers={"x-uni": "caf\u00e9"}, ErrorAction="SilentlyContinue",
                      ErrorVariable=errors)
    assert family.requests[before:] == []
    (error,) = errors  # ErrorRecords, as -ErrorVariable collects them
    assert (error.message, error.exception_type, error.category.value) == (
        NOT_ASCII, "System.Net.Http.HttpRequestException", "NotSpecified")
    assert error.fully_qualified_error_id == row.internal_type
