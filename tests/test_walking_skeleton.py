"""The thinnest path through every layer: pwsh -> pythonnet -> Python -> HTTP -> emulator."""

from __future__ import annotations

import json

CONNECT = """
Import-Module ./Microsoft.Graph.Beta.CloudCommunications.psd1
Add-MgEnvironment -Name Local -GraphEndpoint $args[0] -AzureADEndpoint https://login.local | Out-Null
Connect-MgGraph -Environment Local -AccessToken (ConvertTo-SecureString $args[1] -AsPlainText -Force) -NoWelcome
"""


def test_pwsh_cmdlet_posts_preferred_presence_and_passes_through_true(emulator, pwsh):
    script = CONNECT + """
$out = Set-MgBetaCommunicationPresenceUserPreferredPresence -PresenceId $args[2] `
    -Availability Busy -Activity Busy -PassThru
@{ type = $out.GetType().FullName; value = $out; count = @($out).Count } | ConvertTo-Json -Compress
"""
    result = pwsh(script, emulator.graph_url, token := emulator.issue_token(), "user/1 é")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == {"type": "System.Boolean", "value": True, "count": 1}

    (request,) = emulator.requests
    assert request.method == "POST"
    assert request.path == "/beta/communications/presences/user%2F1%20%C3%A9/microsoft.graph.setUserPreferredPresence"
    assert request.headers["authorization"] == f"Bearer {token}"
    assert request.json() == {"availability": "Busy", "activity": "Busy"}


def test_pwsh_cmdlet_without_passthru_writes_nothing(emulator, pwsh):
    script = CONNECT + """
$out = Set-MgBetaCommunicationPresenceUserPreferredPresence -PresenceId u1 -Availability Away -Activity Away
"count=$(@($out).Count)"
"""
    result = pwsh(script, emulator.graph_url, emulator.issue_token())
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "count=0"
    assert len(emulator.requests) == 1


def test_python_api_posts_the_same_request(emulator):
    import pwshcompat

    pwshcompat.Add_MgEnvironment(Name="PyLocal", GraphEndpoint=emulator.graph_url, AzureADEndpoint="https://login.local")
    pwshcompat.Connect_MgGraph(Environment="PyLocal", AccessToken=(token := emulator.issue_token()))
    out = pwshcompat.Set_MgBetaCommunicationPresenceUserPreferredPresence(
        PresenceId="u2", Availability="DoNotDisturb", Activity="DoNotDisturb", PassThru=True
    )
    assert out is True
    (request,) = emulator.requests
    assert request.path == "/beta/communications/presences/u2/microsoft.graph.setUserPreferredPresence"
    assert request.headers["authorization"] == f"Bearer {token}"
    assert request.json() == {"availability": "DoNotDisturb", "activity": "DoNotDisturb"}
