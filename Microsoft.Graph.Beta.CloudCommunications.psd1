@{
    RootModule           = 'module/Microsoft.Graph.Beta.CloudCommunications.psm1'
    ModuleVersion        = '0.1.0'
    GUID                 = '4d7b8c39-2f1e-4e55-9a37-6c0f3d1b8a21'
    Author               = 'pwshcompat'
    Description          = 'Set-MgBetaCommunicationPresenceUserPreferredPresence with a Python core.'
    CompatiblePSEditions = @('Core')
    PowerShellVersion    = '7.4'
    FunctionsToExport    = @('Set-MgBetaCommunicationPresenceUserPreferredPresence', 'Add-MgEnvironment', 'Connect-MgGraph')
    CmdletsToExport      = @()
    VariablesToExport    = @()
    AliasesToExport      = @()
}
