"""Get-MgGraphOption and Set-MgGraphOption: in real pwsh (saved in ~/.mg, read by a new process),
a Windows-style script that sets the option before Connect-MgGraph, bad input, and the Python API.

Every test runs with a private HOME (auth_fixtures.home), so nothing touches the user's ~/.mg.
"""

from __future__ import annotations

import inspect
import json
import os
import threading
from pathlib import Path

import pytest

import pwshcompat
from pwshcompat.errors import ParameterBindingError, PSWarning
from auth_fixtures import home  # noqa: F401 - autouse: private HOME, no connection left behind
from conftest import ROOT, pwsh_path, run_pwsh

_PWSH_DIR = os.path.dirname(pwsh_path())  # found before the autouse fixture points HOME elsewhere


def _options_file(home: Path) -> Path:
    return home / ".mg" / "mg.graphoptions.json"


SET_SCRIPT = r"""
Import-Module ./Microsoft.Graph.Beta.CloudCommunications.psd1
$r = [ordered]@{}
$r.before = (Get-MgGraphOption).EnableWAMForMSGraph
$written = @(Set-MgGraphOption -EnableLoginByWAM $true -Debug 5>&1)
$r.output = @($written | Where-Object { $_ -isnot [System.Management.Automation.DebugRecord] }).Count
$r.debug = @($written | Where-Object { $_ -is [System.Management.Automation.DebugRecord] } | ForEach-Object Message)
$r | ConvertTo-Json -Compress
"""

GET_SCRIPT = r"""
Import-Module ./Microsoft.Graph.Beta.CloudCommunications.psd1
$o = Get-MgGraphOption
$r = [ordered]@{}
$r.value = $o.EnableWAMForMSGraph
$r.valueType = $o.EnableWAMForMSGraph.GetType().FullName
$r.typeName = $o.psobject.TypeNames[0]
$r.properties = @($o.psobject.Properties.Name)
$r.selected = ($o | Select-Object -ExpandProperty EnableWAMForMSGraph)
$r.getOutputType = @((Get-Command Get-MgGraphOption).OutputType.Name)
$r.setParameters = @((Get-Command Set-MgGraphOption).Parameters.Values | Where-Object {
    $_.Name -notin [System.Management.Automation.PSCmdlet]::CommonParameters } | ForEach-Object { $_.Name + ':' + $_.ParameterType.FullName })
$r.setSets = (Get-Command Set-MgGraphOption).ParameterSets.Count
Set-MgGraphOption -EnableLoginByWAM $false
$r.afterFalse = (Get-MgGraphOption).EnableWAMForMSGraph
$r | ConvertTo-Json -Compress
"""


def _last_json(done) -> dict:
    assert done.returncode == 0, done.stderr + done.stdout
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_set_in_one_pwsh_process_is_seen_by_get_in_a_new_one(home: Path):
    first = _last_json(run_pwsh(SET_SCRIPT, timeout=90))
    assert first["before"] is False                      # never set: the default
    assert first["output"] == 0                           # Set-MgGraphOption writes nothing to the pipeline
    assert first["debug"][0] == "Signin by Web Account Manager (WAM) is enabled."   # the original's debug line
    assert "never through the Web Account Manager" in first["debug"][1]             # ours: it changes no sign-in
    assert json.loads(_options_file(home).read_text(encoding="utf-8")) == {"EnableWAMForMSGraph": True}

    second = _last_json(run_pwsh(GET_SCRIPT, timeout=90))
    assert second["value"] is True and second["selected"] is True
    assert second["valueType"] == "System.Boolean"
    assert second["typeName"] == "Microsoft.Graph.PowerShell.Authentication.GraphOption"
    assert second["properties"] == ["EnableWAMForMSGraph"]
    assert second["getOutputType"] == ["Microsoft.Graph.PowerShell.Authentication.IGraphOption"]
    assert second["setParameters"] == ["EnableLoginByWAM:System.Boolean"] and second["setSets"] == 1
    assert second["afterFalse"] is False
    # The Python API reads the same file: what pwsh saved last is what it reports.
    assert pwshcompat.Get_MgGraphOption().EnableWAMForMSGraph is False


WINDOWS_STYLE_SCRIPT = r"""
#Requires -Version 7.4
#Requires -Modules Microsoft.Graph.Authentication
$ErrorActionPreference = 'Stop'
Set-MgGraphOption -EnableLoginByWAM $true
Connect-MgGraph -Environment Emulator -Scopes Presence.ReadWrite -NoWelcome
$c = Get-MgContext
'{0}|{1}|{2}' -f $c.AuthType, $c.TokenCredentialType, $c.Account
(Invoke-MgGraphRequest -Uri /v1.0/me/presence).id
'END OF SCRIPT'
"""


def test_a_script_that_enables_wam_before_connect_runs_to_the_end(monkeypatch):
    """The Windows admin script pattern: with ErrorActionPreference Stop, Set-MgGraphOption must
    exist, and the sign-in after it (the built-in emulator's interactive one) works as ever."""
    monkeypatch.setenv("PATH", _PWSH_DIR + os.pathsep + os.environ.get("PATH", ""))
    monkeypatch.setenv("PSModulePath", str(ROOT / "module") + os.pathsep + os.environ.get("PSModulePath", ""))
    monkeypatch.delenv("BROWSER", raising=False)
    monkeypatch.delenv("DISPLAY", raising=False)
    done = run_pwsh(WINDOWS_STYLE_SCRIPT, timeout=90)
    assert done.returncode == 0, done.stderr + done.stdout
    lines = done.stdout.strip().splitlines()
    assert lines[-3:] == ["Delegated|InteractiveBrowser|alex@pwshcompat.test",
                          "6e7b0b1c-8a1f-4f3e-9f1a-2b3c4d5e6f70", "END OF SCRIPT"]


BAD_INPUT_SCRIPT = r"""
Import-Module ./Microsoft.Graph.Beta.CloudCommunications.psd1
$r = [ordered]@{}
foreach ($case in @(
        @{ Name = 'word'; Block = { Set-MgGraphOption -EnableLoginByWAM maybe } },
        @{ Name = 'string'; Block = { Set-MgGraphOption -EnableLoginByWAM 'true' } },
        @{ Name = 'positional'; Block = { Set-MgGraphOption $true } },
        @{ Name = 'unknown'; Block = { Set-MgGraphOption -EnableATPoP $true } },
        @{ Name = 'missing'; Block = { Set-MgGraphOption -EnableLoginByWAM } })) {
    try { & $case.Block; $r[$case.Name] = 'no error' }
    catch { $r[$case.Name] = $_.FullyQualifiedErrorId + ' | ' + $_.Exception.Message }
}
$r.saved = Test-Path (Join-Path $HOME '.mg/mg.graphoptions.json')
$r | ConvertTo-Json -Compress
"""


def test_bad_input_gets_powershells_binding_errors_and_saves_nothing(home: Path):
    r = _last_json(run_pwsh(BAD_INPUT_SCRIPT, timeout=90))
    assert r["word"].startswith("ParameterArgumentTransformationError,Set-MgGraphOption | ")
    assert "Cannot convert value \"System.String\" to type \"System.Boolean\"" in r["word"]
    assert r["string"].startswith("ParameterArgumentTransformationError,Set-MgGraphOption | ")
    assert r["positional"].startswith("PositionalParameterNotFound,Set-MgGraphOption | ")
    assert r["unknown"].startswith("NamedParameterNotFound,Set-MgGraphOption | ")   # not in 2.25.0
    assert r["missing"].startswith("MissingArgument,Set-MgGraphOption | ")
    assert r["saved"] is False and not _options_file(home).exists()


def test_python_set_mggraphoption_is_typed_and_saves_the_option(home: Path):
    signature = inspect.signature(pwshcompat.Set_MgGraphOption)
    assert signature.parameters["EnableLoginByWAM"].annotation in (bool, "bool")
    assert signature.parameters["EnableLoginByWAM"].kind is inspect.Parameter.KEYWORD_ONLY
    assert "Get-MgGraphOption" in (pwshcompat.Set_MgGraphOption.__doc__ or "")

    assert pwshcompat.Get_MgGraphOption().EnableWAMForMSGraph is False
    assert pwshcompat.Set_MgGraphOption(EnableLoginByWAM=True) is None
    option = pwshcompat.Get_MgGraphOption()
    assert option.EnableWAMForMSGraph is True and option["EnableWAMForMSGraph"] is True
    assert type(option).PS_TYPE_NAME == "Microsoft.Graph.PowerShell.Authentication.GraphOption"
    assert json.loads(_options_file(home).read_text(encoding="utf-8")) == {"EnableWAMForMSGraph": True}
    assert (_options_file(home).stat().st_mode & 0o777) == 0o600

    # Bad input: PowerShell's error id, and the saved option stays as it was.
    with pytest.raises(ParameterBindingError) as caught:
        pwshcompat.Set_MgGraphOption(EnableLoginByWAM="maybe")
    assert caught.value.record.fully_qualified_error_id == "ParameterArgumentTransformationError,Set-MgGraphOption"
    with pytest.raises(ParameterBindingError) as caught:
        pwshcompat.invoke("Set-MgGraphOption", EnableATPoP=True)
    assert caught.value.record.fully_qualified_error_id.startswith("NamedParameterNotFound,")
    assert pwshcompat.Get_MgGraphOption().EnableWAMForMSGraph is True


def test_other_members_of_the_file_are_kept_and_a_damaged_file_is_kept_aside(home: Path):
    path = _options_file(home)
    path.parent.mkdir(parents=True)
    # A file from a newer original: members 2.25.0 does not know stay through a change.
    path.write_text(json.dumps({"EnableWAMForMSGraph": False, "DisableWAMForMSGraph": True, "Other": [1]}),
                    encoding="utf-8")
    pwshcompat.Set_MgGraphOption(EnableLoginByWAM=True)
    assert json.loads(path.read_text(encoding="utf-8")) == {"EnableWAMForMSGraph": True, "DisableWAMForMSGraph": True,
                                                           "Other": [1]}

    path.write_text("{ not json", encoding="utf-8")
    warnings: list[str] = []
    with pytest.warns(PSWarning, match="could not be read"):   # WarningAction Continue: shown as well
        assert pwshcompat.Get_MgGraphOption(WarningVariable=warnings).EnableWAMForMSGraph is False
    assert len(warnings) == 1 and "mg.graphoptions.json could not be read" in warnings[0]
    assert path.read_text(encoding="utf-8") == "{ not json"          # reading changes nothing
    warnings.clear()
    with pytest.warns(PSWarning, match="kept as"):
        pwshcompat.Set_MgGraphOption(EnableLoginByWAM=True, WarningVariable=warnings)
    kept = [p for p in path.parent.iterdir() if p.name.startswith("mg.graphoptions.json.damaged-")]
    assert len(kept) == 1 and kept[0].read_text(encoding="utf-8") == "{ not json"
    assert len(warnings) == 1 and kept[0].name in warnings[0]
    assert pwshcompat.Get_MgGraphOption().EnableWAMForMSGraph is True


def test_concurrent_changes_keep_every_other_member(home: Path):
    """Threads setting the option while others add members to the same file under the settings
    lock: no member is lost (each change is a read-change-write under paths.locked)."""
    from pwshcompat.auth import paths

    path = _options_file(home)
    errors: list[BaseException] = []

    def add_member(n: int) -> None:
        try:
            with paths.locked(path):
                document = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
                document[f"Member{n}"] = n
                paths.write_private(path, json.dumps(document))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    def set_option(n: int) -> None:
        try:
            pwshcompat.Set_MgGraphOption(EnableLoginByWAM=bool(n % 2))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=add_member if n % 2 else set_option, args=(n,)) for n in range(40)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors and not any(t.is_alive() for t in threads)
    document = json.loads(path.read_text(encoding="utf-8"))
    assert {k for k in document if k.startswith("Member")} == {f"Member{n}" for n in range(1, 40, 2)}
    assert document["EnableWAMForMSGraph"] is False          # every setter passed an even n
