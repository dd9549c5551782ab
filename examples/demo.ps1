# The main job: an ordinary Microsoft Graph PowerShell script using the presence family (both modules),
# dry-run against the local emulator.
#
#   pwsh examples/demo.ps1                       # one step: Connect-MgGraph -Environment Emulator
#   scripts/demo                                 # against a separately started emulator (python -m pwshcompat.emulator)
#
# With -GraphUrl/-LoginUrl/-TenantId the script signs in to that emulator with a client secret (its open
# tenant accepts any app id and secret). The sign-in endpoint is https with the emulator's own CA: the
# caller trusts it explicitly by exporting REQUESTS_CA_BUNDLE=<the CA file the emulator printed> before
# starting pwsh (scripts/demo does); certificate verification is never switched off.
param(
    [string] $GraphUrl,
    [string] $LoginUrl,
    [string] $TenantId,
    [string] $UserId = '6e7b0b1c-8a1f-4f3e-9f1a-2b3c4d5e6f70'
)
$ErrorActionPreference = 'Stop'
Import-Module (Join-Path $PSScriptRoot '../Microsoft.Graph.Beta.CloudCommunications.psd1')
Import-Module (Join-Path $PSScriptRoot '../Microsoft.Graph.CloudCommunications.psd1')

function Show-Presence([string] $When) {
    $p = Get-MgUserPresence -UserId $UserId
    '{0,-44} {1}/{2}' -f $When, $p.Availability, $p.Activity
}

# The environment the demo adds for the separate emulator is removed again at the end: Add-MgEnvironment
# saves it in ~/.mg/mg.context.json, which outlives this run (and which Microsoft's module reads too).
try {
    # 1. Connect (sign-in through the emulator's token endpoint).
    if ($GraphUrl) {
        Add-MgEnvironment -Name LocalEmulator -GraphEndpoint $GraphUrl -AzureADEndpoint $LoginUrl | Out-Null
        $secret = ConvertTo-SecureString 'any-secret-works-in-the-open-tenant' -AsPlainText -Force
        $credential = [pscredential]::new('3f1c9a57-demo-4e2b-9d0a-presence-bot', $secret)
        Connect-MgGraph -Environment LocalEmulator -TenantId $TenantId -ClientSecretCredential $credential -NoWelcome
    } else {
        Connect-MgGraph -Environment Emulator -NoWelcome
    }
    $context = Get-MgContext
    $graph = (Get-MgEnvironment -Name $context.Environment).GraphEndpoint
    "Connected to $graph as app $($context.ClientId) ($($context.AuthType), scopes: $($context.Scopes -join ' '))"
    ''

    # 2. Set the user's preferred presence, exactly as a production script would.
    $ok = Set-MgBetaCommunicationPresenceUserPreferredPresence -PresenceId $UserId `
        -Availability DoNotDisturb -Activity DoNotDisturb -ExpirationDuration (New-TimeSpan -Hours 1) -PassThru
    "Set-MgBetaCommunicationPresenceUserPreferredPresence -PassThru returned: $ok"

    # 3. Read it back. A preferred presence only shows while the user has a presence session (Graph's
    #    rule): the app opens one with setPresence (its client id is the session id).
    Show-Presence 'Presence with no session yet:'
    Set-MgUserPresence -UserId $UserId -SessionId $context.ClientId -Availability Available -Activity Available `
        -ExpirationDuration (New-TimeSpan -Hours 1)
    Show-Presence 'Presence after the app opened a session:'

    # 4. A status message that expires, read back as a typed object.
    Set-MgUserPresenceStatusMessage -UserId $UserId -StatusMessage @{
        Message        = @{ Content = 'Dry run: focusing until noon'; ContentType = 'text' }
        ExpiryDateTime = @{ DateTime = (Get-Date).ToUniversalTime().AddHours(3).ToString('s'); TimeZone = 'UTC' }
    }
    $presence = Get-MgUserPresence -UserId $UserId
    '{0,-44} {1}' -f 'Status message read back:', $presence.StatusMessage.Message.Content

    # 5. A dry run catches what the real service would refuse: Busy/InACall is not a preferred-presence pair.
    Set-MgBetaCommunicationPresenceUserPreferredPresence -PresenceId $UserId -Availability Busy -Activity InACall `
        -ErrorAction SilentlyContinue -ErrorVariable refused
    "Refused as Graph would: $($refused[0].FullyQualifiedErrorId)"
    "  $(($refused[0].Exception.Message -split "`n")[0])"

    # 6. End of the day: close the app's session, drop the preference, read everyone back in one call.
    Clear-MgUserPresence -UserId $UserId -SessionId $context.ClientId
    Clear-MgBetaUserPresenceUserPreferredPresence -UserId $UserId
    Get-MgCommunicationPresenceByUserId -Ids $UserId | Format-Table Id, Availability, Activity | Out-String -Stream |
        Where-Object { $_.Trim() }
    ''

    # 7. What the emulator saw (its control API on the Graph port needs no token).
    'Sign-in requests the emulator received:'
    (Invoke-RestMethod -Uri "$graph/_emulator/login-requests") | ForEach-Object { '      {0,-4} {1}' -f $_.method, $_.path }
    'Graph requests the emulator received:'
    (Invoke-RestMethod -Uri "$graph/_emulator/requests") | ForEach-Object { '  {0} {1,-4} {2}' -f $_.status, $_.method, $_.path }
} finally {
    if ($GraphUrl -and (Get-MgEnvironment -Name LocalEmulator)) { Remove-MgEnvironment -Name LocalEmulator | Out-Null }
}
