# The main job: an ordinary Graph script, pointed at the local emulator instead of a tenant.
param([Parameter(Mandatory)] [string] $GraphUrl)

Import-Module (Join-Path $PSScriptRoot '../Microsoft.Graph.Beta.CloudCommunications.psd1')
Add-MgEnvironment -Name LocalEmulator -GraphEndpoint $GraphUrl -AzureADEndpoint 'https://login.microsoftonline.com' | Out-Null
Connect-MgGraph -Environment LocalEmulator -AccessToken (ConvertTo-SecureString 'demo-token' -AsPlainText -Force) -NoWelcome

$userId = '6e7b0b1c-8a1f-4f3e-9f1a-2b3c4d5e6f70'
$ok = Set-MgBetaCommunicationPresenceUserPreferredPresence -PresenceId $userId `
    -Availability DoNotDisturb -Activity Presenting -ExpirationDuration (New-TimeSpan -Hours 1) -PassThru
"Set-MgBetaCommunicationPresenceUserPreferredPresence returned: $ok"
