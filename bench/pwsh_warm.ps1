# Warm per-call timings inside one pwsh process; run by bench/pwsh_warm.py, which prints the table.
#
# Sides, alternating in rounds so drift hits all alike:
#   cmdlet      Set-MgBetaCommunicationPresenceUserPreferredPresence (the module under test)
#   httpclient  a raw [System.Net.Http.HttpClient] POST of the identical request (one client, reused)
#   irm         Invoke-RestMethod of the identical request
# Then the pipeline case: identity hashtables piped into the cmdlet vs a foreach of HttpClient POSTs.
# Writes one JSON object (per-call samples in ms) to stdout.
param(
    [Parameter(Mandatory)] [string] $Root,
    [Parameter(Mandatory)] [string] $GraphUrl,
    [Parameter(Mandatory)] [string] $Token,
    [Parameter(Mandatory)] [string] $Path,
    [Parameter(Mandatory)] [string] $Body,
    [int] $Calls = 1000,
    [int] $Rounds = 10,
    [int] $Warmup = 100,
    [int] $PipelineItems = 1000,
    [int] $PipelineRepeats = 3
)
$ErrorActionPreference = 'Stop'
$PresenceId = '6e7b0b1c-8a1f-4f3e-9f1a-2b3c4d5e6f70'

Import-Module (Join-Path $Root 'Microsoft.Graph.Beta.CloudCommunications.psd1')
Add-MgEnvironment -Name Bench -GraphEndpoint $GraphUrl -AzureADEndpoint 'https://login.microsoftonline.com' | Out-Null
Connect-MgGraph -Environment Bench -AccessToken (ConvertTo-SecureString $Token -AsPlainText -Force) -NoWelcome

$client = [System.Net.Http.HttpClient]::new()
$uri = [uri]($GraphUrl + $Path)
$irmHeaders = @{ Authorization = "Bearer $Token" }

function Send-Raw([uri] $Target) {
    $req = [System.Net.Http.HttpRequestMessage]::new([System.Net.Http.HttpMethod]::Post, $Target)
    $null = $req.Headers.TryAddWithoutValidation('Authorization', "Bearer $Token")
    $req.Content = [System.Net.Http.StringContent]::new($Body, [System.Text.Encoding]::UTF8, 'application/json')
    $resp = $client.SendAsync($req).GetAwaiter().GetResult()
    if (-not $resp.IsSuccessStatusCode) { throw "HttpClient: HTTP $([int]$resp.StatusCode)" }
    $resp.Dispose()
    $req.Dispose()
}

$sides = [ordered]@{
    cmdlet     = { Set-MgBetaCommunicationPresenceUserPreferredPresence -PresenceId $PresenceId -Availability Busy -Activity Busy }
    httpclient = { Send-Raw $uri }
    irm        = { $null = Invoke-RestMethod -Method Post -Uri $uri -Headers $irmHeaders -Body $Body -ContentType 'application/json' }
}
$samples = @{}
foreach ($name in $sides.Keys) {
    $samples[$name] = [System.Collections.Generic.List[double]]::new()
    $block = $sides[$name]
    for ($i = 0; $i -lt $Warmup; $i++) { $null = & $block }
}

$tickMs = 1000.0 / [System.Diagnostics.Stopwatch]::Frequency
$perRound = [int][math]::Floor($Calls / $Rounds)
$names = @($sides.Keys)
for ($r = 0; $r -lt $Rounds; $r++) {
    $order = if ($r % 2 -eq 0) { $names } else { $names[($names.Count - 1)..0] }
    foreach ($name in $order) {
        $block = $sides[$name]
        $out = $samples[$name]
        for ($i = 0; $i -lt $perRound; $i++) {
            $t0 = [System.Diagnostics.Stopwatch]::GetTimestamp()
            $null = & $block
            $out.Add(([System.Diagnostics.Stopwatch]::GetTimestamp() - $t0) * $tickMs)
        }
    }
}

# Pipeline: identity hashtables (what scripts pipe from Import-Csv / Get-MgUser) into the cmdlet.
$items = foreach ($i in 1..$PipelineItems) { @{ PresenceId = "user-$i" } }
$baseUri = $GraphUrl + $Path.Replace($PresenceId, '{0}')
$pipeline = @{ cmdlet = [System.Collections.Generic.List[double]]::new(); foreach = [System.Collections.Generic.List[double]]::new(); error = $null }
for ($r = 0; $r -lt $PipelineRepeats; $r++) {
    $t0 = [System.Diagnostics.Stopwatch]::GetTimestamp()
    foreach ($item in $items) { Send-Raw ([uri]($baseUri -f $item.PresenceId)) }
    $pipeline.foreach.Add(([System.Diagnostics.Stopwatch]::GetTimestamp() - $t0) * $tickMs)
    if (-not $pipeline.error) {
        try {
            $t0 = [System.Diagnostics.Stopwatch]::GetTimestamp()
            $items | Set-MgBetaCommunicationPresenceUserPreferredPresence -Availability Busy -Activity Busy
            $pipeline.cmdlet.Add(([System.Diagnostics.Stopwatch]::GetTimestamp() - $t0) * $tickMs)
        } catch {
            $pipeline.error = "$($_.FullyQualifiedErrorId): $($_.Exception.Message)"
        }
    }
}

[ordered]@{
    samples  = $samples
    pipeline = $pipeline
    perRound = $perRound
    pid      = $PID
} | ConvertTo-Json -Compress -Depth 4
