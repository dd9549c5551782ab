"""Bad input from PowerShell, Python and the CLI: a clear error with its id, and nothing sent.

The table is :mod:`tests.reliability.bad_input`. PowerShell rows run in one pwsh process (a marker
request before each row attributes the emulator's log to rows); Python rows run in-process; CLI
rows run ``python -m pwshcompat`` each.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from conftest import run_pwsh
from pwshcompat.emulator import Emulator

from .bad_input import ANY, CLI_CASES, CMD, KNOWN_GAPS, PATH, PS_CASES, PY_CASES, SEGMENTS, Case
from .harness import PS_CONNECT, cli_env, connect_python, last_json_line, requests_by_marker, run_cli

PS_RUNNER = PS_CONNECT + r"""
$table = Get-Content -Raw -LiteralPath $args[2] | ConvertFrom-Json
$ids = @($table.ids)
$marker = @{ Availability = 'Available'; Activity = 'Available' }
function Get-Described($e) {
    [ordered]@{
        fqid = $e.FullyQualifiedErrorId; category = "$($e.CategoryInfo.Category)"
        message = $e.Exception.Message; details = if ($e.ErrorDetails) { $e.ErrorDetails.Message } else { $null }
    }
}
$results = [System.Collections.Generic.List[object]]::new()
for ($n = 0; $n -lt $table.cases.Count; $n++) {
    $case = $table.cases[$n]
    Set-MgBetaCommunicationPresenceUserPreferredPresence -PresenceId "mark-$n" @marker
    $text = 'Set-MgBetaCommunicationPresenceUserPreferredPresence ' + $case.call
    if ($case.pipe) { $text = $case.pipe + ' | ' + $text }
    $tokens = $parseErrors = $null
    $null = [System.Management.Automation.Language.Parser]::ParseInput($text, [ref]$tokens, [ref]$parseErrors)
    $r = [ordered]@{ id = $case.id; parse = @($parseErrors | ForEach-Object ErrorId); errors = @(); terminating = $null
                     output = @(); warnings = @() }
    if (-not $parseErrors) {
        $ErrorActionPreference = 'Continue'
        try {
            foreach ($item in @(& ([scriptblock]::Create($text)) 2>&1 3>&1)) {
                if ($item -is [System.Management.Automation.ErrorRecord]) { $r.errors += , (Get-Described $item) }
                elseif ($item -is [System.Management.Automation.WarningRecord]) { $r.warnings += $item.Message }
                else { $r.output += "$item" }
            }
        } catch { $r.terminating = Get-Described $_ }
        $ErrorActionPreference = 'Stop'
    }
    $results.Add($r)
}
Set-MgBetaCommunicationPresenceUserPreferredPresence -PresenceId "mark-$($table.cases.Count)" @marker
'RESULTS ' + (ConvertTo-Json -InputObject $results -Depth 6 -Compress)
"""


@pytest.fixture(scope="module")
def ps_results(module_emulator: Emulator, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Run every PowerShell row in one pwsh; per row its outcome and the requests it caused."""
    table = tmp_path_factory.mktemp("ps") / "table.json"
    rows = [{"id": c.id, "call": c.call, "pipe": c.extra.get("pipe")} for c in PS_CASES]
    table.write_text(json.dumps({"ids": list(SEGMENTS), "cases": rows}), encoding="utf-8")
    result = run_pwsh(PS_RUNNER, module_emulator.graph_url, module_emulator.issue_token(), str(table), timeout=300)
    assert result.returncode == 0, result.stderr[-4000:]
    rows = last_json_line(result.stdout, "RESULTS ")
    sent = requests_by_marker(module_emulator)
    return {row["id"]: dict(row, requests=sent.get(n, None)) for n, row in enumerate(rows)}


def _rows(cases: list[Case]) -> list[Any]:
    return [pytest.param(c, id=c.id, marks=[pytest.mark.xfail(strict=True, reason=KNOWN_GAPS[c.id])]
                         if c.id in KNOWN_GAPS else []) for c in cases]


def _check_error(case: Case, fqid: str, text: str) -> None:
    if case.fqid is not None:
        assert fqid == case.fqid
    elif case.error_id == ANY:
        assert fqid, "the error carries no id"
    else:
        assert fqid.split(",")[0] == case.error_id, fqid
    for needle in case.mentions:
        assert needle.lower() in text.lower(), f"the error does not name {needle!r}: {text!r}"


def _check_sent_once(case: Case, sent: list[Any]) -> None:
    assert [r.path for r in sent] == [PATH.format(case.segment)]


@pytest.mark.parametrize("case", _rows(PS_CASES))
def test_powershell(case: Case, ps_results: dict[str, Any]) -> None:
    row = ps_results[case.id]
    assert row["requests"] is not None, "the marker before this row never reached the emulator"
    errors = row["errors"] + ([row["terminating"]] if row["terminating"] else [])
    if case.valid:
        assert not row["parse"] and not errors, errors
        _check_sent_once(case, row["requests"])
        return
    assert row["requests"] == [], "an invalid invocation sent a request"
    if row["parse"]:
        assert row["parse"][0] == case.error_id
        return
    assert len(errors) == 1, f"expected exactly one error, got {errors}"
    if case.terminating:
        assert row["terminating"], "expected a terminating error"
    error = errors[0]
    _check_error(case, error["fqid"], f"{error['message']} {error['details'] or ''}")


@pytest.mark.parametrize("case", _rows(PY_CASES))
def test_python(case: Case, module_emulator: Emulator) -> None:
    import pwshcompat

    connect_python(module_emulator)
    before = len(module_emulator.requests)
    try:
        if "pipeline" in case.extra:
            pwshcompat.invoke_pipeline(CMD, case.extra["pipeline"], **case.call)
        else:
            pwshcompat.invoke(CMD, **case.call)
    except pwshcompat.PSError as exc:
        error: pwshcompat.PSError | None = exc
    else:
        error = None
    sent = module_emulator.requests[before:]
    if case.valid:
        assert error is None, error
        _check_sent_once(case, sent)
        return
    assert error is not None, "no error was raised"
    assert sent == [], "an invalid invocation sent a request"
    if case.terminating:
        assert isinstance(error, pwshcompat.TerminatingError)
    if case.error_id not in (None, ANY):
        assert error.error_id == case.error_id
    _check_error(case, error.fully_qualified_error_id, f"{error} {error.record.details_message or ''}")


@pytest.mark.parametrize("case", _rows(CLI_CASES))
def test_cli(case: Case, module_emulator: Emulator, tmp_path: Path) -> None:
    env = cli_env(module_emulator, module_emulator.issue_token(), tmp_path)
    before = len(module_emulator.requests)
    result = run_cli([CMD, *case.call], env)
    sent = module_emulator.requests[before:]
    if case.valid:
        assert result.returncode == 0, result.stderr
        _check_sent_once(case, sent)
        return
    assert result.returncode != 0, "an invalid invocation exited 0"
    assert sent == [], "an invalid invocation sent a request"
    assert result.stderr.strip(), "no error text on stderr"
    expected = case.fqid or (case.error_id if case.error_id != ANY else "")
    assert expected in result.stderr, result.stderr
    for needle in case.mentions:
        assert needle.lower() in result.stderr.lower(), result.stderr
