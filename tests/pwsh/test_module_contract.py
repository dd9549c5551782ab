"""The module as a package: generated files are current, manifests are exact and clean, the
metadata matches the help page's SYNTAX, help and tab completion work. One pwsh process."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from pwshcompat import spec as specs

ROOT = Path(__file__).resolve().parents[2]
HELP_PAGE = ROOT.parent / "shared" / "seeds" / f"{'Set-MgBetaCommunicationPresenceUserPreferredPresence'}.md"
NAME = "Set-MgBetaCommunicationPresenceUserPreferredPresence"

SCRIPT = r"""
$r = [ordered]@{}
foreach ($m in './Microsoft.Graph.Beta.CloudCommunications.psd1', './module/Microsoft.Graph.Authentication/Microsoft.Graph.Authentication.psd1') {
    $warnings = $null
    $t = Test-ModuleManifest $m -ErrorAction Stop -WarningVariable warnings -WarningAction SilentlyContinue
    $r[$t.Name] = [ordered]@{ guid = "$($t.Guid)"; version = "$($t.Version)"; editions = @($t.CompatiblePSEditions)
        psVersion = "$($t.PowerShellVersion)"; functions = @($t.ExportedFunctions.Keys | Sort-Object)
        aliases = @($t.ExportedAliases.Keys | Sort-Object); cmdlets = @($t.ExportedCmdlets.Keys); warnings = @($warnings | ForEach-Object { "$_" })
        psdata = $t.PrivateData.PSData.Keys -contains 'Tags' }
}
Import-Module ./Microsoft.Graph.Beta.CloudCommunications.psd1
$cmd = Get-Command Set-MgBetaCommunicationPresenceUserPreferredPresence
$r.commandType = "$($cmd.CommandType)"
$r.syntax = (Get-Command $cmd.Name -Syntax) -split "`r?`n" | Where-Object { $_.Trim() }
$r.outputType = @($cmd.OutputType | ForEach-Object { $_.Type.FullName })
$r.defaultSet = $cmd.DefaultParameterSet
$r.parameters = [ordered]@{}
foreach ($p in $cmd.Parameters.Values) {
    $r.parameters[$p.Name] = [ordered]@{ type = $p.ParameterType.FullName; aliases = @($p.Aliases)
        sets = [ordered]@{}; dontShow = [bool]($p.Attributes | Where-Object { $_ -is [Parameter] -and $_.DontShow }) }
    foreach ($s in $p.ParameterSets.GetEnumerator()) {
        $r.parameters[$p.Name].sets[$s.Key] = [ordered]@{ mandatory = $s.Value.IsMandatory; byValue = $s.Value.ValueFromPipeline
            byName = $s.Value.ValueFromPipelineByPropertyName; position = $s.Value.Position }
    }
}
$help = Get-Help $cmd.Name -Full
$r.help = [ordered]@{ synopsis = "$($help.Synopsis)".Trim(); examples = @($help.examples.example).Count
    parameters = [ordered]@{} }
foreach ($p in $help.parameters.parameter) { $r.help.parameters[$p.name] = ($p.description | Out-String).Trim() }
function Complete([string] $line) {
    @((TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches | ForEach-Object CompletionText)
}
$r.completion = [ordered]@{
    availability = Complete "$($cmd.Name) -PresenceId u -Availability "
    availabilityB = Complete "$($cmd.Name) -PresenceId u -Availability B"
    activityAfterOffline = Complete "$($cmd.Name) -PresenceId u -Availability Offline -Activity "
}
$r.authModule = (Get-Command Connect-MgGraph).Source
$r.allHelp = [ordered]@{}
foreach ($c in Get-Command -Module Microsoft.Graph.Authentication, Microsoft.Graph.Beta.CloudCommunications -CommandType Function) {
    $h = Get-Help $c.Name -Full
    $r.allHelp[$c.Name] = [ordered]@{ synopsis = "$($h.Synopsis)".Trim(); examples = @($h.examples.example).Count
        undescribed = @($h.parameters.parameter | Where-Object { $_.name -and -not ($_.description | Out-String).Trim() } | ForEach-Object name) }
}
$r | ConvertTo-Json -Depth 8 -Compress
"""


@pytest.fixture(scope="module")
def facts():
    from tests.conftest import run_pwsh

    result = run_pwsh(SCRIPT)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_generated_files_are_current():
    check = subprocess.run([sys.executable, str(ROOT / "scripts/generate_module.py"), "--check"],
                           capture_output=True, text=True, cwd=ROOT)
    assert check.returncode == 0, check.stderr


def test_manifests_are_clean_explicit_and_versioned_like_pyproject(facts):
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    root = facts["Microsoft.Graph.Beta.CloudCommunications"]
    auth = facts["Microsoft.Graph.Authentication"]
    assert root["guid"] == "4d7b8c39-2f1e-4e55-9a37-6c0f3d1b8a21"
    assert auth["guid"] == "0b6c2f5e-7a43-4f0e-9d3c-51e8a2c6b7d4"
    for m in (root, auth):
        assert m["version"] == version
        assert m["editions"] == ["Core"]
        assert m["psVersion"] == "7.4"
        assert m["warnings"] == [] and m["cmdlets"] == [] and m["psdata"] is True
    assert root["functions"] == [NAME]
    auth_specs = [specs.load(n) for n in specs.names() if specs.load(n).module == "Microsoft.Graph.Authentication"]
    assert auth["functions"] == sorted((s.name for s in auth_specs), key=str.lower)
    assert auth["aliases"] == sorted((a for s in auth_specs for a in s.extra.get("aliases", [])), key=str.lower)
    for path in ("Microsoft.Graph.Beta.CloudCommunications.psd1", "module/Microsoft.Graph.Beta.CloudCommunications.psm1"):
        assert "Do not edit: run scripts/generate" in (ROOT / path).read_text()


def _help_syntax() -> dict[str, str]:
    text = HELP_PAGE.read_text(encoding="utf-8")
    block = text.split("## SYNTAX", 1)[1].split("## DESCRIPTION", 1)[0]
    sets = re.findall(r"### (\w+)(?: \(Default\))?\n```\n(.*?)```", block, re.S)
    return {name: " ".join(body.split()) for name, body in sets}


def _normalise(line: str, hidden: set[str]) -> str:
    line = " ".join(line.split()).replace("[-ProgressAction <ActionPreference>] ", "")
    for name in hidden:  # DontShow parameters: Get-Command shows them, the help page leaves them out
        line = re.sub(rf" \[-{name}( <[^>]+>)?\]", "", line)
    return line.lower()


@pytest.mark.skipif(not HELP_PAGE.exists(), reason=f"help page not present at {HELP_PAGE}")
def test_syntax_matches_the_help_page(facts):
    hidden = {p for p, v in facts["parameters"].items() if v["dontShow"]}
    expected = [_normalise(line, hidden) for line in _help_syntax().values()]
    actual = [_normalise(line, hidden) for line in facts["syntax"]]
    assert actual == expected  # same sets, in the help page's order
    assert facts["defaultSet"] == "SetExpanded"


def test_metadata_mirrors_the_spec(facts):
    spec = specs.load(NAME)
    assert facts["commandType"] == "Function"
    assert facts["outputType"] == ["System.Boolean"]
    for p in spec.parameters:
        actual = facts["parameters"][p.name]
        assert actual["type"] == p.type
        assert actual["aliases"] == list(p.aliases)
        assert actual["dontShow"] == p.dont_show
        for set_name, m in p.sets.items():
            got = actual["sets"][set_name]
            assert (got["mandatory"], got["byValue"], got["byName"]) == (
                m.mandatory, m.value_from_pipeline, m.value_from_pipeline_by_property_name), (p.name, set_name)
    assert facts["parameters"]["ResponseHeadersVariable"]["aliases"] == ["RHV"]
    assert facts["parameters"]["Headers"]["sets"]["__AllParameterSets"]["byValue"] is True


def test_help_has_synopsis_every_parameter_and_examples(facts):
    spec = specs.load(NAME)
    assert facts["help"]["synopsis"].startswith("Sets the presence a user prefers")
    assert facts["help"]["examples"] >= 3
    for p in spec.parameters:
        assert facts["help"]["parameters"].get(p.name), f"no help for -{p.name}"


def test_tab_completion_offers_valid_availability_and_activity(facts):
    c = facts["completion"]
    assert c["availability"] == ["Available", "Busy", "DoNotDisturb", "BeRightBack", "Away", "Offline"]
    assert c["availabilityB"] == ["Busy", "BeRightBack"]
    assert c["activityAfterOffline"][0] == "OffWork"
    assert sorted(c["activityAfterOffline"]) == sorted(["Available", "Busy", "DoNotDisturb", "BeRightBack", "Away", "OffWork"])


def test_root_import_brings_the_authentication_module(facts):
    assert facts["authModule"] == "Microsoft.Graph.Authentication"


def test_every_exported_command_has_help(facts):
    assert set(facts["allHelp"]) == {n for n in specs.names()}
    for name, h in facts["allHelp"].items():
        assert h["synopsis"] and not h["synopsis"].startswith(name), name
        assert h["examples"] >= 1 and h["undescribed"] == [], name
