"""Helpers for the PowerShell-side tests: many checks per pwsh process, results as JSON."""

from __future__ import annotations

import json
from typing import Any, Callable

import pytest

# Imports the module and connects to the emulator: $args[0] is its URL, $args[1] a token.
CONNECT = """
Import-Module ./Microsoft.Graph.Beta.CloudCommunications.psd1
Add-MgEnvironment -Name PwshTests -GraphEndpoint $args[0] -AzureADEndpoint https://login.microsoftonline.com | Out-Null
Connect-MgGraph -Environment PwshTests -AccessToken (ConvertTo-SecureString $args[1] -AsPlainText -Force) -NoWelcome
$cmd = 'Set-MgBetaCommunicationPresenceUserPreferredPresence'
"""

# Records what a statement wrote to each stream, and its terminating error if any.
CAPTURE = r"""
function Capture([scriptblock] $Block) {
    # Module functions read preferences from the global scope, not from their caller's.
    $saved = $global:ErrorActionPreference; $global:ErrorActionPreference = 'Continue'
    $all = @(); $thrown = $null
    try { $all = @(& $Block 2>&1 3>$null 4>$null 5>$null 6>$null) }
    catch { $thrown = $_ }
    finally { $global:ErrorActionPreference = $saved }
    $err = @($all | Where-Object { $_ -is [System.Management.Automation.ErrorRecord] })
    $out = @($all | Where-Object { $_ -isnot [System.Management.Automation.ErrorRecord] })
    $describe = { param($e) if ($e) { [ordered]@{
        fqid = $e.FullyQualifiedErrorId; category = "$($e.CategoryInfo.Category)"; activity = $e.CategoryInfo.Activity
        message = $e.Exception.Message; details = $e.ErrorDetails.Message; action = $e.ErrorDetails.RecommendedAction
        exception = $e.Exception.GetType().FullName; command = "$($e.InvocationInfo.MyCommand.Name)" } } }
    [ordered]@{
        output = @($out | ForEach-Object { [ordered]@{ type = $_.GetType().FullName; value = "$_" } })
        errors = @($err | ForEach-Object { & $describe $_ })
        thrown = & $describe $thrown
    }
}
"""


@pytest.fixture
def pwsh_json(pwsh) -> Callable[..., Any]:
    """Run a script whose last output line is JSON; return it parsed (fails with stderr otherwise)."""

    def run(script: str, *args: str) -> Any:
        result = pwsh(CAPTURE + script, *args)
        lines = result.stdout.strip().splitlines()
        assert result.returncode == 0 and lines, f"pwsh failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
        try:
            return json.loads(lines[-1])
        except json.JSONDecodeError:
            pytest.fail(f"pwsh did not end with JSON:\n{result.stdout}\n{result.stderr}")

    return run
