"""Issue 13.1-13.4 (done in the Graph client, tests/reliability/test_request_headers.py) checked for
every parameter set of every presence cmdlet in one pwsh process, with the original's values
(original-observed.md, "Requests"): a new ``client-request-id`` GUID on every request, replacing one
given in -Headers; two names differing only in case sent once with both values joined by ", "; a
non-ASCII header value refused before sending (HttpRequestException, NotSpecified)."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from tests.family_rows import FROM_JSON_PS, SCOPES, USER, rows, to_json

ROWS = rows()
GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")

SCRIPT = r"""
Import-Module ./Microsoft.Graph.Beta.CloudCommunications.psd1
Import-Module ./Microsoft.Graph.CloudCommunications.psd1
Add-MgEnvironment -Name Requests -GraphEndpoint $args[0] -AzureADEndpoint https://login.microsoftonline.com | Out-Null
Connect-MgGraph -Environment Requests -AccessToken (ConvertTo-SecureString $args[1] -AsPlainText -Force) -NoWelcome
""" + FROM_JSON_PS + r"""
$results = [ordered]@{}
foreach ($row in (Get-Content -Raw $args[2] | ConvertFrom-Json -AsHashtable -DateKind String)) {
    $p = ConvertTo-Argument $row.parameters
    $h = [System.Collections.Generic.Dictionary[string, string]]::new()
    $h['x-family-row'] = $row.id; $h['client-request-id'] = 'mine'; $h['X-Dup'] = '1'; $h['x-dup'] = '2'
    $p['Headers'] = $h
    $null = & $row.command @p -ErrorAction SilentlyContinue
    $p['Headers'] = @{ 'x-family-row' = "$($row.id):ascii"; 'x-uni' = 'é' }
    $rowErrors = $null
    $null = & $row.command @p -ErrorAction SilentlyContinue -ErrorVariable rowErrors
    $results[$row.id] = @($rowErrors | ForEach-Object { , @($_.FullyQualifiedErrorId, "$($_.CategoryInfo.Category)", $_.Exception.GetType().FullName, $_.Exception.Message) })
}
$results | ConvertTo-Json -Depth 4 -Compress
"""


@pytest.fixture(scope="module")
def outcome(tmp_path_factory: Any) -> Any:
    from pwshcompat.emulator import Emulator
    from tests.conftest import run_pwsh

    path = tmp_path_factory.mktemp("requests") / "rows.json"
    path.write_text(json.dumps([{"id": r.id, "command": r.command, "parameters": to_json(r.parameters)} for r in ROWS]),
                    encoding="utf-8")
    with Emulator() as emu:
        run = run_pwsh(SCRIPT, emu.graph_url, emu.issue_token(scp=SCOPES, oid=USER, expires_in=7200), str(path), timeout=600)
        assert run.returncode == 0, run.stderr
        yield json.loads(run.stdout.strip().splitlines()[-1]), list(emu.requests)


@pytest.mark.parametrize("row", ROWS, ids=[r.id for r in ROWS])
def test_every_parameter_set_follows_the_originals_header_rules(outcome: Any, row: Any) -> None:
    results, requests = outcome
    sent = [r for r in requests if r.headers.get("x-family-row") == row.id]
    assert sent
    for request in sent:
        assert GUID.match(request.headers["client-request-id"]), request.headers["client-request-id"]
        assert request.headers["x-dup"] == "1, 2"
    assert len({r.headers["client-request-id"] for r in sent}) == len(sent)
    assert not [r for r in requests if r.headers.get("x-family-row") == f"{row.id}:ascii"]
    ((fqid, category, exception, message),) = results[row.id]
    assert (fqid, category, exception) == (row.internal_type, "NotSpecified", "System.Net.Http.HttpRequestException")
    assert message == "Request headers must contain only ASCII characters."
