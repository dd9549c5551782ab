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
from conftest import pwsh_path, run_pwsh

ROOT = Path(__file__).resolve().parents[2]
_PWSH_DIR = os.path.dirname(pwsh_path())  # found before the autouse fixture points HOME elsewhere


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


@pytest.mark.parametrize("damaged, why", [
    (b"{not json", "it is not valid JSON"),
    (b"[1, 2]", "it holds a JSON list, not an object"),
    (b'{"EnvironmentTable": ["Contoso"]}', "its EnvironmentTable is not a JSON object"),
    (b'{"EnvironmentTable": {}, "x": "\xff"}', "it is not UTF-8 text"),
])
def test_a_damaged_settings_file_means_no_custom_environments(home: Path, damaged: bytes, why: str):
    """Reading, a damaged file means no custom environments; the next change keeps it aside as
    mg.context.json.damaged-<time>, says so, and starts a new file (the original silently replaced it)."""
    settings = home / ".mg" / "mg.context.json"
    settings.parent.mkdir()
    settings.write_bytes(damaged)
    with pytest.warns(pwshcompat.PSWarning) as read_warned:
        assert "Global" in _names() and "Fresh" not in _names()
    # Reading says the file could not be read (a saved environment does not vanish without a
    # word) and changes nothing.
    message = str(read_warned[0].message)
    assert str(settings) in message and why in message and "not available" in message, message
    assert settings.read_bytes() == damaged
    with pytest.warns(pwshcompat.PSWarning) as warned:
        pwshcompat.invoke("Add-MgEnvironment", Name="Fresh", AzureADEndpoint="https://l.test", GraphEndpoint="https://g.test")
    kept = sorted(settings.parent.glob("mg.context.json.damaged-*"))
    assert len(kept) == 1 and kept[0].read_bytes() == damaged
    message = str(warned[0].message)
    assert str(settings) in message and why in message and kept[0].name in message, message
    assert "Fresh" in _names()
    assert json.loads(settings.read_text())["EnvironmentTable"]["Fresh"]["GraphEndpoint"] == "https://g.test"
    # A second damage (within the same second, likely) is kept too, never over the first.
    settings.write_bytes(damaged)
    with pytest.warns(pwshcompat.PSWarning):
        pwshcompat.invoke("Add-MgEnvironment", Name="Second", AzureADEndpoint="https://l.test", GraphEndpoint="https://g.test")
    kept = sorted(settings.parent.glob("mg.context.json.damaged-*"))
    assert len(kept) == 2 and [k.read_bytes() for k in kept] == [damaged, damaged]
    assert "Second" in _names() and "Fresh" not in _names()


@pytest.mark.parametrize("cmdlet, kwargs, error_id", [
    ("Remove-MgEnvironment", {"Name": "Saved"}, "EnvironmentNotFound"),
    ("Set-MgEnvironment", {"Name": "Saved", "GraphEndpoint": "https://g2.test"}, "EnvironmentNotFound"),
    ("Connect-MgGraph", {"Environment": "Saved", "AccessToken": "x"}, "InvalidEnvironment"),
])
def test_a_saved_environment_in_a_damaged_file_is_not_found_with_the_reason(home: Path, cmdlet: str,
                                                                            kwargs: dict[str, str], error_id: str):
    """An environment saved in a file that has since been damaged: the original's not-found error,
    after a warning that names the file and what is wrong with it; the file is left as it is."""
    settings = home / ".mg" / "mg.context.json"
    pwshcompat.invoke("Add-MgEnvironment", Name="Saved", AzureADEndpoint="https://l.test", GraphEndpoint="https://g.test")
    damaged = settings.read_bytes()[:-5]
    settings.write_bytes(damaged)
    with pytest.warns(pwshcompat.PSWarning) as warned, pytest.raises(PSError) as err:
        pwshcompat.invoke(cmdlet, **kwargs)
    assert err.value.error_id == error_id and str(err.value) == "Environment Saved not found."
    assert len(warned) == 1 and str(settings) in str(warned[0].message)
    assert "it is not valid JSON" in str(warned[0].message)
    assert settings.read_bytes() == damaged and not list(settings.parent.glob("mg.context.json.damaged-*"))


def test_a_damaged_file_is_reported_as_a_warning_in_pwsh(home: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("PATH", _PWSH_DIR + os.pathsep + os.environ.get("PATH", ""))

    settings = home / ".mg" / "mg.context.json"
    settings.parent.mkdir()
    settings.write_text("{not json")
    done = run_pwsh("Import-Module ./Microsoft.Graph.Beta.CloudCommunications.psd1\n"
                    "$null = Get-MgEnvironment -WarningVariable r -WarningAction SilentlyContinue\n"
                    "'READ ' + $r.Count + ' ' + $r[0].Message\n"
                    "Add-MgEnvironment -Name Fresh -AzureADEndpoint https://l.test -GraphEndpoint https://g.test "
                    "-WarningVariable w -WarningAction SilentlyContinue | Out-Null\n"
                    "'WARNINGS ' + $w.Count + ' ' + $w[0].Message")
    assert done.returncode == 0, done.stderr
    line = next(x for x in done.stdout.splitlines() if x.startswith("WARNINGS "))
    assert line.startswith("WARNINGS 1 ") and "mg.context.json.damaged-" in line
    read = next(x for x in done.stdout.splitlines() if x.startswith("READ "))
    assert read.startswith(f"READ 1 {settings} could not be read: it is not valid JSON"), read
    assert len(list(settings.parent.glob("mg.context.json.damaged-*"))) == 1


def test_what_the_settings_file_holds_besides_our_environments_is_kept(home: Path):
    settings = home / ".mg" / "mg.context.json"
    settings.parent.mkdir()
    settings.write_text(json.dumps({
        "Version": 3, "Preferences": {"theme": "dark"},
        "EnvironmentTable": {
            "Contoso": {"Name": "Contoso", "AzureADEndpoint": "https://login.contoso.test",
                        "GraphEndpoint": "https://graph.contoso.test", "Type": "User-defined", "Note": "keep me"},
            "Gone": {"Name": "Gone", "AzureADEndpoint": "https://l.test", "GraphEndpoint": "https://g.test"},
            "odd": {"Comment": "no Name: not an environment, still not ours to drop"},
        },
        "Trailer": [1, 2]}))
    pwshcompat.invoke("Add-MgEnvironment", Name="Fresh", AzureADEndpoint="https://l.test", GraphEndpoint="https://g.test")
    pwshcompat.invoke("Set-MgEnvironment", Name="Contoso", GraphEndpoint="https://graph2.contoso.test")
    pwshcompat.invoke("Remove-MgEnvironment", Name="Gone")
    saved = json.loads(settings.read_text())
    assert list(saved) == ["Version", "Preferences", "EnvironmentTable", "Trailer"]
    assert (saved["Version"], saved["Preferences"], saved["Trailer"]) == (3, {"theme": "dark"}, [1, 2])
    table = saved["EnvironmentTable"]
    assert list(table) == ["Contoso", "odd", "Fresh"]
    assert table["Contoso"] == {"Name": "Contoso", "AzureADEndpoint": "https://login.contoso.test",
                                "GraphEndpoint": "https://graph2.contoso.test", "Type": "User-defined",
                                "Note": "keep me"}
    assert table["odd"] == {"Comment": "no Name: not an environment, still not ours to drop"}
    assert not list(settings.parent.glob("*.damaged-*"))


def test_a_settings_file_that_cannot_be_read_is_not_replaced(home: Path):
    settings = home / ".mg" / "mg.context.json"
    settings.mkdir(parents=True)  # a folder where the file should be: reading fails, even as root
    with pytest.raises(PSError) as err:
        pwshcompat.invoke("Add-MgEnvironment", Name="Fresh", AzureADEndpoint="https://l.test", GraphEndpoint="https://g.test")
    assert err.value.error_id == "SettingsFileUnreadable" and str(settings) in str(err.value)
    assert settings.is_dir() and not list(settings.parent.glob("*.damaged-*"))
