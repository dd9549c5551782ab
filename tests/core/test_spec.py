"""The specs: generated from the help pages (and not stale), valid against spec/schema.json, and
loaded into typed metadata. Tests that read the pages skip when ../shared/seeds is absent (CI)."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from pwshcompat import spec
from pwshcompat.spec import generate, pages

from ._support import CMD

ROOT = Path(__file__).resolve().parents[2]
SEEDS = generate.SEEDS_DIR
PAGES = generate.page_files(SEEDS) if SEEDS.is_dir() else {}
needs_pages = pytest.mark.skipif(not PAGES, reason=f"help pages not present at {SEEDS} (set PWSHCOMPAT_SEEDS)")
GRAPH = [n for n in spec.names() if spec.load(n).graph is not None]


def test_there_is_a_spec_for_every_cmdlet_of_both_modules() -> None:
    beta = [n for n in GRAPH if spec.load(n).module == "Microsoft.Graph.Beta.CloudCommunications"]
    v1 = [n for n in GRAPH if spec.load(n).module == "Microsoft.Graph.CloudCommunications"]
    assert (len(beta), len(v1)) == (27, 27)
    assert sorted(n.replace("MgBeta", "Mg") for n in beta) == sorted(v1)


@needs_pages
def test_every_page_has_a_spec_and_the_seed_keeps_its_own_page() -> None:
    assert sorted(PAGES) == sorted(GRAPH)
    assert PAGES[CMD].parent == SEEDS  # the 2.0.0 page, not the module's 2024-05-01 one


@needs_pages
def test_committed_specs_are_what_the_generator_makes_from_the_pages() -> None:
    assert generate.main(["--check"]) == 0, "stale: regenerate with `python3 -m pwshcompat.spec.generate`"


def test_every_spec_is_valid_against_the_schema() -> None:
    schema = json.loads(spec.SCHEMA_FILE.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    for path in sorted(spec.COMMANDS_DIR.glob("*.json")):
        errors = sorted(validator.iter_errors(json.loads(path.read_text(encoding="utf-8"))), key=str)
        assert not errors, f"{path.name}: {errors[0].message} at {list(errors[0].absolute_path)}"


def test_the_schema_refuses_what_the_runner_cannot_run() -> None:
    validator = jsonschema.Draft202012Validator(json.loads(spec.SCHEMA_FILE.read_text(encoding="utf-8")))
    good = json.loads((spec.COMMANDS_DIR / f"{CMD}.json").read_text(encoding="utf-8"))
    for broken in (
        {**good, "graph": {**good["graph"], "operations": {"Set": {"method": "FETCH", "path": "/x"}}}},
        {**good, "graph": {**good["graph"], "operations": {"Set": {"method": "GET", "path": "x", "response": "model"}}}},
        {**good, "parameters": [{**good["parameters"][0], "category": "Elsewhere"}]},
        {k: v for k, v in good.items() if k != "parameterSets"},
    ):
        assert list(validator.iter_errors(broken)), broken


def test_generated_spec_says_it_is_generated_and_how() -> None:
    for name in GRAPH:
        raw = json.loads((spec.COMMANDS_DIR / f"{name}.json").read_text(encoding="utf-8"))
        assert "generated" in raw["source"] and "python3 -m pwshcompat.spec.generate" in raw["source"]


S = spec.load(CMD)


def test_command_level_facts() -> None:
    assert (S.default_parameter_set, S.parameter_sets) == (
        "SetExpanded", ("SetExpanded", "Set", "SetViaIdentityExpanded", "SetViaIdentity"))
    assert S.supports_should_process and S.confirm_impact == "Medium" and not S.positional_binding
    assert S.output_type == ("System.Boolean",)
    assert S.module == "Microsoft.Graph.Beta.CloudCommunications"
    assert S.graph is not None and S.graph.internal_type_for("Set").endswith("_Set")
    assert S.graph.what_if_target("SetViaIdentity") == (
        "Call remote 'POST /communications/presences/{presence-id}/microsoft.graph.setUserPreferredPresence' operation")


def test_parameters_in_the_originals_declaration_order() -> None:
    # The page's SYNTAX orders merged, with the hidden parameters where the original declares them
    # (Break, Headers, HttpPipelineAppend, HttpPipelinePrepend, PassThru, Proxy...: issue 13.21).
    assert [p.name for p in S.parameters] == [
        "PresenceId", "InputObject", "BodyParameter", "ResponseHeadersVariable", "Activity", "AdditionalProperties",
        "Availability", "ExpirationDuration", "Break", "Headers", "HttpPipelineAppend", "HttpPipelinePrepend",
        "PassThru", "Proxy", "ProxyCredential", "ProxyUseDefaultCredentials"]
    assert [p.name for p in S.parameters if p.dont_show] == [
        "Break", "HttpPipelineAppend", "HttpPipelinePrepend", "Proxy", "ProxyCredential", "ProxyUseDefaultCredentials"]
    assert [p.category for p in S.parameters] == [
        "Path", "Path", "Body", "Runtime", "Body", "Body", "Body", "Body", "Runtime", "Runtime", "Runtime", "Runtime",
        "Runtime", "Runtime", "Runtime", "Runtime"]


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


def test_the_graph_section_of_a_list_cmdlet() -> None:
    g = spec.load("Get-MgCommunicationPresence").graph
    assert g is not None and (g.api_version, g.namespace) == ("v1.0", "Microsoft.Graph.PowerShell")
    assert [(k, op.method, op.path, op.response) for k, op in g.operations.items()] == [
        ("List", "GET", "/communications/presences", "collection"),
        ("Get", "GET", "/communications/presences/{presence-id}", "model"),
        ("GetViaIdentity", "GET", "/communications/presences/{presence-id}", "model")]
    assert g.operation_for("GetViaIdentity").via_identity and not g.operation_for("Get").via_identity
    assert g.query == {"Top": "$top", "Skip": "$skip", "Search": "$search", "Filter": "$filter", "Sort": "$orderby",
                       "Property": "$select", "ExpandProperty": "$expand"}
    assert g.response_model == "MicrosoftGraphPresence"
    assert [(p.name, p.parameter, p.identity_property) for p in g.path_parameters] == [
        ("presence-id", "PresenceId", "PresenceId")]


def test_the_graph_section_of_an_update_and_an_action() -> None:
    update = spec.load("Update-MgBetaUserPresence").graph
    assert update is not None and update.body_model == "MicrosoftGraphPresence"
    assert set(update.body_members) == {"Id", "Activity", "Availability", "OutOfOfficeSettings", "StatusMessage",
                                        "WorkLocation"}
    assert {k: op.body for k, op in update.operations.items()} == {
        "UpdateExpanded": "expanded", "Update": "whole", "UpdateViaIdentityExpanded": "expanded",
        "UpdateViaIdentity": "whole"}
    remove = spec.load("Remove-MgUserPresence").graph
    assert remove is not None and remove.headers == {"IfMatch": "If-Match"}
    assert spec.load("Remove-MgUserPresence").parameter("IfMatch").category == "Header"
    by_user = spec.load("Get-MgBetaCommunicationPresenceByUserId").graph
    assert by_user is not None and by_user.operation_for("GetExpanded").response == "values"
    assert by_user.body_members == {"Ids": "Ids"}
    count = spec.load("Get-MgCommunicationPresenceCount").graph
    assert count is not None and count.operation_for("Get").response == "count"


@pytest.mark.parametrize(("name", "kind"), [
    ("Set-MgBetaCommunicationPresenceUserPreferredPresence", "setUserPreferredPresence"),
    ("Get-MgBetaCommunicationPresenceByUserId", "getPresencesByUserId"),
    ("Get-MgCommunicationPresence", "list"), ("Get-MgUserPresence", "get"),
    ("Get-MgCommunicationPresenceCount", "count"), ("New-MgBetaCommunicationPresence", "create"),
    ("Update-MgUserPresence", "update"), ("Remove-MgBetaUserPresence", "delete"), ("Connect-MgGraph", None)])
def test_the_kind_of_a_command(name: str, kind: str | None) -> None:
    assert spec.load(name).kind == kind


def test_models_are_defined_once_and_name_existing_models() -> None:
    for name in spec.model_names():
        for p in spec.model(name).properties:
            assert p.type in spec.CODECS or p.type in spec.model_names(), (name, p.name)
            assert p.wire[0].islower() and p.wire.lower() == p.name.lower(), (name, p.name)
    for name in GRAPH:
        g = spec.load(name).graph
        assert g is not None
        for model in (g.body_model, g.response_model):
            assert model is None or model in spec.model_names(), (name, model)


@needs_pages
def test_models_agree_with_every_pages_notes() -> None:
    # generate.build checks each page's NOTES against models.json (names, types, additional
    # properties, nested); a page whose NOTES disagreed would fail here.
    entries, shared = generate.overlays()
    for name, page in PAGES.items():
        generate.build(page.read_text(encoding="utf-8"), entries[name], "test", shared)


@needs_pages
def test_identity_properties_are_the_pages_input_object_notes() -> None:
    for name, page in PAGES.items():
        facts = pages.parse(page.read_text(encoding="utf-8"))
        note = facts.complex.get("INPUTOBJECT")
        g = spec.load(name).graph
        assert g is not None
        expected = [p["name"] for p in note["properties"]] if note else []
        assert [p.name for p in g.identity_properties] == expected, name


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

SHARED = {"descriptions": {"Name": "A name.", "Flag": "A flag."}}


def test_generator_reads_positions_aliases_and_by_property_name() -> None:
    flag = "\n### -Flag\nA flag.\n\n```yaml\nType: SwitchParameter\nParameter Sets: A\nAliases:\n\nRequired: False\nPosition: Named\nAccept pipeline input: False\n```\n"
    built = generate.build(PAGE_TEMPLATE.format(extra=flag), {}, "test", SHARED)
    name, switch = built["parameters"]
    assert (name["position"], name["aliases"], name["sets"]) == (
        0, ["N"], {"A": {"mandatory": True, "valueFromPipeline": False, "valueFromPipelineByPropertyName": True}})
    assert switch["type"] == "System.Management.Automation.SwitchParameter" and not built["supportsShouldProcess"]


def test_generator_refuses_a_parameter_missing_from_parameters() -> None:
    with pytest.raises(pages.PageError, match="-Flag"):
        generate.build(PAGE_TEMPLATE.format(extra=""), {}, "test", SHARED)


def test_generator_refuses_a_parameter_without_our_description() -> None:
    flag = "\n### -Flag\nA flag.\n\n```yaml\nType: SwitchParameter\nParameter Sets: A\nAliases:\n\nRequired: False\nPosition: Named\nAccept pipeline input: False\n```\n"
    with pytest.raises(pages.PageError, match="no description"):
        generate.build(PAGE_TEMPLATE.format(extra=flag), {}, "test", {"descriptions": {"Name": "A name."}})


PAGE_2024 = """---
Module Name: Demo.Module
PlatyPS schema version: 2024-05-01
---

# Get-Demo

## SYNTAX

### List (Default)

```
Get-Demo [-Top <int>] [-Break]
```

### Get

```
Get-Demo -DemoId <string> [-Break]
```

## PARAMETERS

### -Break

Wait.

```yaml
Type: System.Management.Automation.SwitchParameter
Aliases: []
ParameterSets:
- Name: (All)
  Position: Named
  IsRequired: false
  ValueFromPipeline: false
  ValueFromPipelineByPropertyName: false
DontShow: false
```

### -DemoId

The id.

```yaml
Type: System.String
Aliases: []
ParameterSets:
- Name: Get
  Position: Named
  IsRequired: true
  ValueFromPipeline: false
  ValueFromPipelineByPropertyName: false
DontShow: false
```

### -Top

Some.

```yaml
Type: System.Int32
Aliases:
- Limit
ParameterSets:
- Name: List
  Position: Named
  IsRequired: false
  ValueFromPipeline: false
  ValueFromPipelineByPropertyName: false
DontShow: false
```

## OUTPUTS

### System.Int32
"""


def test_generator_reads_the_2024_format_yaml_and_marks_hidden_parameters() -> None:
    shared = {"descriptions": {"Break": "b", "DemoId": "d", "Top": "t"},
              "hiddenParameters": [{"name": "Break", "type": "System.Management.Automation.SwitchParameter"}]}
    built = generate.build(PAGE_2024, {}, "test", shared)
    assert [(p["name"], p["dontShow"], p["aliases"], list(p["sets"])) for p in built["parameters"]] == [
        ("Top", False, ["Limit"], ["List"]), ("DemoId", False, [], ["Get"]), ("Break", True, [], ["__AllParameterSets"])]
    assert built["defaultParameterSet"] == "List" and built["parameters"][1]["sets"]["Get"]["mandatory"] is True


def test_the_2024_reader_refuses_a_page_whose_yaml_and_syntax_disagree() -> None:
    with pytest.raises(pages.PageError, match="mandatory"):
        pages.parse(PAGE_2024.replace("Get-Demo -DemoId <string> [-Break]", "Get-Demo [-DemoId <string>] [-Break]"))
