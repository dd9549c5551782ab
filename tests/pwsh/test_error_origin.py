"""Errors look as the original's do from the caller's side (issue 13.13 to 13.15).

* ``-Confirm`` in a NonInteractive host: a non-terminating PSInvalidOperationException from the
  internal cmdlet, ``$?`` false, nothing sent;
* a terminating error points at the caller's line (``At <script>:N char:M``) with the cmdlet's
  name as InvocationName, not at a line inside the module;
* an identity without PresenceId: a non-terminating PipelineStoppedException, then the terminating
  error, so ``-ErrorVariable`` holds two records.
"""

from __future__ import annotations

from .conftest import CONNECT

INTERNAL = "Microsoft.Graph.Beta.PowerShell.Cmdlets.SetMgBetaCommunicationPresenceUserPreferredPresence_"


def test_confirm_in_a_non_interactive_host_is_a_non_terminating_error(emulator, pwsh_json):
    script = CONNECT + r"""
$r = [ordered]@{}
Set-MgBetaCommunicationPresenceUserPreferredPresence -PresenceId u1 -Availability Busy -Activity Busy -Confirm -ErrorVariable ev -ErrorAction SilentlyContinue
$r.succeeded = $?
$r.after = 'reached'
$r.errors = @($ev | ForEach-Object { [ordered]@{
    fqid = $_.FullyQualifiedErrorId; category = "$($_.CategoryInfo.Category)"; exception = $_.Exception.GetType().FullName
    message = $_.Exception.Message; activity = $_.CategoryInfo.Activity } })
$r | ConvertTo-Json -Compress -Depth 4
"""
    r = pwsh_json(script, emulator.graph_url, emulator.issue_token())
    assert r["succeeded"] is False and r["after"] == "reached"
    (error,) = r["errors"]
    assert error["fqid"] == INTERNAL + "SetExpanded"
    assert error["category"] == "NotSpecified"
    assert error["exception"] == "System.Management.Automation.PSInvalidOperationException"
    assert "NonInteractive" in error["message"]
    assert error["activity"] == "Set-MgBetaCommunicationPresenceUserPreferredPresence_SetExpanded"
    assert not [req for req in emulator.requests if "presences" in req.path]


def test_terminating_error_points_at_the_callers_line_and_names_the_cmdlet(emulator, pwsh_json):
    script = CONNECT + r"""
$r = [ordered]@{}
try {
    Set-MgBetaCommunicationPresenceUserPreferredPresence -InputObject @{ UserId = 'u1' } -Availability Busy -Activity Busy
} catch { $e = $_ }
$r.fqid = $e.FullyQualifiedErrorId
$r.invocationName = $e.InvocationInfo.InvocationName
$r.line = $e.InvocationInfo.ScriptLineNumber
$r.expectedLine = $e.InvocationInfo.ScriptName -eq $PSCommandPath
$r.position = $e.InvocationInfo.PositionMessage
$r.callerLine = (Get-Content $PSCommandPath | Select-String -SimpleMatch '-InputObject @{ UserId' | Select-Object -First 1).LineNumber
$r | ConvertTo-Json -Compress
"""
    r = pwsh_json(script, emulator.graph_url, emulator.issue_token())
    assert r["fqid"] == INTERNAL + "SetViaIdentityExpanded"
    assert r["invocationName"] == "Set-MgBetaCommunicationPresenceUserPreferredPresence"
    assert r["expectedLine"] is True and r["line"] == r["callerLine"]
    assert f":{r['callerLine']} char:" in r["position"].splitlines()[0]
    assert ".psm1" not in r["position"]


def test_identity_without_presence_id_writes_pipeline_stopped_then_the_terminating_error(emulator, pwsh_json):
    script = CONNECT + r"""
$r = [ordered]@{}
try {
    Set-MgBetaCommunicationPresenceUserPreferredPresence -InputObject @{ UserId = 'u1' } -Availability Busy -Activity Busy -ErrorVariable ev -ErrorAction Continue 2>$null
} catch { $r.thrown = $_.Exception.Message }
$r.count = $ev.Count
$r.records = @($ev | ForEach-Object {
    $record = if ($_ -is [System.Management.Automation.ErrorRecord]) { $_ } else { $_.ErrorRecord }
    '{0}|{1}|{2}' -f $record.Exception.GetType().FullName, $record.FullyQualifiedErrorId, $record.CategoryInfo.Category })
$r | ConvertTo-Json -Compress
"""
    r = pwsh_json(script, emulator.graph_url, emulator.issue_token())
    assert r["thrown"] == "InputObject has null value for InputObject.PresenceId"
    assert r["count"] == 2
    assert r["records"] == [
        f"System.Management.Automation.PipelineStoppedException|{INTERNAL}SetViaIdentityExpanded|NotSpecified",
        f"System.Exception|{INTERNAL}SetViaIdentityExpanded|InvalidArgument",
    ]
    assert not [req for req in emulator.requests if "presences" in req.path]
