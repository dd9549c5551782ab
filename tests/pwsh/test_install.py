"""Installed by name: scripts/install-module puts manifests on PSModulePath, after which
Import-Module by name, #Requires -Modules and command autoloading work as with the original."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

from conftest import REAL_HOME

ROOT = Path(__file__).resolve().parents[2]
NAME = "Set-MgBetaCommunicationPresenceUserPreferredPresence"


def test_install_then_import_by_name_requires_and_autoload(tmp_path, emulator):
    modules = tmp_path / "Modules"
    install = subprocess.run([str(ROOT / "scripts/install-module"), str(modules)], capture_output=True, text=True,
                             timeout=300, env={**os.environ, "HOME": str(REAL_HOME)})
    assert install.returncode == 0, install.stderr
    script = tmp_path / "uses-graph.ps1"
    script.write_text(f"""#Requires -Modules Microsoft.Graph.Beta.CloudCommunications
$r = [ordered]@{{}}
$r.loaded = @(Get-Module | ForEach-Object Name | Sort-Object)
Add-MgEnvironment -Name Inst -GraphEndpoint $args[0] -AzureADEndpoint https://login.microsoftonline.com | Out-Null
Connect-MgGraph -Environment Inst -AccessToken (ConvertTo-SecureString $args[1] -AsPlainText -Force) -NoWelcome
$r.call = {NAME} -PresenceId inst1 -Availability Busy -Activity Busy -PassThru
$r | ConvertTo-Json -Compress
""", encoding="utf-8")
    autoload = ("$r = [ordered]@{}; $r.before = @(Get-Module Microsoft.Graph*).Count;"
                f" $r.syntax = (Get-Command {NAME}).Source; $r.after = @(Get-Module Microsoft.Graph* | ForEach-Object Name | Sort-Object);"
                " Import-Module Microsoft.Graph.Authentication; $r.auth = (Get-Command Connect-MgGraph).Source;"
                " $r | ConvertTo-Json -Compress")
    pwsh = shutil.which("pwsh") or str(Path.home() / ".dotnet/tools/pwsh")
    env = {**os.environ, "PSModulePath": f"{modules}{os.pathsep}{os.environ.get('PSModulePath', '')}"}
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    runs = [subprocess.run([pwsh, "-NoProfile", "-NonInteractive", *cmd], cwd=outside, env=env, capture_output=True,
                           text=True, timeout=120)
            for cmd in (["-File", str(script), emulator.graph_url, emulator.issue_token()], ["-Command", autoload])]
    for run in runs:
        assert run.returncode == 0, run.stderr
    required, autoloaded = (json.loads(run.stdout.strip().splitlines()[-1]) for run in runs)
    assert required["loaded"][:2] == ["Microsoft.Graph.Authentication", "Microsoft.Graph.Beta.CloudCommunications"]
    assert required["call"] is True
    assert autoloaded["before"] == 0
    assert autoloaded["syntax"] == "Microsoft.Graph.Beta.CloudCommunications"
    assert autoloaded["after"] == ["Microsoft.Graph.Authentication", "Microsoft.Graph.Beta.CloudCommunications"]
    assert autoloaded["auth"] == "Microsoft.Graph.Authentication"
