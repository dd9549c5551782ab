"""Get/Add/Set/Remove-MgEnvironment: built-ins, persistence in ~/.mg/mg.context.json, errors."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

import pwshcompat
from pwshcompat import commands
from pwshcompat.errors import PSError
from pwshcompat.runtime import CommandRuntime
from auth_fixtures import home  # noqa: F401 - autouse: private HOME, no connection left behind

ROOT = Path(__file__).resolve().parents[2]


def _names() -> list[str]:
    return [e.Name for e in pwshcompat.invoke("Get-MgEnvironment")]


def test_built_in_environments_have_the_original_endpoints():
    envs = {e.Name: e for e in pwshcompat.invoke("Get-MgEnvironment")}
    assert (envs["Global"].AzureADEndpoint, envs["Global"].GraphEndpoint) == (
        "https://login.microsoftonline.com", "https://graph.microsoft.com")
    assert envs["USGov"].GraphEndpoint == "https://graph.microsoft.us"
    assert envs["USGovDoD"].GraphEndpoint == "https://dod-graph.microsoft.us"
    assert (envs["China"].AzureADEndpoint, envs["China"].GraphEndpoint) == (
        "https://login.chinacloudapi.cn", "https://microsoftgraph.chinacloudapi.cn")
    assert {e.Type for e in envs.values()} == {"Built-in"}
    assert "Emulator" in envs


def test_add_persists_to_mg_context_json_and_another_process_sees_it(home: Path):
    added = pwshcompat.invoke("Add-MgEnvironment", Name="Contoso", AzureADEndpoint="https://login.contoso.test/",
                              GraphEndpoint="https://graph.contoso.test")
    assert vars(added) == {"Name": "Contoso", "AzureADEndpoint": "https://login.contoso.test",
                           "GraphEndpoint": "https://graph.contoso.test", "Type": "User-defined"}
    saved = json.loads((home / ".mg" / "mg.context.json").read_text())
    assert saved == {"EnvironmentTable": {"Contoso": {"Name": "Contoso", "AzureADEndpoint": "https://login.contoso.test",
                                                      "GraphEndpoint": "https://graph.contoso.test",
                                                      "Type": "User-defined"}}}
    assert stat.S_IMODE((home / ".mg").stat().st_mode) == 0o700
    code = "import pwshcompat; print(pwshcompat.invoke('Get-MgEnvironment', Name='contoso').GraphEndpoint)"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=dict(os.environ, HOME=str(home)),
                         capture_output=True, text=True, check=True).stdout
    assert out.strip() == "https://graph.contoso.test"


def test_get_by_name_is_case_insensitive_and_unknown_names_give_nothing():
    assert pwshcompat.invoke("Get-MgEnvironment", Name="usgov").Name == "USGov"
    assert pwshcompat.invoke("Get-MgEnvironment", Name="Nowhere") is None


def test_set_merges_with_the_existing_entry_and_remove_deletes_it(home: Path):
    pwshcompat.invoke("Add-MgEnvironment", Name="Lab", AzureADEndpoint="https://login.lab.test", GraphEndpoint="https://graph.lab.test")
    changed = pwshcompat.invoke("Set-MgEnvironment", Name="LAB", GraphEndpoint="https://graph2.lab.test")
    assert (changed.Name, changed.AzureADEndpoint, changed.GraphEndpoint) == ("Lab", "https://login.lab.test", "https://graph2.lab.test")
    assert pwshcompat.invoke("Remove-MgEnvironment", Name="lab") is None
    assert "Lab" not in _names()
    assert json.loads((home / ".mg" / "mg.context.json").read_text()) == {"EnvironmentTable": {}}


@pytest.mark.parametrize("cmdlet, kwargs", [
    ("Add-MgEnvironment", {"Name": "Global", "AzureADEndpoint": "https://a.test", "GraphEndpoint": "https://g.test"}),
    ("Set-MgEnvironment", {"Name": "china", "GraphEndpoint": "https://g.test"}),
    ("Remove-MgEnvironment", {"Name": "USGov"}),
    ("Remove-MgEnvironment", {"Name": "Emulator"}),
])
def test_built_ins_cannot_be_changed(cmdlet, kwargs, home: Path):
    with pytest.raises(PSError) as err:
        pwshcompat.invoke(cmdlet, **kwargs)
    assert err.value.error_id == "CannotModifyBuiltInEnvironment"
    assert not (home / ".mg" / "mg.context.json").exists()


@pytest.mark.parametrize("cmdlet", ["Set-MgEnvironment", "Remove-MgEnvironment"])
def test_unknown_environment_is_not_found(cmdlet):
    with pytest.raises(PSError) as err:
        pwshcompat.invoke(cmdlet, Name="Nowhere")
    assert err.value.error_id == "EnvironmentNotFound"
    assert str(err.value) == "Environment Nowhere not found."


@pytest.mark.parametrize("endpoint, error_id", [
    ("graph.contoso.test", "ParameterArgumentValidationError"),
    ("ftp://graph.contoso.test", "ParameterArgumentValidationError"),
    ("/relative", "ParameterArgumentValidationError"),
    ("", "ParameterArgumentValidationErrorEmptyStringNotAllowed"),  # PowerShell's rule for a mandatory string
])
def test_endpoints_must_be_absolute_http_urls(endpoint, error_id, home: Path):
    with pytest.raises(PSError) as err:
        pwshcompat.invoke("Add-MgEnvironment", Name="Bad", AzureADEndpoint="https://login.test", GraphEndpoint=endpoint)
    assert err.value.error_id == error_id
    assert not (home / ".mg").exists()


def test_whatif_declined_by_should_process_changes_nothing(home: Path):
    runtime = CommandRuntime("Add-MgEnvironment", should_process_hook=lambda target, action: False)
    commands.get("Add-MgEnvironment").run("__AllParameterSets", {
        "Name": "Maybe", "AzureADEndpoint": "https://login.test", "GraphEndpoint": "https://graph.test"}, runtime)
    assert runtime.output == [] and not (home / ".mg" / "mg.context.json").exists()


def test_a_damaged_settings_file_means_no_custom_environments(home: Path):
    (home / ".mg").mkdir()
    (home / ".mg" / "mg.context.json").write_text("{not json")
    assert "Global" in _names()
    pwshcompat.invoke("Add-MgEnvironment", Name="Fresh", AzureADEndpoint="https://l.test", GraphEndpoint="https://g.test")
    assert "Fresh" in _names()
