// Error records from the Python core, made to look exactly like the original's.
//
// The original's errors are written by an internal compiled cmdlet (for example
// Microsoft.Graph.Beta.PowerShell.Cmdlets.SetMgBetaCommunicationPresenceUserPreferredPresence_SetExpanded)
// that the exported proxy function calls, so ErrorRecord.FullyQualifiedErrorId ends with that
// type's full name and the message is prefixed with the internal command name. Our exported
// command is a function, whose $PSCmdlet.WriteError would stamp the *function* name instead. So a
// record is given the internal cmdlet's InvocationInfo and told to keep it: PowerShell does the
// same internally for errors it forwards (ErrorRecord.PreserveInvocationInfoOnce).
using System;
using System.Collections.Concurrent;
using System.Management.Automation;
using System.Management.Automation.Language;
using System.Net.Http;
using System.Reflection;
using Python.Runtime;

namespace PwshCompat.Host
{
    /// <summary>An error record plus the .NET type name of the command the original reports it from.</summary>
    internal sealed record PendingError(ErrorRecord Record, string Command);

    internal static class ErrorRecords
    {
        private const BindingFlags Internal = BindingFlags.Instance | BindingFlags.NonPublic;
        private static readonly MethodInfo? SetInvocationInfo = typeof(ErrorRecord).GetMethod("SetInvocationInfo", Internal);
        private static readonly PropertyInfo? PreserveInvocationInfoOnce = typeof(ErrorRecord).GetProperty("PreserveInvocationInfoOnce", Internal);
        private static readonly PropertyInfo? ScriptPosition = typeof(InvocationInfo).GetProperty("ScriptPosition", Internal);
        private static readonly PropertyInfo? InvocationName = typeof(InvocationInfo).GetProperty(nameof(InvocationInfo.InvocationName));
        private static readonly ConcurrentDictionary<string, CmdletInfo?> CommandInfos = new();

        /// <summary>Reads a record dict produced by pwshcompat.bridge (see _record there).</summary>
        public static PendingError Read(PyObject record, PythonTypes types)
        {
            string message = Text(record, "message") ?? string.Empty;
            string errorId = Text(record, "error_id") ?? string.Empty;
            string command = Text(record, "command") ?? string.Empty;
            string? details = Text(record, "details_message");
            string? action = Text(record, "recommended_action");
            if (!Enum.TryParse(Text(record, "category"), out ErrorCategory category))
            {
                category = ErrorCategory.NotSpecified;
            }
            object? target;
            using (var t = record["target"])
            {
                target = FromPython.Convert(t, types);
            }
            // An HTTP error carries its response: the exception gets it (HttpResponseException.Response)
            // and, as in the original, the request is the record's target.
            HttpResponseMessage? response = null;
            using (var key = new PyString("response"))
            using (var r = record.InvokeMethod("get", key))
            {
                if (!r.IsNone())
                {
                    response = HttpMessages.FromPython(r);
                    target = response.RequestMessage;
                }
            }
            var er = new ErrorRecord(NewException(Text(record, "exception_type"), message, response), errorId, category, target);
            if (Text(record, "target_name") is string targetName)
            {
                // The original's target is an anonymous object: CategoryInfo shows its text ({ PresenceId = u1, ... }).
                er.CategoryInfo.TargetName = targetName;
            }
            if (details is not null)
            {
                er.ErrorDetails = new ErrorDetails(details);
                if (action is not null)
                {
                    er.ErrorDetails.RecommendedAction = action;
                }
            }
            return new PendingError(er, command);
        }

        public static void Write(PSCmdlet cmdlet, PendingError error) => cmdlet.WriteError(Attribute(cmdlet, error));

        /// <summary>
        /// Throws the terminating error from the calling function, as the original's proxy function
        /// does: it reaches the caller pointing at the caller's line, with the cmdlet's name as
        /// InvocationName and the internal command in MyCommand (so FullyQualifiedErrorId ends with
        /// its type), and -ErrorVariable gets it once (issue 13.14). ThrowTerminatingError stamps the
        /// record with the function's invocation; the record is the one PowerShell rethrows at the
        /// caller, so it is stamped again on the way out. Never returns normally.
        /// </summary>
        public static void Throw(PSCmdlet cmdlet, PendingError error)
        {
            InvocationInfo? invocation = Invocation(cmdlet, error);
            try
            {
                cmdlet.ThrowTerminatingError(error.Record);
            }
            finally
            {
                if (invocation is not null)
                {
                    SetInvocationInfo!.Invoke(error.Record, new object[] { invocation });
                }
            }
        }

        private static ErrorRecord Attribute(PSCmdlet cmdlet, PendingError error)
        {
            InvocationInfo? invocation = Invocation(cmdlet, error);
            if (invocation is null || PreserveInvocationInfoOnce is null)
            {
                return error.Record;
            }
            SetInvocationInfo!.Invoke(error.Record, new object[] { invocation });
            PreserveInvocationInfoOnce.SetValue(error.Record, true);
            return error.Record;
        }

        /// <summary>
        /// The invocation the original's record carries: the internal command the record names, at
        /// the caller's position (where the function was called), invoked by the cmdlet's name; null
        /// when the record names no command of this assembly.
        /// </summary>
        private static InvocationInfo? Invocation(PSCmdlet cmdlet, PendingError error)
        {
            CmdletInfo? info = error.Command.Length == 0 ? null : CommandInfos.GetOrAdd(error.Command, FindCommand);
            if (info is null || SetInvocationInfo is null)
            {
                return null;
            }
            var position = ScriptPosition?.GetValue(cmdlet.MyInvocation) as IScriptExtent;
            var invocation = InvocationInfo.Create(info, position);
            InvocationName?.SetValue(invocation, cmdlet.MyInvocation.MyCommand?.Name ?? info.Name);
            return invocation;
        }

        /// <summary>
        /// The internal cmdlet (generated into this assembly) that <paramref name="command"/> names,
        /// by its type's full name or by its command name (Set-..._SetExpanded).
        /// </summary>
        private static CmdletInfo? FindCommand(string command)
        {
            foreach (Type type in typeof(ErrorRecords).Assembly.GetExportedTypes())
            {
                if (!typeof(PSCmdlet).IsAssignableFrom(type) || type.GetCustomAttribute<CmdletAttribute>() is not CmdletAttribute attribute)
                {
                    continue;
                }
                string name = $"{attribute.VerbName}-{attribute.NounName}";
                if (string.Equals(type.FullName, command, StringComparison.Ordinal)
                    || string.Equals(name, command, StringComparison.OrdinalIgnoreCase))
                {
                    return new CmdletInfo(name, type);
                }
            }
            return null;
        }

        /// <summary>
        /// The exception <paramref name="typeName"/> names, made with <paramref name="message"/> (and
        /// <paramref name="response"/> when the type takes one); System.Exception when no loaded type fits.
        /// </summary>
        private static Exception NewException(string? typeName, string message, HttpResponseMessage? response)
        {
            if (!string.IsNullOrEmpty(typeName) && typeName != "System.Exception")
            {
                foreach (Assembly assembly in AppDomain.CurrentDomain.GetAssemblies())
                {
                    Type? type = assembly.GetType(typeName, throwOnError: false);
                    if (type is { IsGenericTypeDefinition: true } && type.GetGenericArguments().Length == 1)
                    {
                        type = type.MakeGenericType(typeof(object)); // RestException`1: its error model is not kept
                    }
                    if (type is null || !typeof(Exception).IsAssignableFrom(type))
                    {
                        continue;
                    }
                    if (response is not null && type.GetConstructor(new[] { typeof(string), typeof(HttpResponseMessage) }) is ConstructorInfo withResponse)
                    {
                        return (Exception)withResponse.Invoke(new object[] { message, response });
                    }
                    if (type.GetConstructor(new[] { typeof(string) }) is ConstructorInfo ctor)
                    {
                        return (Exception)ctor.Invoke(new object[] { message });
                    }
                }
            }
            return new Exception(message);
        }

        private static string? Text(PyObject record, string key)
        {
            using var value = record.InvokeMethod("get", new PyString(key));
            return value.IsNone() ? null : value.ToString();
        }
    }
}
