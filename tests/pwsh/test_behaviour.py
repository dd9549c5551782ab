"""The generated cmdlet in real pwsh against the emulator: ShouldProcess, -PassThru,
-ResponseHeadersVariable, service and identity errors, and the common parameters
(cmdlet-semantics.md sections 6-9)."""

from __future__ import annotations

from .conftest import CONNECT

INTERNAL = "Microsoft.Graph.Beta.PowerShell.Cmdlets.SetMgBetaCommunicationPresenceUserPreferredPresence_"
TARGET = "Call remote 'POST /communications/presences/{presence-id}/microsoft.graph.setUserPreferredPresence' operation"


def test_whatif_and_confirm_name_the_internal_command_and_send_nothing(emulator, pwsh):
    # "What if:" text goes straight to the host, so it is read from pwsh's stdout.
    script = CONNECT + """
& $cmd -PresenceId u1 -Availability Busy -Activity Busy -WhatIf
@{ PresenceId = 'u1' } | & $cmd -BodyParameter @{ availability = 'Away'; activity = 'Away' } -WhatIf
"whatIfOutput=$(@(& $cmd -PresenceId u1 -Availability Busy -Activity Busy -PassThru -WhatIf).Count)"
# ConfirmImpact is Medium: with $ConfirmPreference = 'Medium' it would prompt; -Confirm:$false must not.
$ConfirmPreference = 'Medium'
"confirmFalse=$(& $cmd -PresenceId u2 -Availability Busy -Activity Busy -PassThru -Confirm:$false)"
"""
    result = pwsh(script, emulator.graph_url, emulator.issue_token())
    assert result.returncode == 0, result.stderr
    lines = [line.strip() for line in result.stdout.splitlines() if line.strip()]
    operation = "Set-MgBetaCommunicationPresenceUserPreferredPresence"
    assert lines == [
        f'What if: Performing the operation "{operation}_SetExpanded" on target "{TARGET}".',
        f'What if: Performing the operation "{operation}_SetViaIdentity" on target "{TARGET}".',
        f'What if: Performing the operation "{operation}_SetExpanded" on target "{TARGET}".',
        "whatIfOutput=0",
        "confirmFalse=True",
    ]
    assert [req.path.split("/")[4] for req in emulator.requests if "presences" in req.path] == ["u2"]


def test_passthru_is_a_containskey_test_and_writes_one_bool(emulator, pwsh_json):
    script = CONNECT + """
$r = [ordered]@{}
$r.passThru = Capture { & $cmd -PresenceId u1 -Availability Busy -Activity Busy -PassThru }
$r.passThruFalse = Capture { & $cmd -PresenceId u1 -Availability Busy -Activity Busy -PassThru:$false }
$r.none = Capture { & $cmd -PresenceId u1 -Availability Busy -Activity Busy }
$r | ConvertTo-Json -Compress -Depth 6
"""
    r = pwsh_json(script, emulator.graph_url, emulator.issue_token())
    assert r["passThru"]["output"] == [{"type": "System.Boolean", "value": "True"}]
    assert r["passThruFalse"]["output"] == [{"type": "System.Boolean", "value": "True"}]
    assert r["none"]["output"] == []
    assert all(not r[k]["errors"] and r[k]["thrown"] is None for k in r)


def test_response_headers_variable_is_global_case_insensitive_and_kept_on_failure(emulator, pwsh_json):
    script = CONNECT + """
function Invoke-InChildScope { & $cmd -PresenceId u1 -Availability Busy -Activity Busy -RHV hdrs }
Invoke-InChildScope
$r = [ordered]@{}
$r.type = $global:hdrs.GetType().FullName
$r.valueType = $global:hdrs['Content-Length'].GetType().FullName
$r.caseInsensitive = $null -ne $global:hdrs['CONTENT-LENGTH']
$r.length = @($global:hdrs['content-length'])[0]
$before = $global:hdrs
& $cmd -PresenceId u1 -Availability Busy -Activity Busy -ResponseHeadersVariable hdrs -Headers @{ 'Content-Type' = 'text/plain' } -ErrorAction SilentlyContinue
$r.unchangedOnError = [object]::ReferenceEquals($before, $global:hdrs)
$r | ConvertTo-Json -Compress
"""
    r = pwsh_json(script, emulator.graph_url, emulator.issue_token())
    assert r["type"].startswith("System.Collections.Generic.Dictionary`2[[System.String")
    assert "IEnumerable`1[[System.String" in r["type"]
    assert r["valueType"] == "System.String[]"
    assert r["caseInsensitive"] is True
    assert r["length"] == "0"
    assert r["unchangedOnError"] is True


def test_missing_presence_id_on_input_object_is_the_originals_terminating_error(emulator, pwsh_json):
    script = CONNECT + """
$r = [ordered]@{}
$r.expanded = Capture { & $cmd -InputObject @{ UserId = 'u1' } -Availability Busy -Activity Busy }
$r.body = Capture { @{ UserId = 'u1' } | & $cmd -BodyParameter '{"availability": "Busy", "activity": "Busy"}' }
$r | ConvertTo-Json -Compress -Depth 6
"""
    r = pwsh_json(script, emulator.graph_url, emulator.issue_token())
    for key, set_name in (("expanded", "SetViaIdentityExpanded"), ("body", "SetViaIdentity")):
        thrown = r[key]["thrown"]
        assert thrown is not None, r[key]
        assert thrown["fqid"] == INTERNAL + set_name
        assert thrown["category"] == "InvalidArgument"
        assert thrown["message"] == "InputObject has null value for InputObject.PresenceId"
    assert not [req for req in emulator.requests if "presences" in req.path]


def test_service_error_is_non_terminating_with_the_originals_id_and_details(emulator, pwsh_json):
    # Content-Type is a content header: the original fails before sending, non-terminating.
    # An unknown environment path gives a Graph error envelope from the service.
    script = CONNECT + """
$r = [ordered]@{}
$r.service = Capture { & $cmd -PresenceId u1 -Availability Busy -Activity Presenting; 'after' }
$r.stop = Capture { & $cmd -PresenceId u1 -Availability Busy -Activity Presenting -ErrorAction Stop; 'after' }
& $cmd -PresenceId u1 -Availability Busy -Activity Presenting -ErrorAction SilentlyContinue -ErrorVariable ev
$r.errorVariable = @($ev | ForEach-Object FullyQualifiedErrorId)
$r | ConvertTo-Json -Compress -Depth 6
"""
    r = pwsh_json(script, emulator.graph_url, emulator.issue_token())
    service = r["service"]
    assert service["thrown"] is None
    assert service["output"] == [{"type": "System.String", "value": "after"}]
    (error,) = service["errors"]
    code = error["fqid"].split(",")[0]
    assert code and error["fqid"] == f"{code},{INTERNAL}SetExpanded"
    assert error["category"] == "InvalidOperation"
    assert error["message"].startswith(f"[{code}] : ")
    assert error["activity"] == "Set-MgBetaCommunicationPresenceUserPreferredPresence_SetExpanded"
    assert error["details"], "ErrorDetails carries the Status/ErrorCode/Headers text"
    assert r["stop"]["thrown"]["fqid"] == error["fqid"]
    assert r["stop"]["output"] == []
    assert r["errorVariable"] == [error["fqid"]]


def test_verbose_debug_and_progress_action(emulator, pwsh_json):
    script = CONNECT + """
$r = [ordered]@{}
$r.debug = @(& $cmd -PresenceId u1 -Availability Busy -Activity Busy -Debug 5>&1 | ForEach-Object { "$_" })
$r.noDebug = @(& $cmd -PresenceId u1 -Availability Busy -Activity Busy 5>&1).Count
$r.verbose = @(& $cmd -PresenceId u1 -Availability Busy -Activity Busy -Verbose 4>&1 | ForEach-Object { "$_" })
$r.noVerbose = @(& $cmd -PresenceId u1 -Availability Busy -Activity Busy 4>&1).Count
$r.progress = & $cmd -PresenceId u1 -Availability Busy -Activity Busy -ProgressAction SilentlyContinue -PassThru
$r | ConvertTo-Json -Compress
"""
    r = pwsh_json(script, emulator.graph_url, emulator.issue_token())
    # The original's first debug line (cmdlet-semantics.md section 11), replayed from Python.
    assert r["debug"][0].startswith("[CmdletBeginProcessing]: - Set-MgBetaCommunicationPresenceUserPreferredPresence begin")
    assert r["noDebug"] == 0 and r["noVerbose"] == 0
    # With -Verbose, ShouldProcess reports the operation as it does for the original.
    assert r["verbose"] == [f'Performing the operation "Set-MgBetaCommunicationPresenceUserPreferredPresence_SetExpanded" '
                            f'on target "{TARGET}".']
    assert r["progress"] is True


def test_piped_hashtable_binds_to_headers_and_model_casts_keep_the_raw_value(emulator, pwsh_json):
    # PowerShell's binder, given the original's metadata, binds a piped hashtable to -Headers (an
    # IDictionary needs no conversion) and to -InputObject: original-observed.md, "Binding".
    script = CONNECT + """
$r = [ordered]@{}
$r.piped = @{ PresenceId = 'u1' } | & $cmd -Availability Busy -Activity Busy -PassThru
$identity = [Microsoft.Graph.Beta.PowerShell.Models.ICloudCommunicationsIdentity]@{ PresenceId = 'cast1' }
$r.castType = $identity.GetType().FullName
$r.cast = & $cmd -InputObject $identity -Availability Away -Activity Away -PassThru
$r.json = & $cmd -InputObject @{ PresenceId = 'json1' } -BodyParameter '{"availability": "Busy", "activity": "Busy"}' -PassThru
$r | ConvertTo-Json -Compress
"""
    r = pwsh_json(script, emulator.graph_url, emulator.issue_token())
    assert r["piped"] is True and r["cast"] is True and r["json"] is True
    assert r["castType"] == "Microsoft.Graph.Beta.PowerShell.Models.CloudCommunicationsIdentity"
    posts = [req for req in emulator.requests if "presences" in req.path]
    assert [p.path.split("/")[4] for p in posts] == ["u1", "cast1", "json1"]
    assert posts[0].headers.get("presenceid") == "u1"  # the piped hashtable was -Headers too
    assert posts[2].json() == {"availability": "Busy", "activity": "Busy"}


def test_host_text_is_information_tagged_pshost(emulator, pwsh_json):
    # Host text from Python (the device-code message) reaches pwsh as PSHOST-tagged information; the
    # welcome is output, as the original's WriteObject (auth-and-pain.md A.4), so Out-Null silences it.
    script = """
Import-Module ./Microsoft.Graph.Beta.CloudCommunications.psd1
Add-MgEnvironment -Name Welcome -GraphEndpoint $args[0] -AzureADEndpoint https://login.microsoftonline.com | Out-Null
$all = @(Connect-MgGraph -Environment Welcome -AccessToken (ConvertTo-SecureString $args[1] -AsPlainText -Force) 6>&1)
$quiet = @(Connect-MgGraph -Environment Welcome -AccessToken (ConvertTo-SecureString $args[1] -AsPlainText -Force) -NoWelcome 6>&1)
$code = @(Connect-MgGraph -Environment Emulator -Scopes Presence.Read -UseDeviceCode -ContextScope Process -NoWelcome 6>&1)
[ordered]@{ welcome = @($all | ForEach-Object { $_.GetType().Name }); text = "$($all[0])"; quiet = $quiet.Count
            code = @($code | ForEach-Object { $_.GetType().Name }); tags = @($code | ForEach-Object { $_.Tags }) | Select-Object -Unique
            codeText = "$($code[0])" } | ConvertTo-Json -Compress
"""
    r = pwsh_json(script, emulator.graph_url, emulator.issue_token())
    assert r["welcome"] == ["String"] and r["text"].startswith("Welcome to Microsoft Graph!")
    assert r["quiet"] == 0
    assert r["code"] == ["InformationRecord"] and r["tags"] == "PSHOST"
    assert "code" in r["codeText"].lower() and "local emulator" in r["codeText"]


def test_authentication_cmdlet_errors_name_the_originals_cmdlet_type(emulator, pwsh_json):
    # Microsoft.Graph.Authentication's commands are compiled cmdlets in the original, so their
    # errors end with e.g. Microsoft.Graph.PowerShell.Authentication.Cmdlets.InvokeMgGraphRequest.
    script = CONNECT + """
Capture { Invoke-MgGraphRequest -Method GET -Uri /beta/me -InputFilePath ./no-such-file.json } | ConvertTo-Json -Compress -Depth 5
"""
    r = pwsh_json(script, emulator.graph_url, emulator.issue_token())
    thrown = r["thrown"]
    assert thrown["fqid"].endswith(",Microsoft.Graph.PowerShell.Authentication.Cmdlets.InvokeMgGraphRequest")
    assert thrown["command"] == "Invoke-MgGraphRequest"


def test_not_connected_is_a_non_terminating_error_without_an_error_id(pwsh_json):
    # ErrorRecord(ex, string.Empty, NotSpecified, null) from the internal cmdlet: the id is just the type.
    script = """
Import-Module ./Microsoft.Graph.Beta.CloudCommunications.psd1
Disconnect-MgGraph -ErrorAction SilentlyContinue | Out-Null
Capture { Set-MgBetaCommunicationPresenceUserPreferredPresence -PresenceId u1 -Availability Busy -Activity Busy; 'after' } | ConvertTo-Json -Compress -Depth 5
"""
    r = pwsh_json(script)
    assert r["thrown"] is None and r["output"] == [{"type": "System.String", "value": "after"}]
    (error,) = r["errors"]
    assert error["fqid"] == INTERNAL + "SetExpanded"
    assert error["category"] == "NotSpecified"
    assert error["message"] == "Authentication needed. Please call Connect-MgGraph."
