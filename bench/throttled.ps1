# Tenant-scale updates at Graph's ceiling; run by bench/throttled.py, which prints the table.
#
# The module is loaded by name (installed by the driver), as an admin's script loads it; the updates
# run through ForEach-Object -Parallel, whose runspaces autoload the cmdlet. A Stopwatch times the
# updates only (not pwsh's start, the import or the sign-in). Writes one JSON object to stdout:
# the seconds and the errors the updates surfaced (one string per failed update).
param(
    [Parameter(Mandatory)] [string] $GraphUrl,
    [Parameter(Mandatory)] [string] $Token,
    [Parameter(Mandatory)] [int] $Count,
    [Parameter(Mandatory)] [string] $Prefix,
    [int] $ThrottleLimit = 16,
    # Time the same loop with an empty body instead: what ForEach-Object -Parallel itself costs here.
    [switch] $EmptyLoop
)
$ErrorActionPreference = 'Stop'

Import-Module Microsoft.Graph.Beta.CloudCommunications
Add-MgEnvironment -Name BenchThrottled -GraphEndpoint $GraphUrl -AzureADEndpoint 'https://login.microsoftonline.com' | Out-Null
Connect-MgGraph -Environment BenchThrottled -AccessToken (ConvertTo-SecureString $Token -AsPlainText -Force) -NoWelcome

# The pairs setUserPreferredPresence accepts; user N gets pair N % 6 (bench/throttled.py checks it).
$pairs = @(@('Available', 'Available'), @('Busy', 'Busy'), @('DoNotDisturb', 'DoNotDisturb'),
           @('BeRightBack', 'BeRightBack'), @('Away', 'Away'), @('Offline', 'OffWork'))

if ($EmptyLoop) {
    $watch = [System.Diagnostics.Stopwatch]::StartNew()
    $null = 0..($Count - 1) | ForEach-Object -ThrottleLimit $ThrottleLimit -Parallel { $pair = ($using:pairs)[$_ % 6] }
    $watch.Stop()
    [ordered]@{ seconds = $watch.Elapsed.TotalSeconds; errors = @() } | ConvertTo-Json -Compress
    return
}

$watch = [System.Diagnostics.Stopwatch]::StartNew()
$errors = 0..($Count - 1) | ForEach-Object -ThrottleLimit $ThrottleLimit -Parallel {
    $pair = ($using:pairs)[$_ % 6]
    $failed = $null
    Set-MgBetaCommunicationPresenceUserPreferredPresence -PresenceId "$($using:Prefix)$_" -Availability $pair[0] `
        -Activity $pair[1] -ErrorVariable failed -ErrorAction SilentlyContinue
    if ($failed) { "$($_): $($failed[0].FullyQualifiedErrorId): $($failed[0].Exception.Message)" }
}
$watch.Stop()

[ordered]@{ seconds = $watch.Elapsed.TotalSeconds; errors = @($errors) } | ConvertTo-Json -Compress
