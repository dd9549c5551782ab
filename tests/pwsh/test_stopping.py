"""Ctrl+C stops a call into Python (issue 14.6).

``PowerShell.Stop()`` on a runspace whose command waits on a server that never answers, on a retry
wait, or on a device-code sign-in nobody approves: the stop completes (the script waits for it a
bounded time and records whether it did), the command ends with PipelineStoppedException, the
request's connection is closed, and the session keeps working. The server that never answers is
a TcpListener in the script itself, so the script knows when the request has been sent.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.family_rows import FROM_JSON_PS

SCRIPT = r"""
$Graph, $Token, $Login, $Tenant = $args[0..3]
$manifest = (Resolve-Path ./Microsoft.Graph.Beta.CloudCommunications.psd1).Path
Import-Module $manifest
$listener = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
$listener.Start()
$null = Add-MgEnvironment -Name Hang -GraphEndpoint "http://127.0.0.1:$($listener.LocalEndpoint.Port)" -AzureADEndpoint https://login.microsoftonline.com
$null = Add-MgEnvironment -Name Emu -GraphEndpoint $Graph -AzureADEndpoint $Login
$secureToken = ConvertTo-SecureString $Token -AsPlainText -Force
Connect-MgGraph -Environment Hang -AccessToken $secureToken -NoWelcome
$r = [ordered]@{}

function Start-InRunspace([scriptblock] $Block, [powershell] $Ps = [powershell]::Create()) {
    $Ps.Commands.Clear()
    $null = $Ps.AddScript($Block).AddArgument($manifest)
    @{ ps = $Ps; async = $Ps.BeginInvoke() }
}

# Accepts the next connection and reads one whole request: the client is then waiting for the answer.
function Receive-Request {
    $accept = $listener.AcceptTcpClientAsync()
    if (-not $accept.Wait(60000)) { return $null }
    $stream = $accept.Result.GetStream()
    $stream.ReadTimeout = 60000
    $head = [System.Text.StringBuilder]::new()
    while (-not $head.ToString().EndsWith("`r`n`r`n")) {
        $b = $stream.ReadByte()
        if ($b -lt 0) { break }
        $null = $head.Append([char]$b)
    }
    if ($head.ToString() -match '(?im)^Content-Length:\s*(\d+)') {
        $body = [byte[]]::new([int]$Matches[1]); $read = 0
        while ($read -lt $body.Length) { $n = $stream.Read($body, $read, $body.Length - $read); if ($n -le 0) { break }; $read += $n }
    }
    @{ stream = $stream; line = $head.ToString().Split("`r`n")[0] }
}

function Test-ClosedByClient($Request) {
    try { $Request.stream.ReadByte() -eq -1 }
    catch { $_.Exception.InnerException -is [System.Net.Sockets.SocketException] -and $_.Exception.InnerException.SocketErrorCode -ne 'TimedOut' }
}

function Stop-Runspace($Running) {
    $stop = $Running.ps.BeginStop($null, $null)
    $o = [ordered]@{ stopped = $stop.AsyncWaitHandle.WaitOne(60000); state = "$($Running.ps.InvocationStateInfo.State)" }
    try { $null = $Running.ps.EndInvoke($Running.async); $o.error = 'none' }
    catch { $o.error = $_.Exception.InnerException.GetType().FullName }
    $o
}

# A cmdlet call against a server that never answers.
$cmdlet = Start-InRunspace { param($m) Import-Module $m; Set-MgBetaCommunicationPresenceUserPreferredPresence -PresenceId hang -Availability Busy -Activity Busy -PassThru }
$request = Receive-Request
$r.cmdletRequest = $request.line
$r.cmdlet = Stop-Runspace $cmdlet
$r.cmdletClosed = Test-ClosedByClient $request

# Invoke-MgGraphRequest against it.
$invoke = Start-InRunspace { param($m) Import-Module $m; Invoke-MgGraphRequest -Uri /v1.0/users/hang/presence }
$request = Receive-Request
$r.invokeRequest = $request.line
$r.invoke = Stop-Runspace $invoke
$r.invokeClosed = Test-ClosedByClient $request

# Throttled: the retry waits Retry-After (at most 180 s) before it would ask again.
$retry = Start-InRunspace { param($m) Import-Module $m; Set-MgBetaCommunicationPresenceUserPreferredPresence -PresenceId throttled -Availability Busy -Activity Busy -PassThru }
$request = Receive-Request
$answer = [System.Text.Encoding]::ASCII.GetBytes("HTTP/1.1 429 Too Many Requests`r`nRetry-After: 600`r`nContent-Length: 0`r`n`r`n")
$request.stream.Write($answer, 0, $answer.Length)
$request.stream.Flush()
$r.retryRequest = $request.line
$r.retry = Stop-Runspace $retry
$r.retryAskedAgain = $listener.Pending() -or $request.stream.DataAvailable

# The session and the stopped runspace keep working.
Connect-MgGraph -Environment Emu -AccessToken $secureToken -NoWelcome
$r.sessionAfter = Set-MgBetaCommunicationPresenceUserPreferredPresence -PresenceId after -Availability Busy -Activity Busy -PassThru
# (A PowerShell object whose invocation was stopped hands back no output from its next one, so a
# new one runs on the same runspace.)
$sameRunspace = [powershell]::Create()
$sameRunspace.Runspace = $cmdlet.ps.Runspace
$again = Start-InRunspace { param($m) Import-Module $m; Set-MgBetaCommunicationPresenceUserPreferredPresence -PresenceId again -Availability Away -Activity Away -PassThru } $sameRunspace
$r.runspaceAfter = @($again.ps.EndInvoke($again.async))
$r.runspaceErrors = @($again.ps.Streams.Error | ForEach-Object { "$_" })

# A device-code sign-in nobody approves: stopped while msal polls the token endpoint.
$signIn = Start-InRunspace ([scriptblock]::Create("param(`$m) Import-Module `$m; Connect-MgGraph -Environment Emu -UseDeviceCode -TenantId '$Tenant' -ContextScope Process -NoWelcome"))
$deadline = [datetime]::UtcNow.AddSeconds(60)
do {
    Start-Sleep -Milliseconds 100
    $polls = @(Invoke-RestMethod "$Graph/_emulator/login-requests" | Where-Object { $_.method -eq 'POST' -and $_.path -like '*/oauth2/v2.0/token' })
} until ($polls.Count -gt 0 -or [datetime]::UtcNow -gt $deadline)
$r.signInPolled = $polls.Count -gt 0
$r.signIn = Stop-Runspace $signIn
$r.contextAfterSignIn = $null -eq (Get-MgContext)
Connect-MgGraph -Environment Emu -AccessToken $secureToken -NoWelcome
$r.afterSignIn = Set-MgBetaCommunicationPresenceUserPreferredPresence -PresenceId last -Availability Busy -Activity Busy -PassThru
$r | ConvertTo-Json -Compress -Depth 4
"""

STOPPED = {"stopped": True, "state": "Stopped", "error": "System.Management.Automation.PipelineStoppedException"}


def test_stop_ends_requests_retries_and_device_code_sign_in(emulator, pwsh_json, monkeypatch):
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", emulator.ca_bundle)
    r = pwsh_json(SCRIPT, emulator.graph_url, emulator.issue_token(), emulator.login_url, emulator.tenant_id)
    assert r["cmdletRequest"] == "POST /beta/communications/presences/hang/microsoft.graph.setUserPreferredPresence HTTP/1.1"
    assert r["cmdlet"] == STOPPED and r["cmdletClosed"] is True
    assert r["invokeRequest"] == "GET /v1.0/users/hang/presence HTTP/1.1"
    assert r["invoke"] == STOPPED and r["invokeClosed"] is True
    assert r["retryRequest"].startswith("POST /beta/communications/presences/throttled/")
    assert r["retry"] == STOPPED and r["retryAskedAgain"] is False
    assert r["sessionAfter"] is True and r["runspaceAfter"] == [True]
    assert r["signInPolled"] is True
    assert r["signIn"] == STOPPED
    assert r["contextAfterSignIn"] is True and r["afterSignIn"] is True
    sent = [req.path.split("/")[4] for req in emulator.requests if "/presences/" in req.path]
    assert sent == ["after", "again", "last"]


# --- Brief K item 6: a pipeline step's $callback.Token is the call's, cancelled by a stop -----------

STEP_SCRIPT = r"""
$manifest = (Resolve-Path ./Microsoft.Graph.Beta.CloudCommunications.psd1).Path
$v1 = (Resolve-Path ./Microsoft.Graph.CloudCommunications.psd1).Path
$runspace = [runspacefactory]::CreateRunspace()
$runspace.Open()
$setup = [powershell]::Create()
$setup.Runspace = $runspace
$null = $setup.AddScript({
    param($m, $v1, $graph, $token)
    Import-Module $m; Import-Module $v1
    $null = Add-MgEnvironment -Name Steps -GraphEndpoint $graph -AzureADEndpoint https://login.microsoftonline.com
    Connect-MgGraph -Environment Steps -AccessToken (ConvertTo-SecureString $token -AsPlainText -Force) -NoWelcome
}).AddArgument($manifest).AddArgument($v1).AddArgument($args[0]).AddArgument($args[1])
$null = $setup.Invoke()
""" + FROM_JSON_PS + r"""
$results = [ordered]@{}
$stuck = $false
foreach ($case in (Get-Content -Raw $args[2] | ConvertFrom-Json -AsHashtable -DateKind String)) {
    if ($stuck) { $results[$case.id] = [ordered]@{ started = $false; skipped = 'an earlier stop did not complete' }; continue }
    $shared = [hashtable]::Synchronized(@{ started = $false })
    $ps = [powershell]::Create()
    $ps.Runspace = $runspace
    $null = $ps.AddScript({
        param($command, $parameters, $shared)
        # The step waits on its token, as a step awaiting $next.SendAsync with it (or a Task.Delay) would.
        $step = {
            param($request, $callback, $next)
            $shared.started = $true
            $shared.signalled = $callback.Token.WaitHandle.WaitOne(120000)
            $shared.cancelled = $callback.Token.IsCancellationRequested
            $next.SendAsync($request, $callback)
        }.GetNewClosure()
        & $command @parameters -HttpPipelinePrepend $step
    }).AddArgument($case.command).AddArgument((ConvertTo-Argument $case.parameters)).AddArgument($shared)
    $async = $ps.BeginInvoke()
    $deadline = [datetime]::UtcNow.AddSeconds(60)
    while (-not $shared.started -and -not $async.IsCompleted -and [datetime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 20 }
    $o = [ordered]@{ started = $shared.started }
    $stop = $ps.BeginStop($null, $null)
    $o.stopped = $stop.AsyncWaitHandle.WaitOne(60000)
    $o.state = "$($ps.InvocationStateInfo.State)"
    try { $null = $ps.EndInvoke($async); $o.error = 'none' } catch { $o.error = $_.Exception.InnerException.GetType().FullName }
    $o.signalled = $shared.signalled; $o.cancelled = $shared.cancelled
    $results[$case.id] = $o
    $stuck = -not $o.stopped  # one stuck stop is enough to fail; the rest would each wait as long
}
$results | ConvertTo-Json -Compress
"""


def _step_rows() -> list[Any]:
    from pwshcompat import spec as specs
    from tests.family_rows import rows

    out = {}
    for r in rows():
        graph = specs.load(r.command).graph
        assert graph is not None
        if r.command not in out and not graph.operation_for(r.parameter_set).via_identity:
            out[r.command] = r
    return list(out.values())


STEP_ROWS = _step_rows()


@pytest.fixture(scope="module")
def step_outcome(tmp_path_factory: Any) -> Any:
    from pwshcompat.emulator import Emulator
    from tests.conftest import run_pwsh
    from tests.family_rows import to_json

    path = tmp_path_factory.mktemp("steps") / "cases.json"
    path.write_text(json.dumps([{"id": r.id, "command": r.command, "parameters": to_json(r.parameters)} for r in STEP_ROWS]),
                    encoding="utf-8")
    with Emulator() as emu:
        run = run_pwsh(STEP_SCRIPT, emu.graph_url, emu.issue_token(), str(path), timeout=900)
        assert run.returncode == 0, run.stderr
        return json.loads(run.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("row", STEP_ROWS, ids=[r.id for r in STEP_ROWS])
def test_a_stop_cancels_a_pipeline_steps_token(step_outcome: Any, row: Any) -> None:
    got = step_outcome[row.id]
    assert got["started"] is True
    assert {k: got[k] for k in ("stopped", "state", "error")} == STOPPED
    assert got["signalled"] is True and got["cancelled"] is True
