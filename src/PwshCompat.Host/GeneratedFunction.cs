// What a generated function does once PowerShell's binder has bound its parameters, in one call:
//
//     process { [PwshCompat.Host.GeneratedFunction]::Run($PSCmdlet, $PSBoundParameters) }
//
// so each generated function is its param() block plus this line. Run drops values PowerShell left
// in $PSBoundParameters from an earlier pipeline record, answers the binder-parity test hook, asks
// ShouldProcess with the original's target and action (Generated.g.cs, CommandTable) and runs the
// command in Python (CommandBridge.Invoke), which writes its output and errors and throws a
// terminating error itself, re-stamped to point at the caller's line (ErrorRecords.Throw); a
// ShouldProcess that cannot ask is the internal cmdlet's non-terminating error
// (CommandBridge.ShouldProcess).
using System;
using System.Collections;
using System.Collections.Generic;
using System.Management.Automation;

namespace PwshCompat.Host
{
    public static class GeneratedFunction
    {
        /// <summary>
        /// Runs the generated function <paramref name="cmdlet"/> with <paramref name="bound"/> (its
        /// $PSBoundParameters).
        /// </summary>
        public static void Run(PSCmdlet cmdlet, IDictionary bound)
        {
            string name = cmdlet.MyInvocation.MyCommand.Name;
            // The function's own variables: $PSCmdlet.SessionState of a script function is not the
            // module's, whose current scope is the running function's.
            SessionState? scope = cmdlet.MyInvocation.MyCommand.Module?.SessionState;
            IDictionary current = WithoutStalePipelineValues(cmdlet, scope, bound);
            if (scope?.PSVariable.GetValue("PwshCompatBindingProbe") is ScriptBlock probe)
            {
                // Test hook (binder parity): report the binding, call nothing.
                foreach (PSObject o in probe.Invoke(cmdlet.ParameterSetName, current))
                {
                    cmdlet.WriteObject(o);
                }
                return;
            }
            if (CommandTable.ShouldProcessTargets.TryGetValue(name, out IReadOnlyDictionary<string, string>? targets))
            {
                bool go = CommandTable.InternalCommands.TryGetValue(name, out string? internalCommand)
                    ? CommandBridge.ShouldProcess(cmdlet, targets.TryGetValue(cmdlet.ParameterSetName, out string? target) ? target : name,
                                                  internalCommand.Replace("{set}", cmdlet.ParameterSetName))
                    : cmdlet.ShouldProcess(name);
                if (!go)
                {
                    if (internalCommand is not null && CommandBridge.WantsDebug(cmdlet, current))
                    {
                        // The original still writes its -Debug begin, authentication and end records (13.19).
                        var declined = new Hashtable(StringComparer.OrdinalIgnoreCase);
                        foreach (DictionaryEntry entry in current)
                        {
                            declined[entry.Key] = entry.Value;
                        }
                        declined["__ShouldProcessDeclined"] = true;
                        CommandBridge.Invoke(cmdlet, name, declined);
                    }
                    return;
                }
            }
            CommandBridge.Invoke(cmdlet, name, current);
        }

        /// <summary>
        /// PowerShell resets a pipeline-bound parameter before the next record but leaves its key in
        /// $PSBoundParameters; the original (a compiled cmdlet) never sees such stale values. A bound
        /// value whose variable no longer holds that very object is one of those.
        /// </summary>
        private static IDictionary WithoutStalePipelineValues(PSCmdlet cmdlet, SessionState? scope, IDictionary bound)
        {
            if (!cmdlet.MyInvocation.ExpectingInput || scope is null)
            {
                return bound;
            }
            Dictionary<string, ParameterMetadata> parameters = cmdlet.MyInvocation.MyCommand.Parameters;
            var current = new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase);
            foreach (DictionaryEntry entry in bound)
            {
                string key = (string)entry.Key;
                if (parameters.TryGetValue(key, out ParameterMetadata? metadata) && FromPipeline(metadata)
                    && !ReferenceEquals(Base(scope.PSVariable.GetValue(key)), Base(entry.Value)))
                {
                    continue;
                }
                current[key] = entry.Value;
            }
            return current;
        }

        private static object? Base(object? value) => value is PSObject wrapped ? wrapped.BaseObject : value;

        private static bool FromPipeline(ParameterMetadata metadata)
        {
            foreach (ParameterSetMetadata set in metadata.ParameterSets.Values)
            {
                if (set.ValueFromPipeline || set.ValueFromPipelineByPropertyName)
                {
                    return true;
                }
            }
            return false;
        }
    }
}
