"""Issue 13.13-13.15 (done in the host, tests/pwsh/test_error_origin.py for two cmdlets) checked for
the whole family, one pwsh process, the original's values (original-observed.md, "Binding"):

* ``-Confirm`` in a NonInteractive host: one non-terminating PSInvalidOperationException from the
  internal cmdlet (FQID its type), nothing sent;
* an identity without the path's id: a PipelineStoppedException record, then the terminating
  "InputObject has null value for InputObject.<Id>" (FQID the internal ``..ViaIdentity..`` type),
  pointing at the caller's line (not into the module) with the cmdlet's name as InvocationName.
"""

from __future__ import annotations

import json
from typing import Any, Iterator

import pytest

from pwshcompat import spec as specs


def cases() -> Iterator[dict[str, Any]]:
    for name in specs.names():
        s = specs.load(name)
        g = s.graph
        if g is None:
            continue
        if s.supports_should_process:
            set_name = s.default_parameter_set
            op = g.operation_for(set_name)
            args = " ".join(f"-{p.parameter} u1" for p in g.path_parameters if "{" + p.name + "}" in op.path)
            yield {"id": f"{name}:confirm", "command": name, "line": f"{name} {args} -Confirm",
                   "internal": g.internal_type_for(set_name)}
        via = [n for n, op in g.operations.items() if op.via_identity]
        if via:
            set_name = next((n for n in via if g.operations[n].body != "whole"), via[0])
            extra = " -BodyParameter @{}" if g.operations[set_name].body == "whole" else ""
            if g.operations[set_name].body == "expanded":
                extra = f" -{g.additional_properties_parameter} @{{}}"
            missing = g.path_parameters[0].identity_property
            other = "UserId" if missing != "UserId" else "PresenceId"
            yield {"id": f"{name}:no-id", "command": name, "line": f"{name} -InputObject @{{ {other} = 'u1' }}{extra}",
                   "internal": g.internal_type_for(set_name),
                   "message": f"InputObject has null value for InputObject.{missing}"}


CASES = list(cases())

SCRIPT = r"""
Import-Module ./Microsoft.Graph.Beta.CloudCommunications.psd1
Import-Module ./Microsoft.Graph.CloudCommunications.psd1
Add-MgEnvironment -Name Origin -GraphEndpoint $args[0] -AzureADEndpoint https://login.microsoftonline.com | Out-Null
Connect-MgGraph -Environment Origin -AccessToken (ConvertTo-SecureString $args[1] -AsPlainText -Force) -NoWelcome
$results = [ordered]@{}
foreach ($case in (Get-Content -Raw $args[2] | ConvertFrom-Json)) {
    $global:ErrorActionPreference = 'Continue'
    $ev = $null; $thrown = $null
    try { & ([scriptblock]::Create("$($case.line) -ErrorVariable +global:ev -ErrorAction SilentlyContinue")) } catch { $thrown = $_ }
    $results[$case.id] = [ordered]@{
        errors = @($global:ev | ForEach-Object {
            $record = if ($_ -is [System.Management.Automation.ErrorRecord]) { $_ } else { $_.ErrorRecord }
            , @($record.FullyQualifiedErrorId, $record.Exception.GetType().FullName, $record.Exception.Message) })
        thrown = if ($thrown) { [ordered]@{ fqid = $thrown.FullyQualifiedErrorId; message = $thrown.Exception.Message
                                            invocation = $thrown.InvocationInfo.InvocationName
                                            position = $thrown.InvocationInfo.PositionMessage } } else { $null }
    }
    $global:ev = $null
}
$results | ConvertTo-Json -Depth 5 -Compress
"""


@pytest.fixture(scope="module")
def outcome(tmp_path_factory: Any) -> Any:
    from pwshcompat.emulator import Emulator
    from tests.conftest import run_pwsh

    path = tmp_path_factory.mktemp("origin") / "cases.json"
    path.write_text(json.dumps(CASES), encoding="utf-8")
    with Emulator() as emu:
        run = run_pwsh(SCRIPT, emu.graph_url, emu.issue_token(), str(path), timeout=600)
        assert run.returncode == 0, run.stderr
        yield json.loads(run.stdout.strip().splitlines()[-1]), list(emu.requests)


def test_every_family_cmdlet_is_covered() -> None:
    assert sum(c["id"].endswith(":confirm") for c in CASES) >= 40
    assert sum(c["id"].endswith(":no-id") for c in CASES) >= 40


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_errors_come_from_the_callers_side_as_the_originals(outcome: Any, case: dict[str, Any]) -> None:
    results, requests = outcome
    got = results[case["id"]]
    assert not [r for r in requests if "/u1" in r.path]
    if case["id"].endswith(":confirm"):
        assert got["thrown"] is None
        ((fqid, exception, message),) = got["errors"]
        assert (fqid, exception) == (case["internal"], "System.Management.Automation.PSInvalidOperationException")
        assert "NonInteractive" in message
        return
    stopped, terminating = got["errors"]
    assert stopped[:2] == [case["internal"], "System.Management.Automation.PipelineStoppedException"]
    assert terminating[0] == case["internal"] and terminating[2] == case["message"]
    thrown = got["thrown"]
    assert (thrown["fqid"], thrown["message"], thrown["invocation"]) == (case["internal"], case["message"], case["command"])
    assert ".psm1" not in thrown["position"] and case["command"] in thrown["position"]
