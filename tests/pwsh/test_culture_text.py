"""A non-string value given to a string member of a request body is sent as ``Convert.ToString``
writes it, in the host's culture (brief K item 8): the original's model converter reads a string
member with ``GetValueForProperty(..., Convert.ToString)``, and ``Convert.ToString(object)`` formats
with ``CultureInfo.CurrentCulture``. A German session (LANG=de_DE.UTF-8) sends a ``[datetime]`` as
``02.01.2024 03:04:05`` and ``1.5`` as ``1,5``; the invariant culture's texts are pinned in
tests/pwsh/test_fidelity_body.py. Expected texts are .NET's de-DE formats, written out here.

Every cmdlet and parameter set that takes a whole body with a string member, in one real pwsh
against the emulator: the value as a hashtable member, and inside a model cast from a hashtable
(``[<model>]@{...}``), whose property then holds the same text. A ``[string]`` parameter
(``-Availability 1.5``) is PowerShell's own binding, which is culture-invariant: ``1.5``.
"""

from __future__ import annotations

import json
from typing import Any, Iterator

import pytest

from pwshcompat import spec as specs
from tests.pwsh.test_fidelity_body import _expected_nested, _nest, _path_arguments, _string_path

# PowerShell value -> its text in de-DE.
GERMAN = {
    "datetime": ("[datetime]::new(2024, 1, 2, 3, 4, 5)", "02.01.2024 03:04:05"),
    "get-date": ("(Get-Date -Year 2024 -Month 1 -Day 2 -Hour 3 -Minute 4 -Second 5)", "02.01.2024 03:04:05"),
    "double": ("1.5", "1,5"),
    "decimal": ("1.10d", "1,10"),
    "float": ("[float]0.25", "0,25"),
    "offset": ("[DateTimeOffset]::new(2024, 1, 2, 3, 4, 5, [TimeSpan]::FromHours(2))", "02.01.2024 03:04:05 +02:00"),
}


def cases() -> Iterator[dict[str, Any]]:
    for name in specs.names():
        s = specs.load(name)
        if s.graph is None or s.graph.body_model is None:
            continue
        for set_name, op in s.graph.operations.items():
            if op.via_identity or op.body != "whole":
                continue
            path = _string_path(s.graph.body_model)
            if not path:
                continue
            args = _path_arguments(s, set_name)
            for key, (value, text) in GERMAN.items():
                member = path[-1]
                yield {"id": f"{name}:{set_name}:{key}", "command": name, "model": None,
                       "line": f"{args} -BodyParameter {_nest(path, value)}",
                       "body": _expected_nested(path, json.dumps(text)), "property": None}
            if len(path) == 1:
                # A model cast from a hashtable, then changed (so its typed values cross, not the hashtable).
                model_class = f"{s.graph.namespace}.Models.{s.graph.body_model}"
                prop = next(p.name for p in specs.model(s.graph.body_model).properties if p.wire == path[0])
                yield {"id": f"{name}:{set_name}:model", "command": name, "model": model_class,
                       "member": path[0], "property": prop, "line": f"{args} -BodyParameter $model",
                       "body": '{\n  "x": 1,\n  "' + path[0] + '": "1,5"\n}'}


CASES = list(cases())

SCRIPT = r"""
Import-Module ./Microsoft.Graph.Beta.CloudCommunications.psd1
Import-Module ./Microsoft.Graph.CloudCommunications.psd1
Add-MgEnvironment -Name Culture -GraphEndpoint $args[0] -AzureADEndpoint https://login.microsoftonline.com | Out-Null
Connect-MgGraph -Environment Culture -AccessToken (ConvertTo-SecureString $args[1] -AsPlainText -Force) -NoWelcome
$results = [ordered]@{ culture = [cultureinfo]::CurrentCulture.Name }
foreach ($case in (Get-Content -Raw $args[2] | ConvertFrom-Json)) {
    $model = $null
    if ($case.model) {
        $model = [scriptblock]::Create("[$($case.model)]@{ $($case.member) = 1.5 }").Invoke()[0]
        $model.AdditionalProperties['x'] = 1
        $results["$($case.id):property"] = $model.($case.property)
    }
    $call = [scriptblock]::Create("param(`$model) & '$($case.command)' $($case.line) -Headers @{ 'x-case' = '$($case.id)' } -ErrorAction SilentlyContinue -WarningAction SilentlyContinue")
    $null = & $call $model
}
Set-MgBetaCommunicationPresenceUserPreferredPresence -PresenceId u1 -Availability 1.5 -Activity ([datetime]::new(2024, 1, 2, 3, 4, 5)) -Headers @{ 'x-case' = 'parameters' } -ErrorAction SilentlyContinue
$results | ConvertTo-Json -Compress
"""


@pytest.fixture(scope="module")
def outcome(tmp_path_factory: Any) -> Any:
    from pwshcompat.emulator import Emulator
    from tests.conftest import run_pwsh

    path = tmp_path_factory.mktemp("culture") / "cases.json"
    path.write_text(json.dumps(CASES), encoding="utf-8")
    mp = pytest.MonkeyPatch()
    mp.setenv("TZ", "UTC")
    mp.setenv("LANG", "de_DE.UTF-8")
    mp.setenv("LC_ALL", "de_DE.UTF-8")
    try:
        with Emulator() as emu:
            run = run_pwsh(SCRIPT, emu.graph_url, emu.issue_token(), str(path), timeout=600)
            assert run.returncode == 0, run.stderr
            yield json.loads(run.stdout.strip().splitlines()[-1]), list(emu.requests)
    finally:
        mp.undo()


def test_the_session_is_german_and_every_kind_is_covered(outcome: Any) -> None:
    results, _ = outcome
    assert results["culture"] == "de-DE"
    assert {c["command"] for c in CASES} >= {"Set-MgBetaCommunicationPresenceUserPreferredPresence", "Set-MgUserPresence",
                                            "Set-MgBetaUserPresenceStatusMessage", "New-MgCommunicationPresence"}
    assert any(c["model"] for c in CASES)


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_a_string_member_is_sent_in_the_hosts_culture(outcome: Any, case: dict[str, Any]) -> None:
    results, requests = outcome
    sent = [r for r in requests if r.headers.get("x-case") == case["id"]]
    assert sent, f"no request for {case['id']}"
    assert sent[-1].body.decode("utf-8") == case["body"]
    if case["model"]:
        assert results[f"{case['id']}:property"] == "1,5"


def test_a_string_parameter_is_powershells_invariant_binding(outcome: Any) -> None:
    _, requests = outcome
    (sent,) = [r for r in requests if r.headers.get("x-case") == "parameters"]
    assert sent.body.decode() == '{\n  "availability": "1.5",\n  "activity": "01/02/2024 03:04:05"\n}'
