"""Binding as the original does it (issue 13.11, 13.12, 13.16), for every presence cmdlet with an
identity (-InputObject) or a whole body (-BodyParameter), in real pwsh against the emulator.
Expected ids, messages and exception types are the original's (original-observed.md, "Binding"):

* 13.11 ``-InputObject 'u1'`` or ``42``: ParameterArgumentValidationErrorNullNotAllowed, "Cannot
        bind argument to parameter 'InputObject' because it is null."; piped strings: one such
        error per item;
* 13.12 a [pscustomobject] for -InputObject or -BodyParameter: ParameterArgumentTransformationError
        (PowerShell's "Cannot convert the ... value of type PSCustomObject" text); piped, a
        [pscustomobject] or JSON text is not bound (InputObjectNotBound); a piped hashtable binds
        to both -InputObject and -Headers;
* 13.16 JSON -BodyParameter text with member names differing only in case: the original's
        converter cannot parse it, so PowerShell reports ParameterArgumentTransformationError
        (ParameterBindingArgumentTransformationException).
"""

from __future__ import annotations

import json
from typing import Any, Iterator

import pytest

from pwshcompat import spec as specs
from tests.family_rows import USER

NULL = "Cannot bind argument to parameter 'InputObject' because it is null."
NOT_BOUND = ("The input object cannot be bound to any parameters for the command either because the command does not "
             "take pipeline input or the input and its properties do not match any of the parameters that take "
             "pipeline input.")
TRANSFORMATION = "System.Management.Automation.ParameterBindingArgumentTransformationException"


def _cannot(parameter: str, text: str, source: str, target: str) -> str:
    return (f"Cannot process argument transformation on parameter '{parameter}'. Cannot convert the \"{text}\" value "
            f"of type \"{source}\" to type \"{target}\".")


def cases() -> Iterator[dict[str, Any]]:
    for name in specs.names():
        s = specs.load(name)
        if s.graph is None:
            continue
        g = s.graph
        fqid = f",{name}"  # binding errors name the function, as the original's proxy function
        via = [n for n, op in g.operations.items() if op.via_identity]
        if via:
            identity_type = s.parameter(g.identity_parameter or "InputObject").type
            props = [p.identity_property for p in g.path_parameters]
            # One via-identity set, pinned by its body parameter (if any), so piped input can only be the identity.
            set_name = next((n for n in via if g.operations[n].body == "expanded"), via[0])
            body = g.operations[set_name].body
            extra = {"whole": " -BodyParameter @{}", "expanded": f" -{g.additional_properties_parameter} @{{}}"}.get(body, "")
            pso_text = "@{" + "; ".join(f"{p}={USER}" for p in props) + "}"
            pso = "[pscustomobject]@{ " + "; ".join(f"{p} = '{USER}'" for p in props) + " }"
            hashtable = "@{ " + "; ".join(f"{p} = '{USER}'" for p in props) + " }"
            base = {"command": name}
            yield {**base, "id": f"{name}:input-string", "line": f"& '{name}' -InputObject 'u1'{extra}",
                   "thrown": ["ParameterArgumentValidationErrorNullNotAllowed" + fqid, NULL,
                              "System.Management.Automation.ParameterBindingValidationException"], "errors": []}
            yield {**base, "id": f"{name}:input-number", "line": f"& '{name}' -InputObject 42{extra}",
                   "thrown": ["ParameterArgumentValidationErrorNullNotAllowed" + fqid, NULL,
                              "System.Management.Automation.ParameterBindingValidationException"], "errors": []}
            yield {**base, "id": f"{name}:piped-strings", "line": f"'u1', 'u2' | & '{name}'{extra}",
                   "thrown": None, "errors": [["ParameterArgumentValidationErrorNullNotAllowed" + fqid, NULL]] * 2}
            yield {**base, "id": f"{name}:input-pscustomobject", "line": f"& '{name}' -InputObject ({pso}){extra}",
                   "thrown": ["ParameterArgumentTransformationError" + fqid,
                              _cannot("InputObject", pso_text, "System.Management.Automation.PSCustomObject", identity_type),
                              TRANSFORMATION], "errors": []}
            yield {**base, "id": f"{name}:piped-pscustomobject", "line": f"{pso} | & '{name}'{extra}",
                   "thrown": None, "errors": [["InputObjectNotBound" + fqid, NOT_BOUND]]}
            json_identity = json.dumps({p: USER for p in props}).replace("'", "''")
            yield {**base, "id": f"{name}:piped-json", "line": f"'{json_identity}' | & '{name}'{extra}",
                   "thrown": None, "errors": [["InputObjectNotBound" + fqid, NOT_BOUND]]}
            yield {**base, "id": f"{name}:piped-hashtable", "line": f"{hashtable} | & '{name}'{extra}",
                   "thrown": None, "errors": None, "request": {"path": USER, "headers": {p.lower(): USER for p in props}}}
        whole = [n for n, op in g.operations.items() if op.body == "whole" and not op.via_identity]
        if whole and g.body_model:
            body_type = s.parameter(g.body_parameter or "BodyParameter").type
            path = " ".join(f"-{p.parameter} '{USER}'" for p in g.path_parameters
                            if "{" + p.name + "}" in g.operations[whole[0]].path)
            member = specs.model(g.body_model).properties[0].wire
            yield {"command": name, "id": f"{name}:body-pscustomobject",
                   "line": f"& '{name}' {path} -BodyParameter ([pscustomobject]@{{ {member} = 'x' }})",
                   "thrown": ["ParameterArgumentTransformationError" + fqid,
                              _cannot("BodyParameter", f"@{{{member}=x}}", "System.Management.Automation.PSCustomObject",
                                      body_type), TRANSFORMATION], "errors": []}
            text = json.dumps({member: "x", member.upper(): "y"})
            yield {"command": name, "id": f"{name}:body-json-member-twice",
                   "line": f"& '{name}' {path} -BodyParameter '{text}'",
                   "thrown": ["ParameterArgumentTransformationError" + fqid,
                              _cannot("BodyParameter", text, "System.String", body_type), TRANSFORMATION], "errors": []}


CASES = list(cases())

SCRIPT = r"""
Import-Module ./Microsoft.Graph.Beta.CloudCommunications.psd1
Import-Module ./Microsoft.Graph.CloudCommunications.psd1
Add-MgEnvironment -Name BindingFidelity -GraphEndpoint $args[0] -AzureADEndpoint https://login.microsoftonline.com | Out-Null
Connect-MgGraph -Environment BindingFidelity -AccessToken (ConvertTo-SecureString $args[1] -AsPlainText -Force) -NoWelcome
$results = [ordered]@{}
foreach ($case in (Get-Content -Raw $args[2] | ConvertFrom-Json)) {
    $global:ErrorActionPreference = 'Continue'
    $all = @(); $thrown = $null
    try { $all = @(& ([scriptblock]::Create($case.line)) 2>&1 3>$null) } catch { $thrown = $_ }
    $results[$case.id] = [ordered]@{
        errors = @($all | Where-Object { $_ -is [System.Management.Automation.ErrorRecord] } |
                   ForEach-Object { , @($_.FullyQualifiedErrorId, $_.Exception.Message) })
        thrown = if ($thrown) { @($thrown.FullyQualifiedErrorId, $thrown.Exception.Message, $thrown.Exception.GetType().FullName) } else { $null }
    }
}
$results | ConvertTo-Json -Depth 5 -Compress
"""


@pytest.fixture(scope="module")
def outcome(tmp_path_factory: Any) -> Any:
    from pwshcompat.emulator import Emulator
    from tests.conftest import run_pwsh

    path = tmp_path_factory.mktemp("binding") / "cases.json"
    path.write_text(json.dumps(CASES), encoding="utf-8")
    with Emulator() as emu:
        run = run_pwsh(SCRIPT, emu.graph_url, emu.issue_token(), str(path), timeout=600)
        assert run.returncode == 0, run.stderr
        yield json.loads(run.stdout.strip().splitlines()[-1]), list(emu.requests)


def test_both_modules_and_every_identity_cmdlet_are_covered() -> None:
    commands = {c["command"] for c in CASES if c["id"].endswith(":input-string")}
    assert "Set-MgBetaCommunicationPresenceUserPreferredPresence" in commands and "Get-MgUserPresence" in commands
    assert len(commands) >= 40
    assert sum(c["id"].endswith(":body-json-member-twice") for c in CASES) >= 20


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_binding_is_the_originals(outcome: Any, case: dict[str, Any]) -> None:
    results, requests = outcome
    got = results[case["id"]]
    if "request" in case:
        # Bound to -InputObject (the path) and to -Headers (each identity key as a header).
        want = case["request"]
        mine = [r for r in requests if all(r.headers.get(k) == v for k, v in want["headers"].items())]
        assert mine and want["path"] in mine[-1].path, (got, [(r.path, r.headers) for r in requests[-3:]])
        return
    assert got["thrown"] == case["thrown"]
    assert [list(e) for e in got["errors"]] == case["errors"]
