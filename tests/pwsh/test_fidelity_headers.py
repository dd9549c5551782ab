"""-ResponseHeadersVariable as the original fills it (issue 13.20), for every presence cmdlet, in real
pwsh against a recording server whose reply repeats headers (tests/reply_server.py, "repeated"):
a ``Dictionary[string, IEnumerable[string]]`` (case-insensitive) whose value for a header sent twice
is one ``string[]`` with each value, the content headers (Content-Type, Expires, Content-Length)
listed after the others (original-observed.md, "Other")."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.family_rows import FROM_JSON_PS, rows, to_json

FIRST_ROWS = [r for r in {r.command: r for r in reversed(rows())}.values() if r.output != "count"]

SCRIPT = r"""
Import-Module ./Microsoft.Graph.Beta.CloudCommunications.psd1
Import-Module ./Microsoft.Graph.CloudCommunications.psd1
Add-MgEnvironment -Name Replies -GraphEndpoint $args[0] -AzureADEndpoint https://login.microsoftonline.com | Out-Null
Connect-MgGraph -Environment Replies -AccessToken (ConvertTo-SecureString 'not-checked' -AsPlainText -Force) -NoWelcome
""" + FROM_JSON_PS + r"""
$results = [ordered]@{}
foreach ($case in (Get-Content -Raw $args[1] | ConvertFrom-Json -AsHashtable -DateKind String)) {
    $p = ConvertTo-Argument $case.parameters
    $p.Remove('CountVariable'); $p.Remove('All')
    $p['Headers'] = @{ 'x-reply' = 'repeated' }
    $global:rh = $null
    $null = & $case.command @p -ResponseHeadersVariable rh -ErrorAction SilentlyContinue
    $results[$case.id] = if ($global:rh) { [ordered]@{
        names = @($global:rh.Keys)
        multi = @($global:rh['x-multi']); multiType = $global:rh['X-MULTI'].GetType().FullName
        cookies = @($global:rh['Set-Cookie'])
        comparer = $global:rh.Comparer.GetType().Name
    } } else { $null }
}
$results | ConvertTo-Json -Depth 4 -Compress
"""


@pytest.fixture(scope="module")
def outcome(tmp_path_factory: Any) -> Any:
    from tests.conftest import run_pwsh
    from tests.reply_server import ReplyServer

    path = tmp_path_factory.mktemp("headers") / "cases.json"
    path.write_text(json.dumps([{"id": r.id, "command": r.command, "parameters": to_json(r.parameters)} for r in FIRST_ROWS]),
                    encoding="utf-8")
    with ReplyServer() as server:
        run = run_pwsh(SCRIPT, server.url, str(path), timeout=600)
        assert run.returncode == 0, run.stderr
        return json.loads(run.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("row", FIRST_ROWS, ids=[r.id for r in FIRST_ROWS])
def test_response_headers_variable_is_the_originals(outcome: Any, row: Any) -> None:
    got = outcome[row.id]
    assert got is not None, "the variable was set"
    # The reply's lines: Server, Date (http.server's), Content-Type, X-Multi x2, Set-Cookie x2,
    # request-id, Expires, Content-Length: content headers move to the end, in their order.
    assert got["names"] == ["Server", "Date", "X-Multi", "Set-Cookie", "request-id", "Content-Type", "Expires",
                            "Content-Length"]
    assert got["multi"] == ["one", "two"] and got["multiType"] == "System.String[]"
    assert got["cookies"] == ["a=1", "b=2"]
    assert got["comparer"].startswith("OrdinalIgnoreCase")
