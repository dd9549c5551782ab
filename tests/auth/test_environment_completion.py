"""Tab completion of Connect-MgGraph -Environment in real pwsh (TabExpansion2): built-ins and added ones."""

from __future__ import annotations

import json
import os

from auth_fixtures import home  # noqa: F401 - autouse: private HOME, no connection left behind
from conftest import pwsh_path, run_pwsh

_PWSH_DIR = os.path.dirname(pwsh_path())  # found before the autouse fixture points HOME elsewhere

SCRIPT = r"""
Import-Module ./Microsoft.Graph.Beta.CloudCommunications.psd1
function Complete([string] $line) { ,@((TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText) }
$r = [ordered]@{}
$r.before = Complete 'Connect-MgGraph -Environment '
$null = Add-MgEnvironment -Name Contoso -AzureADEndpoint https://login.contoso.test -GraphEndpoint https://graph.contoso.test
$r.all = Complete 'Connect-MgGraph -Environment '
$r.prefix = Complete 'Connect-MgGraph -Scopes User.Read -Environment us'
$r.alias = Complete 'Connect-Graph -NationalCloud Con'
$r.quoted = Complete "Connect-MgGraph -Environment 'Em"
$r | ConvertTo-Json -Compress
"""


def test_environment_completes_to_built_ins_and_added_environments(monkeypatch):
    monkeypatch.setenv("PATH", _PWSH_DIR + os.pathsep + os.environ.get("PATH", ""))
    done = run_pwsh(SCRIPT)
    assert done.returncode == 0, done.stderr + done.stdout
    r = json.loads(done.stdout.strip().splitlines()[-1])
    assert r["before"] == ["Global", "China", "USGov", "USGovDoD", "Emulator"]
    assert r["all"] == ["Global", "China", "USGov", "USGovDoD", "Emulator", "Contoso"]
    assert r["prefix"] == ["USGov", "USGovDoD"]
    assert r["alias"] == ["Contoso"]
    assert r["quoted"] == ["Emulator"]
