// Base of the generated internal cmdlet types (Microsoft.Graph.Beta.PowerShell.Cmdlets.*_<Set>).
//
// The original's exported function runs an internal compiled cmdlet, so its error records carry
// that cmdlet's InvocationInfo (the FullyQualifiedErrorId ends with its type name). The host gives
// our records the same (ErrorRecords: the internal command as MyCommand, at the caller's position,
// with the cmdlet's name as InvocationName). The cmdlets are never registered as commands.
// Throwing a terminating error through one (-TerminatingError) is no longer needed: the host throws
// from the function and re-stamps the record (ErrorRecords.Throw), which points at the caller's
// line; the generated functions still accept a PendingTermination, now never returned.
using System.Management.Automation;

namespace PwshCompat.Host
{
    public abstract class InternalCommand : PSCmdlet
    {
        /// <summary>The terminating error to throw as this command.</summary>
        [Parameter(Mandatory = true)]
        public ErrorRecord TerminatingError { get; set; } = null!;

        protected override void ProcessRecord() => ThrowTerminatingError(TerminatingError);
    }

    /// <summary>A terminating error and the internal command that must throw it.</summary>
    public sealed class PendingTermination
    {
        internal PendingTermination(CmdletInfo command, ErrorRecord record)
        {
            Command = command;
            Record = record;
        }

        public CmdletInfo Command { get; }

        public ErrorRecord Record { get; }
    }
}
