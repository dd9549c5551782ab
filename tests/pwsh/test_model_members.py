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
