// Base of the generated internal cmdlet types (Microsoft.Graph.Beta.PowerShell.Cmdlets.*_<Set>).
//
// The original's exported function runs an internal compiled cmdlet, so a terminating error it
// throws reaches the caller with that cmdlet's InvocationInfo (the FullyQualifiedErrorId ends with
// its type name). A function's own $PSCmdlet.ThrowTerminatingError would stamp the function
// instead, so the generated function hands such an error to its internal cmdlet, which throws it
// (see CommandBridge.Invoke). The cmdlets are never registered as commands; the function invokes
// their CmdletInfo directly.
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
