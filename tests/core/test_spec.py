"""The spec: generated from the help page (and not stale), loaded into typed metadata."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pwshcompat import spec
from pwshcompat.spec import generate

from ._support import CMD

ROOT = Path(__file__).resolve().parents[2]
SEEDS = ROOT.parent / "shared" / "seeds"
PAGE = SEEDS / f"{CMD}.md"
COMMITTED = ROOT / "pwshcompat" / "spec" / "commands" / f"{CMD}.json"


@pytest.mark.skipif(not PAGE.exists(), reason=f"help page not present at {PAGE}")
def test_committed_spec_is_what_the_generator_makes_from_the_help_page() -> None:
    overlays = json.loads(generate.OVERLAY.read_text(encoding="utf-8"))
    expected = generate.render(PAGE.read_text(encoding="utf-8"), overlays[CMD], PAGE.name)
    assert COMMITTED.read_text(encoding="utf-8") == expected, (
        "the committed spec is stale: regenerate with `python3 -m pwshcompat.spec.generate`")


@pytest.mark.skipif(not PAGE.exists(), reason=f"help page not present at {PAGE}")
def test_generator_check_mode_passes_on_the_committed_tree() -> None:
    assert generate.main(["--check", str(PAGE)]) == 0


def test_generated_spec_says_it_is_generated_and_how() -> None:
    raw = json.loads(COMMITTED.read_text(encoding="utf-8"))
    assert "generated" in raw["source"] and "python3 -m pwshcompat.spec.generate" in raw["source"]


S = spec.load(CMD)


def test_command_level_facts() -> None:
    assert (S.default_parameter_set, S.parameter_sets) == (
        "SetExpanded", ("SetExpanded", "Set", "SetViaIdentityExpanded", "SetViaIdentity"))
    assert S.supports_should_process and S.confirm_impact == "Medium" and not S.positional_binding
    assert S.output_type == ("System.Boolean",)
    assert S.module == "Microsoft.Graph.Beta.CloudCommunications"
    assert S.operation is not None and S.operation.internal_type_for("Set").endswith("_Set")


def test_parameters_in_merged_syntax_order_then_hidden_ones() -> None:
    # One declaration order that keeps every set's SYNTAX order (Get-Command -Syntax prints each
    # set in declaration order): Set has -PresenceId -BodyParameter, SetViaIdentity -InputObject -BodyParameter.
    assert [p.name for p in S.parameters] == [
        "PresenceId", "InputObject", "BodyParameter", "ResponseHeadersVariable", "Activity", "AdditionalProperties",
        "Availability", "ExpirationDuration", "Headers", "PassThru",
        "Break", "HttpPipelineAppend", "HttpPipelinePrepend", "Proxy", "ProxyCredential", "ProxyUseDefaultCredentials"]
    assert [p.name for p in S.parameters if p.dont_show] == [
        "Break", "HttpPipelineAppend", "HttpPipelinePrepend", "Proxy", "ProxyCredential", "ProxyUseDefaultCredentials"]


@pytest.mark.parametrize("name,type_,sets,mandatory,pipeline", [
    ("PresenceId", "System.String", {"SetExpanded", "Set"}, True, False),
    ("InputObject", "Microsoft.Graph.Beta.PowerShell.Models.ICloudCommunicationsIdentity",
     {"SetViaIdentityExpanded", "SetViaIdentity"}, True, True),
    ("BodyParameter", "Microsoft.Graph.Beta.PowerShell.Models.IPaths16OmbuoCommunicationsPresencesPresenceIdMicrosoft"
     "GraphSetuserpreferredpresencePostRequestbodyContentApplicationJsonSchema", {"Set", "SetViaIdentity"}, True, True),
    ("ExpirationDuration", "System.TimeSpan", {"SetExpanded", "SetViaIdentityExpanded"}, False, False),
    ("AdditionalProperties", "System.Collections.Hashtable", {"SetExpanded", "SetViaIdentityExpanded"}, False, False),
    ("Headers", "System.Collections.IDictionary", {"__AllParameterSets"}, False, True),
    ("PassThru", "System.Management.Automation.SwitchParameter", {"__AllParameterSets"}, False, False),
    ("HttpPipelineAppend", "Microsoft.Graph.Beta.PowerShell.Runtime.SendAsyncStep[]", {"__AllParameterSets"}, False, False),
])
def test_parameter_metadata(name: str, type_: str, sets: set[str], mandatory: bool, pipeline: bool) -> None:
    p = S.parameter(name)
    assert p.type == type_ and set(p.sets) == sets
    assert all(m.mandatory == mandatory and m.value_from_pipeline == pipeline for m in p.sets.values())
    assert not any(m.value_from_pipeline_by_property_name for m in p.sets.values())


def test_aliases_and_lookup_are_case_insensitive() -> None:
    assert S.parameter("rhv").name == "ResponseHeadersVariable"
    assert S.parameter("PRESENCEID").name == "PresenceId"
    with pytest.raises(KeyError):
        S.parameter("Presence")  # the loader does no prefix matching; the binder does


def test_complex_parameter_properties_come_from_the_notes() -> None:
    body = S.extra["complexParameters"]["BodyParameter"]
    assert [p["name"] for p in body["properties"]] == ["Activity", "Availability", "ExpirationDuration"]
    assert body["additionalProperties"] is True
    identity = [p["name"] for p in S.extra["complexParameters"]["InputObject"]["properties"]]
    assert "PresenceId" in identity and "UserId" in identity


def test_every_spec_file_loads() -> None:
    for name in spec.names():
        loaded = spec.load(name)
        assert loaded.name.lower() == name.lower()
        assert loaded.default_parameter_set in loaded.parameter_sets or loaded.default_parameter_set == spec.ALL_SETS


PAGE_TEMPLATE = """---
Module Name: Demo.Module
---

# Get-Demo

## SYNTAX

### A (Default)
```
Get-Demo -Name <String> [-Flag] [<CommonParameters>]
```

## PARAMETERS

### -Name
The name.

```yaml
Type: String
Parameter Sets: A
Aliases: N

Required: True
Position: 0
Default value: None
Accept pipeline input: True (ByPropertyName)
Accept wildcard characters: False
```
{extra}
## OUTPUTS

### System.String
"""


def test_generator_reads_positions_aliases_and_by_property_name() -> None:
    flag = "\n### -Flag\nA flag.\n\n```yaml\nType: SwitchParameter\nParameter Sets: A\nAliases:\n\nRequired: False\nPosition: Named\nAccept pipeline input: False\n```\n"
    built = generate.build(PAGE_TEMPLATE.format(extra=flag), {}, "test")
    name, switch = built["parameters"]
    assert (name["position"], name["aliases"], name["sets"]) == (
        0, ["N"], {"A": {"mandatory": True, "valueFromPipeline": False, "valueFromPipelineByPropertyName": True}})
    assert switch["type"] == "System.Management.Automation.SwitchParameter" and not built["supportsShouldProcess"]


def test_generator_refuses_a_parameter_missing_from_parameters() -> None:
    with pytest.raises(generate.PageError, match="-Flag"):
        generate.build(PAGE_TEMPLATE.format(extra=""), {}, "test")
