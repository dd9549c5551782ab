"""Service errors as the original reports them (issue 13.17, 13.18), for every parameter set of
every presence cmdlet, in real pwsh against a recording server that answers as Graph, a gateway or
a broken service would (tests/reply_server.py). Expected values are the original's
(original-observed.md, "Errors"):

* 13.17 a Graph error: FQID ``<code>,<internal cmdlet type>``, InvalidOperation, InvocationName the
        cmdlet's name; TargetObject an
        object with the path value (or ``InputObject``, the identity), ``Headers`` and, when the
        operation sends one, ``body`` (the body model), shown by CategoryInfo as
        ``{ PresenceId = u1, Headers = ..., body = <model type> }``;
* 13.18 a body that is not JSON (text, HTML): NotSpecified, the internal type alone as FQID, a
        ``ParserException`` ("Expected '{' or '['. Was String: Bad."); an empty body or JSON
        without Graph's error: ``RestException`1``, "The server responded with a Request Error,
        Status: BadRequest" (Server Error for 5xx), the status name as error id;
* K.4   a body that starts with ``{`` and is not JSON fails in the original's JSON reader too:
        NotSpecified, its ParserException (or .NET's ArgumentException for a member given twice,
        System.Exception for an unknown escape), not ``RestException`1``.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from pwshcompat import spec as specs
from tests.family_rows import FROM_JSON_PS, rows, to_json

ROWS = rows()
FIRST_ROWS = list({r.command: r for r in reversed(ROWS)}.values())  # one set per cmdlet

# Reply kind -> (error id or None for the internal type alone, category, exception type, message);
# "{ns}" is the module's namespace. A body that starts as JSON and is not (brief K item 4) fails in
# the original's own JSON reader (AutoRest's JsonParser) just as text does.
PARSER = "{ns}.Runtime.Json.ParserException"
REST = "{ns}.Runtime.RestException`1"
NOT_GRAPH = {
    "text": (None, "NotSpecified", PARSER, "Expected '{' or '['. Was String: Bad."),
    "html": (None, "NotSpecified", PARSER, "Expected literal (number, boolean, or null). Was '<'."),
    "number": (None, "NotSpecified", PARSER, "Expected '{' or '['. Was Number: 500."),
    "cut-json": (None, "NotSpecified", PARSER, "Expected String while reading Expected field name). Was Eof: ."),
    "brace-text": (None, "NotSpecified", PARSER, "Expected Colon while reading field). Was String: timed."),
    "twice-json": (None, "NotSpecified", "System.ArgumentException",
                   "An item with the same key has already been added. Key: Code"),
    "bad-escape": (None, "NotSpecified", "System.Exception", "Unrecognized escape sequence '\\q'"),
    "empty": ("BadRequest", "InvalidOperation", REST, "The server responded with a Request Error, Status: BadRequest"),
    "empty-server": ("InternalServerError", "InvalidOperation", REST,
                     "The server responded with a Server Error, Status: InternalServerError"),
    "other-json": ("BadRequest", "InvalidOperation", REST, "The server responded with a Request Error, Status: BadRequest"),
    "other-json-server": ("BadGateway", "InvalidOperation", REST,
                          "The server responded with a Server Error, Status: BadGateway"),
}

CASES = ([{"id": f"{r.id}:graph", "command": r.command, "parameters": to_json(r.parameters), "reply": "graph"}
          for r in ROWS]
         + [{"id": f"{r.id}:{kind}", "command": r.command, "parameters": to_json(r.parameters), "reply": kind}
            for r in FIRST_ROWS for kind in NOT_GRAPH])
BY_ID = {r.id: r for r in ROWS}

SCRIPT = r"""
Import-Module ./Microsoft.Graph.Beta.CloudCommunications.psd1
Import-Module ./Microsoft.Graph.CloudCommunications.psd1
Add-MgEnvironment -Name Replies -GraphEndpoint $args[0] -AzureADEndpoint https://login.microsoftonline.com | Out-Null
Connect-MgGraph -Environment Replies -AccessToken (ConvertTo-SecureString 'not-checked' -AsPlainText -Force) -NoWelcome
""" + FROM_JSON_PS + r"""
$results = [ordered]@{}
foreach ($case in (Get-Content -Raw $args[1] | ConvertFrom-Json -AsHashtable -DateKind String)) {
    $p = ConvertTo-Argument $case.parameters
    $p['Headers'] = @{ 'x-reply' = $case.reply }
    $caseErrors = $null
    $out = @(& $case.command @p -ErrorAction SilentlyContinue -ErrorVariable caseErrors)
    $results[$case.id] = @($caseErrors | ForEach-Object { [ordered]@{
        fqid = $_.FullyQualifiedErrorId; category = "$($_.CategoryInfo.Category)"
        exception = "$($_.Exception.GetType().Namespace).$($_.Exception.GetType().Name)"
        message = $_.Exception.Message; details = $_.ErrorDetails.Message
        targetName = $_.CategoryInfo.TargetName; invocationName = $_.InvocationInfo.InvocationName
        members = if ($_.TargetObject) { , @($_.TargetObject.PSObject.Properties.Name) } else { $null }
        headers = if ($_.TargetObject) { $_.TargetObject.Headers['x-reply'] } else { $null }
        bodyType = if ($_.TargetObject.body) { $_.TargetObject.body.GetType().FullName } else { $null }
        identityType = if ($_.TargetObject.InputObject) { $_.TargetObject.InputObject.GetType().FullName } else { $null }
    } })
}
$results | ConvertTo-Json -Depth 6 -Compress
"""


@pytest.fixture(scope="module")
def outcome(tmp_path_factory: Any) -> Any:
    from tests.conftest import run_pwsh
    from tests.reply_server import ReplyServer

    path = tmp_path_factory.mktemp("errors") / "cases.json"
    path.write_text(json.dumps(CASES), encoding="utf-8")
    with ReplyServer() as server:
        run = run_pwsh(SCRIPT, server.url, str(path), timeout=600)
        assert run.returncode == 0, run.stderr
        return json.loads(run.stdout.strip().splitlines()[-1])


def _expected_members(row: Any) -> list[str]:
    g = specs.load(row.command).graph
    assert g is not None
    op = g.operation_for(row.parameter_set)
    if op.via_identity:
        path = [g.identity_parameter or "InputObject"]
    else:
        path = [p.parameter for p in g.path_parameters if "{" + p.name + "}" in op.path]
    return [*path, "Headers", *(["body"] if op.body != "none" else [])]


@pytest.mark.parametrize("row", ROWS, ids=[r.id for r in ROWS])
def test_a_graph_error_names_the_originals_target(outcome: Any, row: Any) -> None:
    (error,) = outcome[f"{row.id}:graph"]
    assert error["fqid"] == f"itemNotFound,{row.internal_type}"
    assert error["category"] == "InvalidOperation" and error["message"] == "[itemNotFound] : No presence for this id."
    assert error["invocationName"] == row.command
    members = _expected_members(row)
    assert error["members"] == members and error["headers"] == "graph"
    g = specs.load(row.command).graph
    assert g is not None
    body = f"{g.namespace}.Models.{g.body_model}" if "body" in members else None
    assert error["bodyType"] == body
    if members[0] == "InputObject":
        assert error["identityType"] == f"{g.namespace}.Models.CloudCommunicationsIdentity"
    expected_name = "{ " + ", ".join(
        f"{m} = " + {"Headers": "System.Collections.Hashtable", "body": body,
                     "InputObject": f"{g.namespace}.Models.CloudCommunicationsIdentity"}.get(m, "6e7b0b1c-8a1f-4f3e-9f1a-2b3c4d5e6f70")
        for m in members) + " }"
    assert error["targetName"] == expected_name


def test_the_seeds_target_reads_as_the_originals() -> None:
    # The original's CategoryInfo for the seed: { PresenceId = u1, Headers = , body = <model type> } (no -Headers).
    from pwshcompat.operation.responses import ErrorTarget

    class Body:
        type_name = ("Microsoft.Graph.Beta.PowerShell.Models."
                     "Paths16OmbuoCommunicationsPresencesPresenceIdMicrosoftGraphSetuserpreferredpresencePostRequestbodyContentApplicationJsonSchema")

    assert str(ErrorTarget({"PresenceId": "u1", "Headers": None, "body": Body()})) == (
        "{ PresenceId = u1, Headers = , body = " + Body.type_name + " }")


@pytest.mark.parametrize("case", [c for c in CASES if c["reply"] != "graph"], ids=lambda c: c["id"])
def test_an_error_that_is_not_graphs_is_reported_as_the_original(outcome: Any, case: dict[str, Any]) -> None:
    row = BY_ID[case["id"].rsplit(":", 1)[0]]
    error_id, category, exception, message = NOT_GRAPH[case["reply"]]
    (error,) = outcome[case["id"]]
    assert error["fqid"] == (f"{error_id},{row.internal_type}" if error_id else row.internal_type)
    namespace = specs.load(row.command).graph.namespace  # type: ignore[union-attr]
    assert (error["category"], error["exception"], error["message"]) == (category, exception.format(ns=namespace), message)
    if category == "NotSpecified":
        # No target, as the original's catch-all; our ErrorDetails add the status and the body.
        assert error["members"] is None
        assert "Status: " in error["details"] and "Body:" in error["details"]
    else:
        assert error["members"] == _expected_members(row) and error["details"] == message


# --- 13.19: -Debug with -WhatIf, and [CmdletException] before sending --------------------------------

WHAT_IF = [r for r in FIRST_ROWS if specs.load(r.command).supports_should_process]

DEBUG_SCRIPT = r"""
Import-Module ./Microsoft.Graph.Beta.CloudCommunications.psd1
Import-Module ./Microsoft.Graph.CloudCommunications.psd1
Add-MgEnvironment -Name Replies -GraphEndpoint $args[0] -AzureADEndpoint https://login.microsoftonline.com | Out-Null
Connect-MgGraph -Environment Replies -AccessToken (ConvertTo-SecureString 'not-checked' -AsPlainText -Force) -NoWelcome
""" + FROM_JSON_PS + r"""
$results = [ordered]@{}
foreach ($case in (Get-Content -Raw $args[1] | ConvertFrom-Json -AsHashtable -DateKind String)) {
    $p = ConvertTo-Argument $case.parameters
    $whatIf = @(& $case.command @p -WhatIf -Debug 5>&1 6>$null | ForEach-Object { "$_" })
    $p['Headers'] = @{ 'Content-Type' = 'text/plain' }  # refused before sending (a content header)
    $failed = @(& $case.command @p -Debug -ErrorAction SilentlyContinue 5>&1 | ForEach-Object { "$_" })
    $results[$case.id] = [ordered]@{ whatIf = $whatIf; failed = $failed }
}
$results | ConvertTo-Json -Depth 4 -Compress
"""


@pytest.fixture(scope="module")
def debug_outcome(tmp_path_factory: Any) -> Any:
    from tests.conftest import run_pwsh
    from tests.reply_server import ReplyServer

    path = tmp_path_factory.mktemp("debug") / "cases.json"
    path.write_text(json.dumps([{"id": r.id, "command": r.command, "parameters": to_json(r.parameters)} for r in WHAT_IF]),
                    encoding="utf-8")
    with ReplyServer() as server:
        run = run_pwsh(DEBUG_SCRIPT, server.url, str(path), timeout=600)
        assert run.returncode == 0, run.stderr
        return json.loads(run.stdout.strip().splitlines()[-1]), list(server.requests)


@pytest.mark.parametrize("row", WHAT_IF, ids=[r.id for r in WHAT_IF])
def test_debug_with_what_if_and_a_call_failing_before_it_sends(debug_outcome: Any, row: Any) -> None:
    results, requests = debug_outcome
    assert requests == [], "neither call sends anything"
    got = results[row.id]
    begin = f"[CmdletBeginProcessing]: - {row.command} begin processing with parameterSet '{row.parameter_set}'."
    auth = ["[Authentication]: - AuthType: 'UserProvidedAccessToken', TokenCredentialType: 'UserProvidedAccessToken', "
            "ContextScope: 'Process', AppName: ''.", "[Authentication]: - Scopes: []."]
    end = f"[CmdletEndProcessing]: - {row.command} end processing."
    assert got["whatIf"] == [begin, *auth, end]
    assert got["failed"][:3] == [begin, *auth] and got["failed"][-1] == end
    (exception,) = [line for line in got["failed"] if line.startswith("[CmdletException]")]
    assert exception.startswith("[CmdletException]: Received exception with message '")
    assert "Misused header name, 'Content-Type'." in exception


# --- K.3: the -Debug begin and end records once per invocation, not per piped record ---------------

PIPED = [next(r for r in ROWS if r.command == c and not specs.load(c).graph.operation_for(r.parameter_set).via_identity)  # type: ignore[union-attr]
         for c in dict.fromkeys(r.command for r in ROWS)]

PIPED_SCRIPT = r"""
Import-Module ./Microsoft.Graph.Beta.CloudCommunications.psd1
Import-Module ./Microsoft.Graph.CloudCommunications.psd1
Add-MgEnvironment -Name Replies -GraphEndpoint $args[0] -AzureADEndpoint https://login.microsoftonline.com | Out-Null
Connect-MgGraph -Environment Replies -AccessToken (ConvertTo-SecureString 'not-checked' -AsPlainText -Force) -NoWelcome
""" + FROM_JSON_PS + r"""
$results = [ordered]@{}
foreach ($case in (Get-Content -Raw $args[1] | ConvertFrom-Json -AsHashtable -DateKind String)) {
    $p = ConvertTo-Argument $case.parameters
    # Two records: each piped hashtable binds to -Headers (ValueFromPipeline in every set).
    $piped = @(@{ 'x-case' = "$($case.id):1" }, @{ 'x-case' = "$($case.id):2" } | & $case.command @p -Debug -ErrorAction SilentlyContinue 5>&1 6>$null |
        Where-Object { $_ -is [System.Management.Automation.DebugRecord] } | ForEach-Object { "$_" })
    $whatIf = @()
    if ((Get-Command $case.command).Parameters.ContainsKey('WhatIf')) {
        $whatIf = @(@{ 'x-case' = 'none' }, @{ 'x-case' = 'none' } | & $case.command @p -Debug -WhatIf 5>&1 6>$null |
            Where-Object { $_ -is [System.Management.Automation.DebugRecord] } | ForEach-Object { "$_" })
    }
    $results[$case.id] = [ordered]@{ piped = $piped; whatIf = $whatIf }
}
$results | ConvertTo-Json -Depth 4 -Compress
"""


@pytest.fixture(scope="module")
def piped_outcome(tmp_path_factory: Any) -> Any:
    from tests.conftest import run_pwsh
    from tests.reply_server import ReplyServer

    path = tmp_path_factory.mktemp("piped") / "cases.json"
    path.write_text(json.dumps([{"id": r.id, "command": r.command, "parameters": to_json(r.parameters)} for r in PIPED]),
                    encoding="utf-8")
    with ReplyServer() as server:
        run = run_pwsh(PIPED_SCRIPT, server.url, str(path), timeout=600)
        assert run.returncode == 0, run.stderr
        return json.loads(run.stdout.strip().splitlines()[-1]), list(server.requests)


@pytest.mark.parametrize("row", PIPED, ids=[r.id for r in PIPED])
def test_debug_begin_and_end_are_written_once_per_invocation(piped_outcome: Any, row: Any) -> None:
    # AutoRest's BeginProcessing/EndProcessing signal CmdletBeginProcessing/CmdletEndProcessing once;
    # ProcessRecord runs per piped record (and so does each request's dump).
    results, requests = piped_outcome
    got = results[row.id]
    assert [r.headers["x-case"] for r in requests if r.headers.get("x-case", "").startswith(row.id + ":")] == \
        [f"{row.id}:1", f"{row.id}:2"]
    begin = f"[CmdletBeginProcessing]: - {row.command} begin processing with parameterSet '{row.parameter_set}'."
    end = f"[CmdletEndProcessing]: - {row.command} end processing."
    for lines in (got["piped"], got["whatIf"]) if got["whatIf"] else (got["piped"],):
        assert lines[0] == begin and lines[1].startswith("[Authentication]: - AuthType: ")
        assert lines[2].startswith("[Authentication]: - Scopes: ") and lines[-1] == end
        assert lines.count(begin) == 1 and lines.count(end) == 1
        assert sum(line.startswith("[Authentication]") for line in lines) == 2
    assert sum("HTTP REQUEST" in line for line in got["piped"]) == 2
    assert not any(r.headers.get("x-case") == "none" for r in requests)
