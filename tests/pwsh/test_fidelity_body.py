"""Request bodies as the original writes them (issue 13.6-13.10), for every presence cmdlet that
sends one, in real pwsh against the emulator. Each expected body text is the original's, written
out here from original-observed.md ("Body"), not computed by the code under test:

* 13.6  a known string member given ``$null`` inside -BodyParameter is sent as ``""``;
* 13.7  a known string member given an array or a [pscustomobject] is sent as its
        ``Convert.ToString`` text, ``"System.Object[]"`` or ``"@{a=1}"``;
* 13.8  -AdditionalProperties values: DateTime of each kind, DateTimeOffset, ``[float]0.1``,
        ``-0.0``, [pscustomobject], ``byte[]``, a generic dictionary, nested hashtables, a TimeSpan;
* 13.9  ``expirationDuration = (New-TimeSpan -Hours 1)`` (a PSObject-wrapped TimeSpan, also through
        a variable) is dropped, with a warning; ``[TimeSpan]::FromHours(1)`` is sent as ``PT1H``;
* 13.10 arrays on one line (``[ 1, 2, 3 ]``, ``[ ]``), ``<>&'`` escaped as ``\\u003c``...

All cases run in one pwsh process (TZ=UTC and the invariant culture, as the original was observed);
each request is matched by its ``x-case`` header.
"""

from __future__ import annotations

import json
from typing import Any, Iterator

import pytest

from pwshcompat import spec as specs
from tests.family_rows import USER

# -AdditionalProperties @{ x = <PowerShell value> } -> the original's text for member "x".
ADDITIONAL: dict[str, tuple[str, str]] = {
    "datetime-unspecified": ("[datetime]'2024-01-02T03:04:05'", '"2024-01-02T03:04:05Z"'),
    "datetime-utc": ("[datetime]::new(2024, 1, 2, 3, 4, 5, [DateTimeKind]::Utc)", '"2024-01-02T03:04:05Z"'),
    "datetime-local": ("[datetime]::new(2024, 1, 2, 3, 4, 5, [DateTimeKind]::Local)", '"2024-01-02T03:04:05Z"'),
    "datetimeoffset": ("[DateTimeOffset]::new(2024, 1, 2, 3, 4, 5, [TimeSpan]::FromHours(2))",
                       '"01/02/2024 03:04:05 +02:00"'),
    "float": ("[float]0.1", "0.1"),
    "negative-zero": ("-0.0", "0"),
    "pscustomobject": ("[pscustomobject]@{ a = 1; b = 'x' }", '"@{a=1; b=x}"'),
    "bytes": ("[byte[]](1, 2, 3)", '"AQID"'),
    "generic-dictionary": ("$generic", '[ "[k, 1]" ]'),
    "hashtable": ("@{ y = @{ z = 1 } }", '{\n    "y": {\n      "z": 1\n    }\n  }'),
    "ordered": ("[ordered]@{ b = 1; a = 'two' }", '{\n    "b": 1,\n    "a": "two"\n  }'),
    "array": ("@(1, 2, 3)", "[ 1, 2, 3 ]"),
    "empty-array": ("@()", "[ ]"),
    "array-of-objects": ("@(@{ k = 1 })", '[\n    {\n      "k": 1\n    }\n  ]'),
    "escaped": ('"<a href=\'x\'>&</a>"', '"\\u003ca href=\\u0027x\\u0027\\u003e\\u0026\\u003c/a\\u003e"'),
    "timespan": ("(New-TimeSpan -Hours 1)", '"01:00:00"'),
}

# -BodyParameter member values for a known string member -> the original's text (13.6, 13.7).
STRING_MEMBER: dict[str, tuple[str, str]] = {
    "null": ("$null", '""'),
    "array": ("@(1, 2)", '"System.Object[]"'),
    "pscustomobject": ("[pscustomobject]@{ a = 1 }", '"@{a=1}"'),
    "number": ("5", '"5"'),
}


def _string_path(model_name: str, seen: tuple[str, ...] = ()) -> list[str] | None:
    """Wire names down to the first string member of a model (through nested models)."""
    m = specs.model(model_name)
    for p in m.properties:
        if p.type == "string" and not p.read_only:
            return [p.wire]
    for p in m.properties:
        if p.is_model and p.type not in seen:
            inner = _string_path(p.type, (*seen, model_name))
            if inner:
                return [p.wire, *inner]
    return None


def _duration(model_name: str) -> str | None:
    return next((p.wire for p in specs.model(model_name).properties if p.type == "duration"), None)


def _path_arguments(s: specs.CommandSpec, set_name: str) -> str:
    assert s.graph is not None
    op = s.graph.operation_for(set_name)
    return " ".join(f"-{p.parameter} '{USER}'" for p in s.graph.path_parameters if "{" + p.name + "}" in op.path)


def _nest(path: list[str], inner: str) -> str:
    for wire in reversed(path[1:]):
        inner = f"@{{ {wire} = {inner} }}"
    return f"@{{ {path[0]} = {inner} }}"


def _expected_nested(path: list[str], text: str) -> str:
    """The body text with ``text`` at ``path`` (each level one more two-space indent)."""
    out = text
    for depth in range(len(path) - 1, -1, -1):
        pad = "  " * (depth + 1)
        out = "{\n" + f'{pad}"{path[depth]}": {out}' + "\n" + "  " * depth + "}"
    return out


def cases() -> Iterator[dict[str, Any]]:
    for name in specs.names():
        s = specs.load(name)
        if s.graph is None:
            continue
        for set_name, op in s.graph.operations.items():
            if op.via_identity or op.body == "none" or s.graph.body_model is None:
                continue
            args = _path_arguments(s, set_name)
            if op.body == "whole":
                path = _string_path(s.graph.body_model)
                for key, (value, text) in STRING_MEMBER.items() if path else ():
                    yield {"id": f"{name}:{set_name}:string-{key}", "command": name,
                           "line": f"{args} -BodyParameter {_nest(path, value)}",
                           "body": _expected_nested(path, text), "warning": False}
                duration = _duration(s.graph.body_model)
                if duration:
                    for key, value in (("new-timespan", "(New-TimeSpan -Hours 1)"), ("variable", "$wrappedHour")):
                        yield {"id": f"{name}:{set_name}:duration-{key}", "command": name,
                               "line": f"{args} -BodyParameter @{{ {duration} = {value} }}",
                               "body": "{\n}", "warning": True}
                    yield {"id": f"{name}:{set_name}:duration-timespan", "command": name,
                           "line": f"{args} -BodyParameter @{{ {duration} = [TimeSpan]::FromHours(1) }}",
                           "body": f'{{\n  "{duration}": "PT1H"\n}}', "warning": False}
            elif s.graph.additional_properties_parameter:
                model = specs.model(s.graph.body_model)
                member = next(((param, model.property(prop).wire) for param, prop in s.graph.body_members.items()
                               if model.property(prop).type == "string"), None)
                if member:  # 13.6 for a member parameter: [string] -X $null is "" (PowerShell's binding)
                    yield {"id": f"{name}:{set_name}:string-parameter-null", "command": name,
                           "line": f"{args} -{member[0]} $null", "body": f'{{\n  "{member[1]}": ""\n}}', "warning": False}
                for key, (value, text) in ADDITIONAL.items():
                    yield {"id": f"{name}:{set_name}:additional-{key}", "command": name,
                           "line": f"{args} -AdditionalProperties @{{ x = {value} }}",
                           "body": f'{{\n  "x": {text}\n}}', "warning": False}


CASES = list(cases())

SCRIPT = r"""
Import-Module ./Microsoft.Graph.Beta.CloudCommunications.psd1
Import-Module ./Microsoft.Graph.CloudCommunications.psd1
Add-MgEnvironment -Name BodyFidelity -GraphEndpoint $args[0] -AzureADEndpoint https://login.microsoftonline.com | Out-Null
Connect-MgGraph -Environment BodyFidelity -AccessToken (ConvertTo-SecureString $args[1] -AsPlainText -Force) -NoWelcome
$generic = [System.Collections.Generic.Dictionary[string, int]]::new(); $generic['k'] = 1
$wrappedHour = New-TimeSpan -Hours 1
$results = [ordered]@{}
foreach ($case in (Get-Content -Raw $args[2] | ConvertFrom-Json)) {
    $warnings = $null; $errors = $null
    $call = [scriptblock]::Create("& '$($case.command)' $($case.line) -Headers @{ 'x-case' = '$($case.id)' } -WarningVariable +warnings -ErrorVariable +errors -WarningAction SilentlyContinue -ErrorAction SilentlyContinue")
    $null = . $call
    $results[$case.id] = [ordered]@{ warnings = @($warnings | ForEach-Object { "$_" }); errors = @($errors | ForEach-Object { "$_" }) }
}
$results | ConvertTo-Json -Depth 4 -Compress
"""


@pytest.fixture(scope="module")
def outcome(tmp_path_factory: Any) -> Any:
    from pwshcompat.emulator import Emulator
    from tests.conftest import run_pwsh

    path = tmp_path_factory.mktemp("body") / "cases.json"
    path.write_text(json.dumps(CASES), encoding="utf-8")
    mp = pytest.MonkeyPatch()
    mp.setenv("TZ", "UTC")
    mp.setenv("LANG", "C.UTF-8")
    mp.delenv("LC_ALL", raising=False)
    try:
        with Emulator() as emu:
            run = run_pwsh(SCRIPT, emu.graph_url, emu.issue_token(), str(path), timeout=600)
            assert run.returncode == 0, run.stderr
            yield json.loads(run.stdout.strip().splitlines()[-1]), list(emu.requests)
    finally:
        mp.undo()


def test_every_body_kind_is_covered() -> None:
    kinds = {c["id"].rsplit(":", 1)[1].split("-")[0] for c in CASES}
    assert kinds == {"string", "duration", "additional"}
    commands = {c["command"] for c in CASES}
    # Both modules, each cmdlet that sends a body: whole-body sets and expanded sets alike.
    assert "Set-MgBetaCommunicationPresenceUserPreferredPresence" in commands and "Set-MgUserPresence" in commands
    assert len(commands) >= 20


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_body_is_the_originals(outcome: Any, case: dict[str, Any]) -> None:
    results, requests = outcome
    got = results[case["id"]]
    sent = [r for r in requests if r.headers.get("x-case") == case["id"]]
    assert sent, f"no request for {case['id']}: {got}"
    assert sent[-1].body.decode("utf-8") == case["body"]
    assert sent[-1].headers["content-type"] == "application/json"
    if case["warning"]:
        (warning,) = got["warnings"]
        assert "wrapped in a PSObject" in warning and "not sent" in warning
    else:
        assert got["warnings"] == []


def test_deliberate_differences_refuse_or_warn_before_sending(emulator: Any, pwsh_json: Any) -> None:
    # README, "Where it deliberately differs": NaN is refused (the original writes invalid JSON), a
    # Get-Date value kept in a PSObject is dropped as the original drops it, but with a warning.
    script = r"""
Import-Module ./Microsoft.Graph.Beta.CloudCommunications.psd1
Add-MgEnvironment -Name Differences -GraphEndpoint $args[0] -AzureADEndpoint https://login.microsoftonline.com | Out-Null
Connect-MgGraph -Environment Differences -AccessToken (ConvertTo-SecureString $args[1] -AsPlainText -Force) -NoWelcome
$r = [ordered]@{}
Set-MgBetaCommunicationPresenceUserPreferredPresence -PresenceId u1 -Availability Busy -Activity Busy -AdditionalProperties @{ x = [double]::NaN } -ErrorVariable e -ErrorAction SilentlyContinue
$r.nan = @($e | ForEach-Object { $_.FullyQualifiedErrorId; "$($_.CategoryInfo.Category)" })
$status = @{ message = @{ content = 'hi'; contentType = 'text' }; publishedDateTime = (Get-Date) }
Set-MgBetaUserPresenceStatusMessage -UserId u2 -BodyParameter @{ statusMessage = $status } -WarningVariable w -WarningAction SilentlyContinue -ErrorAction SilentlyContinue
$r.warnings = @($w | ForEach-Object { "$_" })
$r | ConvertTo-Json -Compress
"""
    r = pwsh_json(script, emulator.graph_url, emulator.issue_token())
    assert r["nan"] == ["Microsoft.Graph.Beta.PowerShell.Cmdlets.SetMgBetaCommunicationPresenceUserPreferredPresence_SetExpanded",
                        "NotSpecified"]
    (warning,) = r["warnings"]
    assert "'publishedDateTime'" in warning and "wrapped in a PSObject" in warning and "not sent" in warning
    sent = [q for q in emulator.requests if "/u1/" in q.path or "/u2/" in q.path]
    assert len(sent) == 1 and "publishedDateTime" not in sent[0].body.decode()
    assert sent[0].json()["statusMessage"]["message"] == {"content": "hi", "contentType": "text"}
