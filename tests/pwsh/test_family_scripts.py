"""Realistic scripts that mix the presence family, run unchanged in real pwsh with the modules
installed by name (scripts/install-module), against the emulator; and the model types as the
original's (issue 13.22): casts from hashtables, typed settable properties, ::new(), New-Object,
ToJsonString(), the identity with every identity property of the help pages."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import requests

from pwshcompat import spec

ROOT = Path(__file__).resolve().parents[2]
APP = "0c9d7a52-3b8e-4d61-a2f4-7e5b1c3d9a80"  # the emulator's default client id
USERS = ["3f0c1a2b-0001-4000-8000-000000000001", "3f0c1a2b-0002-4000-8000-000000000002",
         "3f0c1a2b-0003-4000-8000-000000000003"]

CONNECT = """
Add-MgEnvironment -Name Scripts -GraphEndpoint $env:FAMILY_GRAPH -AzureADEndpoint https://login.microsoftonline.com | Out-Null
Connect-MgGraph -Environment Scripts -AccessToken (ConvertTo-SecureString $env:FAMILY_TOKEN -AsPlainText -Force) -NoWelcome
"""


@pytest.fixture(scope="module")
def installed(tmp_path_factory: Any) -> Path:
    modules = tmp_path_factory.mktemp("modules")
    done = subprocess.run([str(ROOT / "scripts/install-module"), str(modules)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return modules


def run_script(installed: Path, emulator: Any, text: str, tmp_path: Path, *args: str) -> Any:
    """Run ``text`` as a script file from a folder outside the checkout, modules found by name only."""
    script = tmp_path / "script.ps1"
    script.write_text(text, encoding="utf-8")
    pwsh = shutil.which("pwsh") or str(Path.home() / ".dotnet/tools/pwsh")
    env = {**os.environ, "PSModulePath": f"{installed}{os.pathsep}{os.environ.get('PSModulePath', '')}",
           "FAMILY_GRAPH": emulator.graph_url, "FAMILY_TOKEN": emulator.issue_token(), "NO_COLOR": "1"}
    done = subprocess.run([pwsh, "-NoProfile", "-NonInteractive", "-File", str(script), *args], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"{done.stdout}\n{done.stderr}"
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_csv_driven_end_of_day_run(installed: Path, emulator: Any, tmp_path: Path) -> None:
    """Clear the app's session, then show every listed user as Offline/OffWork until tomorrow."""
    (tmp_path / "team.csv").write_text("UserId,Name\n" + "\n".join(f"{u},User {i}" for i, u in enumerate(USERS)) + "\n")
    token = emulator.issue_token()
    for user in USERS[:2]:  # two of them still have the app's presence session from the day
        started = requests.post(f"{emulator.graph_url}/v1.0/users/{user}/presence/setPresence", timeout=30,
                                headers={"Authorization": f"Bearer {token}"},
                                json={"sessionId": APP, "availability": "Busy", "activity": "InACall"})
        assert started.status_code == 200
    emulator.requests.clear()
    result = run_script(installed, emulator, """#Requires -Modules @{ ModuleName = 'Microsoft.Graph.Beta.CloudCommunications'; ModuleVersion = '2.0.0' }
$ErrorActionPreference = 'Stop'
""" + CONNECT + """
$report = foreach ($row in Import-Csv ./team.csv) {
    Clear-MgBetaUserPresence -UserId $row.UserId -SessionId $env:FAMILY_APP -ErrorAction SilentlyContinue -ErrorVariable clearFailed
    $ok = Set-MgBetaUserPresenceUserPreferredPresence -UserId $row.UserId -Availability Offline -Activity OffWork `
        -ExpirationDuration (New-TimeSpan -Hours 14) -PassThru
    [pscustomobject]@{ Name = $row.Name; Cleared = -not $clearFailed; Offline = $ok }
}
$report | ConvertTo-Json -Compress
""".replace("$env:FAMILY_APP", f"'{APP}'"), tmp_path)
    assert [(r["Name"], r["Cleared"], r["Offline"]) for r in result] == [
        ("User 0", True, True), ("User 1", True, True), ("User 2", False, True)]
    posts = [(r.method, r.path.split("/")[3], r.path.rsplit("/", 1)[-1], r.json()) for r in emulator.requests]
    assert posts[:2] == [("POST", USERS[0], "microsoft.graph.clearPresence", {"sessionId": APP}),
                         ("POST", USERS[0], "microsoft.graph.setUserPreferredPresence",
                          {"availability": "Offline", "activity": "OffWork", "expirationDuration": "PT14H"})]
    assert [p[2] for p in posts] == ["microsoft.graph.clearPresence", "microsoft.graph.setUserPreferredPresence"] * 3
    assert emulator.requests[4].status == 404  # the third user had no session to clear


def test_read_back_loop_with_all_and_the_v1_twin(installed: Path, emulator: Any, tmp_path: Path) -> None:
    """v1.0 module pinned with -MinimumVersion: set a preferred presence for each user with the v1.0
    twin of the seed, then read every presence back with -All (two per page) and per user."""
    for user in USERS:
        emulator.add_client_session(user)
    result = run_script(installed, emulator, """#Requires -Modules @{ ModuleName = 'Microsoft.Graph.Authentication'; ModuleVersion = '2.0.0' }
$ErrorActionPreference = 'Stop'
Import-Module Microsoft.Graph.CloudCommunications -MinimumVersion 2.0.0
""" + CONNECT + f"""
$ids = @('{USERS[0]}', '{USERS[1]}', '{USERS[2]}')
$set = foreach ($id in $ids) {{ Set-MgCommunicationPresenceUserPreferredPresence -PresenceId $id -Availability Busy -Activity Busy -PassThru }}
$all = @(Get-MgCommunicationPresence -All -PageSize 2)
$each = foreach ($id in $ids) {{ Get-MgUserPresence -UserId $id }}
[ordered]@{{
    set = $set; type = $all[0].GetType().FullName
    all = @($all | Sort-Object Id | ForEach-Object {{ "$($_.Id)=$($_.Availability)/$($_.Activity)" }})
    each = @($each | ForEach-Object {{ $_.Availability }})
    table = ($each | Format-Table | Out-String).Trim() -split "`r?`n" | Select-Object -First 1
    version = (Get-Module Microsoft.Graph.CloudCommunications).Version.ToString()
}} | ConvertTo-Json -Compress
""", tmp_path)
    assert result["set"] == [True, True, True] and result["version"] == "2.25.0"
    assert result["type"] == "Microsoft.Graph.PowerShell.Models.MicrosoftGraphPresence"
    assert result["all"] == [f"{u}=Busy/Busy" for u in sorted(USERS)]
    assert result["each"] == ["Busy"] * 3 and result["table"].split() == ["Id", "Activity", "Availability"]
    pages = [r.path for r in emulator.requests if r.method == "GET" and "/communications/presences" in r.path]
    assert pages[0] == "/v1.0/communications/presences?$top=2" and len(pages) == 2


def test_status_message_with_an_expiry_and_the_documentations_user_id_body_parameter_shape(
        installed: Path, emulator: Any, tmp_path: Path) -> None:
    user = USERS[0]
    emulator.add_client_session(user)
    result = run_script(installed, emulator, """$ErrorActionPreference = 'Stop'
Import-Module Microsoft.Graph.CloudCommunications
""" + CONNECT + f"""
$userId = '{user}'
# The shape of Microsoft's documentation snippets: -UserId with the whole body as a hashtable.
$params = @{{
    sessionId = '{APP}'
    availability = 'Available'
    activity = 'Available'
    expirationDuration = 'PT1H'
}}
Set-MgUserPresence -UserId $userId -BodyParameter $params
$until = (Get-Date).ToUniversalTime().AddHours(2).ToString('yyyy-MM-ddTHH:mm:ss')
Set-MgUserPresenceStatusMessage -UserId $userId -StatusMessage @{{
    Message = @{{ Content = 'Workshop until 3 pm'; ContentType = 'text' }}
    ExpiryDateTime = @{{ DateTime = $until; TimeZone = 'UTC' }}
}}
$presence = Get-MgUserPresence -UserId $userId
[ordered]@{{ text = $presence.StatusMessage.Message.Content; type = $presence.StatusMessage.GetType().Name
            until = $until; availability = $presence.Availability }} | ConvertTo-Json -Compress
""", tmp_path)
    assert result["text"] == "Workshop until 3 pm" and result["type"] == "MicrosoftGraphPresenceStatusMessage"
    set_presence, set_message = (r for r in emulator.requests if r.method == "POST")
    assert set_presence.path == f"/v1.0/users/{user}/presence/microsoft.graph.setPresence"
    assert set_presence.json() == {"sessionId": APP, "availability": "Available", "activity": "Available",
                                   "expirationDuration": "PT1H"}
    assert set_message.json() == {"statusMessage": {"message": {"content": "Workshop until 3 pm", "contentType": "text"},
                                                    "expiryDateTime": {"dateTime": result["until"], "timeZone": "UTC"}}}


def test_autoloading_in_foreach_object_parallel_runspaces(installed: Path, emulator: Any, tmp_path: Path) -> None:
    for user in USERS:
        emulator.add_client_session(user, "Away", "Away")
    result = run_script(installed, emulator, CONNECT + f"""
$ids = @('{USERS[0]}', '{USERS[1]}', '{USERS[2]}')
$read = $ids | ForEach-Object -Parallel {{ $p = Get-MgBetaUserPresence -UserId $_; "$($p.Id)=$($p.Availability)" }} -ThrottleLimit 3
@{{ read = @($read | Sort-Object) }} | ConvertTo-Json -Compress
""", tmp_path)
    assert result["read"] == [f"{u}=Away" for u in sorted(USERS)]


MODELS = r"""
$ErrorActionPreference = 'Stop'
Import-Module ./Microsoft.Graph.Beta.CloudCommunications.psd1
Import-Module ./Microsoft.Graph.CloudCommunications.psd1
Add-MgEnvironment -Name Models -GraphEndpoint $args[0] -AzureADEndpoint https://login.microsoftonline.com | Out-Null
Connect-MgGraph -Environment Models -AccessToken (ConvertTo-SecureString $args[1] -AsPlainText -Force) -NoWelcome
$r = [ordered]@{}
$identity = [Microsoft.Graph.Beta.PowerShell.Models.ICloudCommunicationsIdentity]@{ presenceid = 'u1'; UserId = 'u2' }
$r.identity = @($identity.PresenceId, $identity.UserId, $identity.GetType().FullName)
$r.identityJson = $identity.ToJsonString() | ConvertFrom-Json -AsHashtable
$r.betaIdentityProperties = @([Microsoft.Graph.Beta.PowerShell.Models.CloudCommunicationsIdentity].GetProperties().Name | Sort-Object)
$r.v1IdentityProperties = @([Microsoft.Graph.PowerShell.Models.CloudCommunicationsIdentity].GetProperties().Name | Sort-Object)
$presence = [Microsoft.Graph.Beta.PowerShell.Models.MicrosoftGraphPresence]::new()
$presence.Availability = 'Busy'
$presence.StatusMessage = @{ Message = @{ Content = 'hi'; ContentType = 'text' } }
$presence.OutOfOfficeSettings = New-Object Microsoft.Graph.Beta.PowerShell.Models.MicrosoftGraphOutOfOfficeSettings -Property @{ IsOutOfOffice = $true }
$presence.AdditionalProperties['extra'] = 1
$r.presence = @($presence.StatusMessage.GetType().Name, $presence.StatusMessage.Message.Content, $presence.OutOfOfficeSettings.IsOutOfOffice)
$r.presenceJson = $presence.ToJsonString() | ConvertFrom-Json -AsHashtable
$r.typedProperties = [ordered]@{}
foreach ($p in [Microsoft.Graph.Beta.PowerShell.Models.MicrosoftGraphPresence].GetProperties()) { $r.typedProperties[$p.Name] = "$($p.PropertyType.Name)|$($p.CanWrite)" }
$r.durationType = [Microsoft.Graph.PowerShell.Models.IPathsTrjrarUsersUserIdPresenceMicrosoftGraphSetuserpreferredpresencePostRequestbodyContentApplicationJsonSchema].GetProperty('ExpirationDuration').PropertyType.FullName
$body = [Microsoft.Graph.PowerShell.Models.PathsTrjrarUsersUserIdPresenceMicrosoftGraphSetuserpreferredpresencePostRequestbodyContentApplicationJsonSchema]::new()
$body.Availability = 'Away'; $body.Activity = 'Away'; $body.ExpirationDuration = New-TimeSpan -Minutes 90
$r.sent = Set-MgUserPresenceUserPreferredPresence -UserId 'u3' -BodyParameter $body -PassThru
$cast = [Microsoft.Graph.PowerShell.Models.IPathsTrjrarUsersUserIdPresenceMicrosoftGraphSetuserpreferredpresencePostRequestbodyContentApplicationJsonSchema]@{ availability = 'Busy'; activity = 'Busy' }
$cast.Activity = 'Busy'
$r.castSent = Set-MgUserPresenceUserPreferredPresence -UserId 'u4' -BodyParameter $cast -PassThru
$read = Get-MgBetaUserPresence -UserId 'u3'
$r.read = @($read.GetType().FullName, $read.Id, $read.AdditionalProperties.ContainsKey('@odata.context'))
$read.Availability = 'DoNotDisturb'
$r.readJson = $read.ToJsonString() | ConvertFrom-Json -AsHashtable
$r | ConvertTo-Json -Depth 6 -Compress
"""


def test_model_types_behave_as_the_originals(emulator: Any, pwsh: Any) -> None:
    done = pwsh(MODELS, emulator.graph_url, emulator.issue_token())
    assert done.returncode == 0, done.stderr
    r = json.loads(done.stdout.strip().splitlines()[-1])
    assert r["identity"] == ["u1", "u2", "Microsoft.Graph.Beta.PowerShell.Models.CloudCommunicationsIdentity"]
    assert r["identityJson"] == {"PresenceId": "u1", "UserId": "u2"}
    beta_pages = {p.name for n in spec.names() if (s := spec.load(n)).graph and s.module.endswith("Beta.CloudCommunications")
                  for p in s.graph.identity_properties}
    v1_pages = {p.name for n in spec.names() if (s := spec.load(n)).graph and s.module == "Microsoft.Graph.CloudCommunications"
                for p in s.graph.identity_properties}
    assert r["betaIdentityProperties"] == sorted(beta_pages) and "AdhocCallId" in beta_pages and len(beta_pages) == 25
    assert r["v1IdentityProperties"] == sorted(v1_pages) and len(v1_pages) == 19
    assert r["presence"] == ["MicrosoftGraphPresenceStatusMessage", "hi", True]
    assert r["presenceJson"] == {"extra": 1, "availability": "Busy", "outOfOfficeSettings": {"isOutOfOffice": True},
                                 "statusMessage": {"message": {"content": "hi", "contentType": "text"}}}
    assert r["typedProperties"]["Availability"] == "String|True"
    assert r["typedProperties"]["StatusMessage"] == "IMicrosoftGraphPresenceStatusMessage|True"
    assert r["durationType"].startswith("System.Nullable`1[[System.TimeSpan")
    assert r["sent"] is True and r["castSent"] is True
    sent = [q for q in emulator.requests if q.method == "POST"]
    assert sent[0].json() == {"availability": "Away", "activity": "Away", "expirationDuration": "PT1H30M"}
    assert sent[1].json() == {"availability": "Busy", "activity": "Busy"}
    assert r["read"] == ["Microsoft.Graph.Beta.PowerShell.Models.MicrosoftGraphPresence", "u3", True]
    assert r["readJson"]["availability"] == "DoNotDisturb" and r["readJson"]["id"] == "u3"


ADDITIONAL_PROPERTIES = r"""
$ErrorActionPreference = 'Stop'
Import-Module ./Microsoft.Graph.CloudCommunications.psd1
Add-MgEnvironment -Name Models -GraphEndpoint $args[0] -AzureADEndpoint https://login.microsoftonline.com | Out-Null
Connect-MgGraph -Environment Models -AccessToken (ConvertTo-SecureString $args[1] -AsPlainText -Force) -NoWelcome
$p = Get-MgUserPresence -UserId u1
$r = [ordered]@{}
$r.isDictionary = $p.AdditionalProperties -is [System.Collections.IDictionary]
$r.memberAccess = $p.AdditionalProperties.sequenceNumber
$r.json = ($p | ConvertTo-Json -Depth 3 | ConvertFrom-Json -AsHashtable).AdditionalProperties
$r.text = "$($p.AdditionalProperties)"
$p.AdditionalProperties.extra = 'x'
$r.set = $p.AdditionalProperties['extra']
$r | ConvertTo-Json -Depth 4 -Compress
"""


def test_additional_properties_is_a_dictionary_to_powershell_as_the_originals(emulator: Any, pwsh: Any) -> None:
    """The original's AdditionalProperties is a Dictionary<string, object>: PowerShell reads its keys as
    members, ConvertTo-Json writes an object (it wrote a list of Key/Value pairs, and the member read $null)."""
    done = pwsh(ADDITIONAL_PROPERTIES, emulator.graph_url, emulator.issue_token())
    assert done.returncode == 0, done.stderr
    r = json.loads(done.stdout.strip().splitlines()[-1])
    sequence = r["json"]["sequenceNumber"]
    assert r["isDictionary"] is True and sequence and r["memberAccess"] == sequence
    assert set(r["json"]) == {"@odata.context", "sequenceNumber"}
    assert r["text"] == "System.Collections.Generic.Dictionary`2[System.String,System.Object]"
    assert r["set"] == "x"


LONE_SURROGATE = r"""
$ErrorActionPreference = 'Stop'
Import-Module ./Microsoft.Graph.CloudCommunications.psd1
Add-MgEnvironment -Name Models -GraphEndpoint $args[0] -AzureADEndpoint https://login.microsoftonline.com | Out-Null
Connect-MgGraph -Environment Models -AccessToken (ConvertTo-SecureString $args[1] -AsPlainText -Force) -NoWelcome
$half = [string][char]0xD83D   # the first half of an emoji, as "😀".Substring(0, 1) gives it
$p = Get-MgUserPresence -UserId "a$half"
@{ id = $p.Id; escaped = [uri]::EscapeDataString("a$half") } | ConvertTo-Json -Compress
"""


def test_a_lone_surrogate_goes_out_as_dotnet_writes_it(emulator: Any, pwsh: Any) -> None:
    """Half a surrogate pair in a string: .NET escapes it as U+FFFD; it crashed the bridge with a .NET stack
    trace as the error message."""
    done = pwsh(LONE_SURROGATE, emulator.graph_url, emulator.issue_token())
    assert done.returncode == 0, done.stderr
    r = json.loads(done.stdout.strip().splitlines()[-1])
    assert r["escaped"] == "a%EF%BF%BD"
    (request,) = emulator.requests
    assert request.path == "/v1.0/users/a%EF%BF%BD/presence"
    assert r["id"] == "a\ufffd"
