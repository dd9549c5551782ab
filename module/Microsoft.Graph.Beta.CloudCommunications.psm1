# Walking-skeleton binding: the generated binding (issue 5) replaces this file.
. (Join-Path $PSScriptRoot 'PwshCompat.Python.ps1')
Initialize-PwshCompatPython

function Set-MgBetaCommunicationPresenceUserPreferredPresence {
    [CmdletBinding(DefaultParameterSetName = 'SetExpanded', PositionalBinding = $false, SupportsShouldProcess, ConfirmImpact = 'Medium')]
    [OutputType([bool])]
    param(
        [Parameter(Mandatory, ParameterSetName = 'SetExpanded')] [string] $PresenceId,
        [Parameter(ParameterSetName = 'SetExpanded')] [string] $Activity,
        [Parameter(ParameterSetName = 'SetExpanded')] [string] $Availability,
        [Parameter(ParameterSetName = 'SetExpanded')] [timespan] $ExpirationDuration,
        [Parameter()] [switch] $PassThru
    )
    process {
        if ($PSCmdlet.ShouldProcess("Call remote 'POST /communications/presences/{presence-id}/microsoft.graph.setUserPreferredPresence' operation",
                "Set-MgBetaCommunicationPresenceUserPreferredPresence_$($PSCmdlet.ParameterSetName)")) {
            Invoke-PwshCompatCommand -Cmdlet $PSCmdlet -Name $MyInvocation.MyCommand.Name -Bound $PSBoundParameters
        }
    }
}

function Add-MgEnvironment {
    [CmdletBinding()]
    param(
        [Parameter(Mandatory)] [string] $Name,
        [Parameter(Mandatory)] [string] $GraphEndpoint,
        [Parameter(Mandatory)] [string] $AzureADEndpoint
    )
    Invoke-PwshCompatCommand -Cmdlet $PSCmdlet -Name $MyInvocation.MyCommand.Name -Bound $PSBoundParameters
}

function Connect-MgGraph {
    [CmdletBinding()]
    param(
        [securestring] $AccessToken,
        [string] $Environment,
        [switch] $NoWelcome
    )
    Invoke-PwshCompatCommand -Cmdlet $PSCmdlet -Name $MyInvocation.MyCommand.Name -Bound $PSBoundParameters
}

Export-ModuleMember -Function Set-MgBetaCommunicationPresenceUserPreferredPresence, Add-MgEnvironment, Connect-MgGraph
