"""Errors look as the original's do from the caller's side (issue 13.13 to 13.15), for the seed
cmdlet and for family cmdlets of the other module (the behaviour is the generic host's).

* ``-Confirm`` in a NonInteractive host: a non-terminating PSInvalidOperationException from the
  internal cmdlet, ``$?`` false, nothing sent;
* a terminating error points at the caller's line (``At <script>:N char:M``) with the cmdlet's
  name as InvocationName, not at a line inside the module;
* an identity without the path's id: a non-terminating PipelineStoppedException, then the
  terminating error, so ``-ErrorVariable`` holds two records.
"""

from __future__ import annotations

import pytest

from .conftest import CONNECT

BETA = "Microsoft.Graph.Beta.PowerShell.Cmdlets."
V1 = "Microsoft.Graph.PowerShell.Cmdlets."
IMPORT_V1 = "Import-Module ./Microsoft.Graph.CloudCommunications.psd1\n"

# (cmdlet, arguments naming one user, its parameter set, that set's internal type)
CONFIRM = [
    ("Set-MgBetaCommunicationPresenceUserPreferredPresence", "-PresenceId u1 -Availability Busy -Activity Busy",
     "SetExpanded", BETA + "SetMgBetaCommunicationPresenceUserPreferredPresence_SetExpanded"),
    ("Clear-MgUserPresenceLocation", "-UserId u1", "Clear", V1 + "ClearMgUserPresenceLocation_Clear"),
]
# (cmdlet, arguments with an identity that lacks the path's id, internal type, message)
NO_ID = [
    ("Set-MgBetaCommunicationPresenceUserPreferredPresence", "-InputObject @{ UserId = 'u1' } -Availability Busy -Activity Busy",
     BETA + "SetMgBetaCommunicationPresenceUserPreferredPresence_SetViaIdentityExpanded",
     "InputObject has null value for InputObject.PresenceId"),
    ("Get-MgUserPresence", "-InputObject @{ PresenceId = 'p1' }", V1 + "GetMgUserPresence_GetViaIdentity",
     "InputObject has null value for InputObject.UserId"),
]


@pytest.mark.parametrize("cmdlet, arguments, parameter_set, internal", CONFIRM, ids=[c[0] for c in CONFIRM])
def test_confirm_in_a_non_interactive_host_is_a_non_terminating_error(cmdlet, arguments, parameter_set, internal,
                                                                      emulator, pwsh_json):
    script = CONNECT + IMPORT_V1 + rf"""
$r = [ordered]@{{}}
{cmdlet} {arguments} -Confirm -ErrorVariable ev -ErrorAction SilentlyContinue
$r.succeeded = $?
$r.after = 'reached'
$r.errors = @($ev | ForEach-Object {{ [ordered]@{{
    fqid = $_.FullyQualifiedErrorId; category = "$($_.CategoryInfo.Category)"; exception = $_.Exception.GetType().FullName
    message = $_.Exception.Message; activity = $_.CategoryInfo.Activity }} }})
$r | ConvertTo-Json -Compress -Depth 4
"""
    r = pwsh_json(script, emulator.graph_url, emulator.issue_token())
    assert r["succeeded"] is False and r["after"] == "reached"
    (error,) = r["errors"]
    assert error["fqid"] == internal
    assert error["category"] == "NotSpecified"
    assert error["exception"] == "System.Management.Automation.PSInvalidOperationException"
    assert "NonInteractive" in error["message"]
    assert error["activity"] == f"{cmdlet}_{parameter_set}"
    assert emulator.requests == []


@pytest.mark.parametrize("cmdlet, arguments, internal, message", NO_ID, ids=[c[0] for c in NO_ID])
def test_terminating_error_points_at_the_callers_line_and_names_the_cmdlet(cmdlet, arguments, internal, message,
                                                                           emulator, pwsh_json):
    script = CONNECT + IMPORT_V1 + rf"""
$r = [ordered]@{{}}
try {{
    {cmdlet} {arguments} -ErrorAction Continue 2>$null
}} catch {{ $e = $_ }}
$r.fqid = $e.FullyQualifiedErrorId
$r.message = $e.Exception.Message
$r.invocationName = $e.InvocationInfo.InvocationName
$r.line = $e.InvocationInfo.ScriptLineNumber
$r.expectedFile = $e.InvocationInfo.ScriptName -eq $PSCommandPath
$r.position = $e.InvocationInfo.PositionMessage
$r.callerLine = (Get-Content $PSCommandPath | Select-String -SimpleMatch '{cmdlet} -InputObject' | Select-Object -First 1).LineNumber
$r | ConvertTo-Json -Compress
"""
    r = pwsh_json(script, emulator.graph_url, emulator.issue_token())
    assert (r["fqid"], r["message"]) == (internal, message)
    assert r["invocationName"] == cmdlet
    assert r["expectedFile"] is True and r["line"] == r["callerLine"]
    assert f":{r['callerLine']} char:" in r["position"].splitlines()[0]
    assert ".psm1" not in r["position"]


@pytest.mark.parametrize("cmdlet, arguments, internal, message", NO_ID, ids=[c[0] for c in NO_ID])
def test_identity_without_its_id_writes_pipeline_stopped_then_the_terminating_error(cmdlet, arguments, internal, message,
                                                                                    emulator, pwsh_json):
    script = CONNECT + IMPORT_V1 + rf"""
$r = [ordered]@{{}}
try {{
    {cmdlet} {arguments} -ErrorVariable ev -ErrorAction Continue 2>$null
}} catch {{ $r.thrown = $_.Exception.Message }}
$r.count = $ev.Count
$r.records = @($ev | ForEach-Object {{
    $record = if ($_ -is [System.Management.Automation.ErrorRecord]) {{ $_ }} else {{ $_.ErrorRecord }}
    '{{0}}|{{1}}|{{2}}' -f $record.Exception.GetType().FullName, $record.FullyQualifiedErrorId, $record.CategoryInfo.Category }})
$r | ConvertTo-Json -Compress
"""
    r = pwsh_json(script, emulator.graph_url, emulator.issue_token())
    assert r["thrown"] == message
    assert r["count"] == 2
    assert r["records"] == [
        f"System.Management.Automation.PipelineStoppedException|{internal}|NotSpecified",
        f"System.Exception|{internal}|InvalidArgument",
    ]
    assert emulator.requests == []
