"""Every parameter set of every presence cmdlet in real pwsh (both modules imported), against the
emulator: what reaches Graph (the same rows and checks as tests/core/test_family_table.py) and
what the functions write: the original's output types (Boolean under -PassThru, the model classes
Microsoft.Graph[.Beta].PowerShell.Models.MicrosoftGraphPresence, Int32 counts) and error records
whose FullyQualifiedErrorId names the internal cmdlet type. One pwsh process for every row."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.family_rows import FROM_JSON_PS, OTHER, SCOPES, USER, check_request, rows, to_json

ROWS = rows()

SCRIPT = r"""
Import-Module ./Microsoft.Graph.Beta.CloudCommunications.psd1
Import-Module ./Microsoft.Graph.CloudCommunications.psd1
Add-MgEnvironment -Name FamilyPwsh -GraphEndpoint $args[0] -AzureADEndpoint https://login.microsoftonline.com | Out-Null
Connect-MgGraph -Environment FamilyPwsh -AccessToken (ConvertTo-SecureString $args[1] -AsPlainText -Force) -NoWelcome
""" + FROM_JSON_PS + r"""
$results = [ordered]@{}
foreach ($row in (Get-Content -Raw $args[2] | ConvertFrom-Json -AsHashtable -DateKind String)) {
    foreach ($step in $row.setup) {
        $p = ConvertTo-Argument $step[1]
        $null = & $step[0] @p
    }
    $p = ConvertTo-Argument $row.parameters
    $p['Headers'] = @{ 'x-family-row' = $row.id }
    $rowErrors = $null
    $out = @(& $row.command @p -ErrorAction SilentlyContinue -ErrorVariable rowErrors)
    $results[$row.id] = [ordered]@{
        types = @($out | ForEach-Object { $_.GetType().FullName })
        values = @($out | ForEach-Object { if ($_ -is [bool] -or $_ -is [int]) { $_ } else { "$($_.Id)" } })
        errors = @($rowErrors | ForEach-Object { $_.FullyQualifiedErrorId })
        table = if ($out.Count -and $out[0].GetType().Name -eq 'MicrosoftGraphPresence') { ($out | Format-Table | Out-String).Trim() -split "`r?`n" | Select-Object -First 1 } else { $null }
    }
}
$results | ConvertTo-Json -Depth 6 -Compress
"""


@pytest.fixture(scope="module")
def outcome(tmp_path_factory: Any) -> Any:
    from pwshcompat.emulator import Emulator
    from tests.conftest import run_pwsh

    cases = tmp_path_factory.mktemp("family") / "rows.json"
    cases.write_text(json.dumps([{"id": r.id, "command": r.command, "parameters": to_json(r.parameters),
                                  "setup": [[c, to_json(p)] for c, p in r.setup]} for r in ROWS]), encoding="utf-8")
    with Emulator() as emu:
        run = run_pwsh(SCRIPT, emu.graph_url, emu.issue_token(scp=SCOPES, oid=USER, expires_in=7200), str(cases),
                       timeout=600)
        assert run.returncode == 0, run.stderr
        yield json.loads(run.stdout.strip().splitlines()[-1]), list(emu.requests)


@pytest.mark.parametrize("row", ROWS, ids=[r.id for r in ROWS])
def test_every_parameter_set_in_pwsh(outcome: Any, row: Any) -> None:
    results, requests = outcome
    got = results[row.id]
    request = check_request(row, [r for r in requests if r.headers.get("x-family-row") == row.id])
    if not 200 <= (request.status or 0) < 300:
        assert got["types"] == [] and len(got["errors"]) == 1
        assert got["errors"][0].endswith("," + row.internal_type)
        return
    assert got["errors"] == []
    model = f"{row.namespace}.Models.MicrosoftGraphPresence"
    if row.output == "passThru":
        assert (got["types"], got["values"]) == (["System.Boolean"], [True])
    elif row.output == "count":
        assert got["types"] == ["System.Int32"] and got["values"][0] >= 0
    elif row.output == "model":
        if got["types"] or row.kind not in ("create", "update"):
            assert got["types"] == [model]
            if row.kind in ("get", "list"):
                assert got["values"] == [USER]
                assert got["table"].split() == ["Id", "Activity", "Availability"]
    else:
        assert got["types"] and set(got["types"]) == {model}
        if row.output == "values":
            assert got["values"] == [USER, OTHER]
