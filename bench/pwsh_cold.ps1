# One cold start, run by bench/pwsh_cold.py: import the module, connect with an access token,
# make the first call; then print this process's resident memory (VmRSS, KiB) as the last line.
# -Raw does the same first call with a bare HttpClient instead, without importing the module.
param(
    [Parameter(Mandatory)] [string] $Root,
    [Parameter(Mandatory)] [string] $GraphUrl,
    [Parameter(Mandatory)] [string] $Token,
    [Parameter(Mandatory)] [string] $Path,
    [Parameter(Mandatory)] [string] $Body,
    [switch] $Raw
)
$ErrorActionPreference = 'Stop'
if ($Raw) {
    $client = [System.Net.Http.HttpClient]::new()
    $req = [System.Net.Http.HttpRequestMessage]::new([System.Net.Http.HttpMethod]::Post, [uri]($GraphUrl + $Path))
    $null = $req.Headers.TryAddWithoutValidation('Authorization', "Bearer $Token")
    $req.Content = [System.Net.Http.StringContent]::new($Body, [System.Text.Encoding]::UTF8, 'application/json')
    $resp = $client.SendAsync($req).GetAwaiter().GetResult()
    if (-not $resp.IsSuccessStatusCode) { throw "HttpClient: HTTP $([int]$resp.StatusCode)" }
} else {
    Import-Module (Join-Path $Root 'Microsoft.Graph.Beta.CloudCommunications.psd1')
    Add-MgEnvironment -Name Bench -GraphEndpoint $GraphUrl -AzureADEndpoint 'https://login.microsoftonline.com' | Out-Null
    Connect-MgGraph -Environment Bench -AccessToken (ConvertTo-SecureString $Token -AsPlainText -Force) -NoWelcome
    Set-MgBetaCommunicationPresenceUserPreferredPresence -PresenceId '6e7b0b1c-8a1f-4f3e-9f1a-2b3c4d5e6f70' -Availability Busy -Activity Busy
}
[System.IO.File]::ReadAllLines("/proc/$PID/status") -match '^VmRSS:' -replace '\D', ''
