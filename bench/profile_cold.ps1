# Where a cold pwsh spends its time before the first call returns: a phase-by-phase Stopwatch.
#   pwsh -NoProfile -File bench/profile_cold.ps1 -Root . -GraphUrl <url> -Token <token>
# (bench/profile_cold.py starts an emulator and passes these.) Prints one line per phase, in ms.
param(
    [Parameter(Mandatory)] [string] $Root,
    [Parameter(Mandatory)] [string] $GraphUrl,
    [Parameter(Mandatory)] [string] $Token
)
$ErrorActionPreference = 'Stop'
$sinceStart = ([datetime]::Now - [System.Diagnostics.Process]::GetCurrentProcess().StartTime).TotalMilliseconds
$sw = [System.Diagnostics.Stopwatch]::StartNew()
$phases = [ordered]@{ 'process start -> script' = $sinceStart }
function Mark([string] $Name) { $phases[$Name] = $sw.Elapsed.TotalMilliseconds; $sw.Restart() }

$secure = ConvertTo-SecureString $Token -AsPlainText -Force
Mark 'ConvertTo-SecureString (loads Microsoft.PowerShell.Security)'
Import-Module (Join-Path $Root 'Microsoft.Graph.Beta.CloudCommunications.psd1')
Mark 'Import-Module'
Add-MgEnvironment -Name Bench -GraphEndpoint $GraphUrl -AzureADEndpoint 'https://login.microsoftonline.com' | Out-Null
Mark 'Add-MgEnvironment'
Connect-MgGraph -Environment Bench -AccessToken $secure -NoWelcome
Mark 'Connect-MgGraph -AccessToken'
Set-MgBetaCommunicationPresenceUserPreferredPresence -PresenceId 'u1' -Availability Busy -Activity Busy
Mark 'first call'
Set-MgBetaCommunicationPresenceUserPreferredPresence -PresenceId 'u1' -Availability Busy -Activity Busy
Mark 'second call'
foreach ($p in $phases.GetEnumerator()) { '{0,8:N1} ms  {1}' -f $p.Value, $p.Key }
