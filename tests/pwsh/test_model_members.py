"""The model objects show PowerShell what the original's show (brief K item 2): no ``RawValue`` (nor
the bridge's Load/ToDictionary helpers) in Format-List, Get-Member, Export-Csv or ConvertTo-Json.
The original's models (AutoRest model classes) have their Graph properties, ``AdditionalProperties``
and ``ToJsonString()``; ``RawValue`` is pwshcompat's, read by the bridge through ``IRawModel``.

Every model class of both modules, made by ``::new()`` and by the converter (``[Model]@{...}``, the
way a caller hands one to -BodyParameter), in one real pwsh; then a converted model still reaches
Graph as the caller's hashtable would (the bridge still reads the raw value).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

SCRIPT = r"""
Import-Module ./Microsoft.Graph.Beta.CloudCommunications.psd1
Import-Module ./Microsoft.Graph.CloudCommunications.psd1
Add-MgEnvironment -Name Members -GraphEndpoint $args[0] -AzureADEndpoint https://login.microsoftonline.com | Out-Null
Connect-MgGraph -Environment Members -AccessToken (ConvertTo-SecureString $args[1] -AsPlainText -Force) -NoWelcome
$models = @([PwshCompat.Host.GraphModel].Assembly.GetTypes() | Where-Object {
    [PwshCompat.Host.IRawModel].IsAssignableFrom($_) -and -not $_.IsAbstract -and $_.IsPublic } | Sort-Object FullName)
$results = [ordered]@{}
foreach ($type in $models) {
    $made = if ([PwshCompat.Host.GraphModel].IsAssignableFrom($type)) {
        @($type::new(), ([System.Management.Automation.LanguagePrimitives]::ConvertTo(@{ id = 'u1'; extra = 1 }, $type)))
    } else {
        @([System.Management.Automation.LanguagePrimitives]::ConvertTo(@{ id = 'u1' }, $type))
    }
    $results[$type.FullName] = @(foreach ($m in $made) { [ordered]@{
        list = @(($m | Format-List * | Out-String -Width 400) -split "`n" | ForEach-Object { ($_ -split ':', 2)[0].Trim() } | Where-Object { $_ })
        members = @($m | Get-Member | ForEach-Object Name)
        csv = @(@($m | ConvertTo-Csv -NoTypeInformation) | Select-Object -First 1 | ForEach-Object { $_ -split ',' } | ForEach-Object { $_.Trim('"') })
        json = @(($m | ConvertTo-Json -Depth 2 -WarningAction SilentlyContinue | ConvertFrom-Json -AsHashtable).Keys)
    } })
}
$body = [Microsoft.Graph.Beta.PowerShell.Models.IPaths16OmbuoCommunicationsPresencesPresenceIdMicrosoftGraphSetuserpreferredpresencePostRequestbodyContentApplicationJsonSchema]@{ availability = 'Busy'; activity = 'Busy'; expirationDuration = 'PT1H'; note = 'kept' }
Set-MgBetaCommunicationPresenceUserPreferredPresence -PresenceId u1 -BodyParameter $body
$results | ConvertTo-Json -Depth 5 -Compress
"""

HIDDEN = {"RawValue", "Load", "LoadValues", "ToDictionary", "FromValues"}


@pytest.fixture(scope="module")
def outcome() -> Any:
    from pwshcompat.emulator import Emulator
    from tests.conftest import run_pwsh

    with Emulator() as emu:
        run = run_pwsh(SCRIPT, emu.graph_url, emu.issue_token())
        assert run.returncode == 0, run.stderr
        return json.loads(run.stdout.strip().splitlines()[-1]), list(emu.requests)


def test_no_model_shows_pwshcompats_own_members(outcome: Any) -> None:
    results, _ = outcome
    assert len(results) >= 40  # every Graph model of both modules, and the raw authentication types
    for type_name, made in results.items():
        for shown in made:
            for view in ("list", "members", "csv", "json"):
                assert not HIDDEN & set(shown[view]), f"{type_name} {view}: {shown[view]}"


def test_a_model_shows_its_graph_properties_and_the_originals_methods(outcome: Any) -> None:
    results, _ = outcome
    new, converted = results["Microsoft.Graph.Beta.PowerShell.Models.MicrosoftGraphPresence"]
    for shown in (new, converted):
        assert {"Availability", "Activity", "Id", "AdditionalProperties"} <= set(shown["list"])
        assert {"Availability", "AdditionalProperties", "ToJsonString"} <= set(shown["members"])
        assert {"Availability", "Activity", "Id"} <= set(shown["csv"]) and "Availability" in shown["json"]


def test_a_converted_model_still_crosses_as_the_callers_value(outcome: Any) -> None:
    _, requests = outcome
    (sent,) = [r for r in requests if r.path.endswith("/u1/microsoft.graph.setUserPreferredPresence")]
    assert sent.body.decode() == ('{\n  "note": "kept",\n  "availability": "Busy",\n  "activity": "Busy",\n'
                                  '  "expirationDuration": "PT1H"\n}')


NULLABLE_SCRIPT = r"""
Import-Module ./Microsoft.Graph.Beta.CloudCommunications.psd1
Import-Module ./Microsoft.Graph.CloudCommunications.psd1
Add-MgEnvironment -Name Members -GraphEndpoint $args[0] -AzureADEndpoint https://login.microsoftonline.com | Out-Null
Connect-MgGraph -Environment Members -AccessToken (ConvertTo-SecureString $args[1] -AsPlainText -Force) -NoWelcome
$unset = [ordered]@{}
foreach ($type in @([PwshCompat.Host.GraphModel].Assembly.GetTypes() | Where-Object {
        [PwshCompat.Host.GraphModel].IsAssignableFrom($_) -and -not $_.IsAbstract -and $_.IsPublic } | Sort-Object FullName)) {
    $made = $type::new()
    foreach ($p in $type.GetProperties() | Where-Object { [Nullable]::GetUnderlyingType($_.PropertyType) }) {
        $unset["$($type.FullName).$($p.Name)"] = if ($null -eq $made.($p.Name)) { 'null' } else { "$($made.($p.Name))" }
    }
}
$read = Get-MgUserPresence -UserId $args[2]
$given = [Microsoft.Graph.PowerShell.Models.MicrosoftGraphPresenceStatusMessage]@{ publishedDateTime = '2026-01-02T03:04:05Z' }
$body = [Microsoft.Graph.PowerShell.Models.IPaths1XdpsmjUsersUserIdPresenceMicrosoftGraphSetpresencePostRequestbodyContentApplicationJsonSchema]@{ expirationDuration = 'PT1H' }
[ordered]@{
    unset = $unset
    published = if ($null -eq $read.StatusMessage.PublishedDateTime) { 'null' } else { "$($read.StatusMessage.PublishedDateTime)" }
    message = $read.StatusMessage.Message.Content
    outOfOffice = "$($read.OutOfOfficeSettings.IsOutOfOffice.GetType().Name) $($read.OutOfOfficeSettings.IsOutOfOffice)"
    givenPublished = $given.PublishedDateTime.ToUniversalTime().ToString('o')
    givenDuration = "$($body.ExpirationDuration.GetType().Name) $($body.ExpirationDuration)"
} | ConvertTo-Json -Depth 3 -Compress
"""


def test_a_value_type_property_without_a_value_reads_as_null() -> None:
    """The original's models declare ``bool?``, ``DateTime?`` and ``TimeSpan?`` properties that are
    ``$null`` until set: another user's status message has no publishedDateTime (Graph leaves it out),
    and ``StatusMessage.PublishedDateTime`` read 01/01/0001, ``IsOutOfOffice`` ``$false``, on a new model."""
    from pwshcompat.emulator import Emulator
    from tests.conftest import run_pwsh

    with Emulator() as emu:
        user = "6e7b0b1c-8a1f-4f3e-9f1a-2b3c4d5e6f70"
        emu.add_client_session(user, "Busy", "InACall")
        emu.store.set_status_message(user, {"message": {"content": "Out today", "contentType": "text"}})
        run = run_pwsh(NULLABLE_SCRIPT, emu.graph_url, emu.issue_token(), user)
    assert run.returncode == 0, run.stderr
    shown = json.loads(run.stdout.strip().splitlines()[-1])
    assert len(shown["unset"]) >= 10 and "Microsoft.Graph.PowerShell.Models.MicrosoftGraphPresenceStatusMessage.PublishedDateTime" in shown["unset"]
    assert {k: v for k, v in shown["unset"].items() if v != "null"} == {}
    assert (shown["published"], shown["message"]) == ("null", "Out today")
    assert shown["outOfOffice"] == "Boolean False"  # a value Graph sent still reads as itself
    assert shown["givenPublished"] == "2026-01-02T03:04:05.0000000Z"
    assert shown["givenDuration"] == "TimeSpan 01:00:00"
