// Base of the generated internal cmdlet types (Microsoft.Graph.Beta.PowerShell.Cmdlets.*_<Set>).
//
// The original's exported function runs an internal compiled cmdlet, so its error records carry
// that cmdlet's InvocationInfo (the FullyQualifiedErrorId ends with its type name). The host gives
// our records the same (ErrorRecords: the internal command as MyCommand, at the caller's position,
// with the cmdlet's name as InvocationName). The types are only named: never registered as
// commands, never run (terminating errors are thrown from the function, ErrorRecords.Throw).
using System.Management.Automation;

namespace PwshCompat.Host
{
    public abstract class InternalCommand : PSCmdlet
    {
    }
}
