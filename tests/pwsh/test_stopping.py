"""Ctrl+C stops a call into Python (issue 14.6).

``PowerShell.Stop()`` on a runspace whose command waits on a server that never answers, on a retry
wait, or on a device-code sign-in nobody approves: the stop completes (the script waits for it a
bounded time and records whether it did), the command ends with PipelineStoppedException, the
request's connection is closed, and the session keeps working. The server that never answers is
a TcpListener in the script itself, so the script knows when the request has been sent.
"""

from __future__ import annotations

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
