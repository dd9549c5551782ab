"""-HttpPipelinePrepend / -HttpPipelineAppend run as in the original (issue 13.5), in real pwsh
against the emulator: each step gets a real ``HttpRequestMessage`` and ``$next``; what it adds goes
on the wire, for every parameter set of every presence cmdlet. The original's order is AutoRest's
HttpPipeline: prepend steps outside (the last given first), append steps just before the send, all
before the Graph client's handlers (authorization, client-request-id, retries), once per request.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.family_rows import FROM_JSON_PS, SCOPES, USER, rows, to_json

from .conftest import CONNECT

ROWS = rows()

SCRIPT = r"""
Import-Module ./Microsoft.Graph.Beta.CloudCommunications.psd1
Import-Module ./Microsoft.Graph.CloudCommunications.psd1
Add-MgEnvironment -Name Steps -GraphEndpoint $args[0] -AzureADEndpoint https://login.microsoftonline.com | Out-Null
Connect-MgGraph -Environment Steps -AccessToken (ConvertTo-SecureString $args[1] -AsPlainText -Force) -NoWelcome
""" + FROM_JSON_PS + r"""
$append = { param($req, $cb, $next) $req.Headers.Add('x-step', 'append'); $next.SendAsync($req, $cb) }
$prepend = { param($req, $cb, $next) $req.Headers.Add('x-seen-type', $req.GetType().FullName); $next.SendAsync($req, $cb) }
$results = [ordered]@{}
foreach ($row in (Get-Content -Raw $args[2] | ConvertFrom-Json -AsHashtable -DateKind String)) {
    $p = ConvertTo-Argument $row.parameters
    $p['Headers'] = @{ 'x-family-row' = $row.id }
    $rowErrors = $null
    $null = & $row.command @p -HttpPipelineAppend $append -HttpPipelinePrepend $prepend -ErrorAction SilentlyContinue -ErrorVariable rowErrors
    $results[$row.id] = @($rowErrors | ForEach-Object { $_.FullyQualifiedErrorId })
}
$results | ConvertTo-Json -Depth 4 -Compress
"""


@pytest.fixture(scope="module")
def outcome(tmp_path_factory: Any) -> Any:
    from pwshcompat.emulator import Emulator
    from tests.conftest import run_pwsh

    path = tmp_path_factory.mktemp("steps") / "rows.json"
    path.write_text(json.dumps([{"id": r.id, "command": r.command, "parameters": to_json(r.parameters)} for r in ROWS]),
                    encoding="utf-8")
    with Emulator() as emu:
        run = run_pwsh(SCRIPT, emu.graph_url, emu.issue_token(scp=SCOPES, oid=USER, expires_in=7200), str(path), timeout=600)
        assert run.returncode == 0, run.stderr
        yield json.loads(run.stdout.strip().splitlines()[-1]), list(emu.requests)


@pytest.mark.parametrize("row", ROWS, ids=[r.id for r in ROWS])
def test_every_parameter_set_runs_its_steps(outcome: Any, row: Any) -> None:
    results, requests = outcome
    sent = [r for r in requests if r.headers.get("x-family-row") == row.id]
    assert sent, results[row.id]
    assert all(r.headers.get("x-step") == "append" for r in sent)
    assert all(r.headers.get("x-seen-type") == "System.Net.Http.HttpRequestMessage" for r in sent)
    assert sent[-1].path == row.path and sent[-1].method == row.method


def test_order_request_and_response_as_the_original(emulator: Any, pwsh_json: Any) -> None:
    emulator.inject("503", path="*/setUserPreferredPresence", count=1, retry_after=0)
    script = CONNECT + r"""
$global:seen = [System.Collections.Generic.List[string]]::new()
function Step([string]$Name) {
    { param($req, $cb, $next)
      $global:seen.Add("$Name|$($req.Method)|$($req.RequestUri.AbsolutePath)|auth=$($req.Headers.Contains('Authorization'))|cid=$($req.Headers.Contains('client-request-id'))|mine=$($req.Headers.GetValues('x-mine'))|type=$($req.Content.Headers.ContentType)|body=$($req.Content.ReadAsStringAsync().Result.Length -gt 0)")
      $req.Headers.Add('x-order', $Name)
      $task = $next.SendAsync($req, $cb)
      $task.Result.Headers.Add("x-after-$Name", 'yes')
      $task }.GetNewClosure()
}
$r = [ordered]@{}
$r.passThru = & $cmd -PresenceId u1 -Availability Busy -Activity Busy -Headers @{ 'x-mine' = '1' } -PassThru -RHV rh `
    -HttpPipelinePrepend (Step 'A'), (Step 'B') -HttpPipelineAppend (Step 'C'), (Step 'D')
$r.seen = @($global:seen)
$r.after = @('A', 'B', 'C', 'D' | ForEach-Object { "$_=$($global:rh["x-after-$_"])" })
$shortCircuit = { param($req, $cb, $next)
    [System.Threading.Tasks.Task]::FromResult[System.Net.Http.HttpResponseMessage]([System.Net.Http.HttpResponseMessage]::new([System.Net.HttpStatusCode]::NoContent)) }
$r.shortCircuit = & $cmd -PresenceId u2 -Availability Busy -Activity Busy -PassThru -HttpPipelinePrepend $shortCircuit
& $cmd -PresenceId u3 -Availability Busy -Activity Busy -HttpPipelineAppend { param($req, $cb, $next) throw 'step broke' } -ErrorVariable ev -ErrorAction SilentlyContinue
$r.thrown = @($ev | ForEach-Object { $_.FullyQualifiedErrorId; "$($_.CategoryInfo.Category)"; $_.Exception.Message })
$r | ConvertTo-Json -Compress
"""
    r = pwsh_json(script, emulator.graph_url, emulator.issue_token())
    assert r["passThru"] is True
    # Each step once (the 503 is retried inside the client), the last prepend step first; none sees
    # the client's headers; each sees -Headers, the method, the path and the JSON body.
    path = "/beta/communications/presences/u1/microsoft.graph.setUserPreferredPresence"
    assert r["seen"] == [f"{n}|POST|{path}|auth=False|cid=False|mine=1|type=application/json|body=True" for n in "BACD"]
    assert r["after"] == ["A=yes", "B=yes", "C=yes", "D=yes"]
    sent = [q for q in emulator.requests if "/u1/" in q.path]
    assert len(sent) == 2 and [q.status for q in sent] == [503, 200]
    assert all(q.headers.get("x-order") == "B, A, C, D" for q in sent)
    assert r["shortCircuit"] is True and not [q for q in emulator.requests if "/u2/" in q.path]
    assert r["thrown"] == ["Microsoft.Graph.Beta.PowerShell.Cmdlets.SetMgBetaCommunicationPresenceUserPreferredPresence_SetExpanded",
                           "NotSpecified", "step broke"]
    assert not [q for q in emulator.requests if "/u3/" in q.path]
