// What one Python command invocation produced, converted to .NET while the GIL is held and
// replayed into PowerShell after it is released (downstream pipeline code may run on WriteObject).
using System;
using System.Collections.Generic;
using System.Management.Automation;
using Python.Runtime;

namespace PwshCompat.Host
{
    internal sealed class InvocationResult
    {
        private readonly List<object?> output = new();
        private readonly List<PendingError> errors = new();
        private readonly List<string> warnings = new();
        private readonly List<string> verbose = new();
        private readonly List<string> debug = new();
        private readonly List<string> information = new();
        private readonly List<KeyValuePair<string, object?>> variables = new();
        private PendingError? terminating;

        /// <summary>Reads the dict pwshcompat.bridge.invoke_host returns.</summary>
        public static InvocationResult From(PyObject raw, PythonTypes types)
        {
            var result = new InvocationResult();
            using (var output = raw["output"])
            {
                foreach (PyObject item in output.Each())
                {
                    using (item)
                    {
                        result.output.Add(FromPython.Convert(item, types));
                    }
                }
            }
            Strings(raw, "warnings", result.warnings);
            Strings(raw, "verbose", result.verbose);
            Strings(raw, "debug", result.debug);
            Strings(raw, "information", result.information);
            using (var errors = raw["errors"])
            {
                foreach (PyObject record in errors.Each())
                {
                    using (record)
                    {
                        result.errors.Add(ErrorRecords.Read(record, types));
                    }
                }
            }
            using (var variables = raw["variables"])
            using (var items = variables.InvokeMethod("items"))
            {
                foreach (PyObject pair in items.Each())
                {
                    using (pair)
                    using (var key = pair[0])
                    using (var value = pair[1])
                    {
                        result.variables.Add(new(key.ToString()!, FromPython.Convert(value, types)));
                    }
                }
            }
            using (var terminating = raw["terminating"])
            {
                if (!terminating.IsNone())
                {
                    result.terminating = ErrorRecords.Read(terminating, types);
                }
            }
            return result;
        }

        private static void Strings(PyObject raw, string key, List<string> into)
        {
            using var list = raw[key];
            foreach (PyObject item in list.Each())
            {
                using (item)
                {
                    into.Add(item.ToString() ?? string.Empty);
                }
            }
        }

        /// <summary>Writes everything to <paramref name="cmdlet"/>; throws its terminating error, if any (ErrorRecords.Throw).</summary>
        public void Replay(PSCmdlet cmdlet)
        {
            foreach (string m in debug)
            {
                cmdlet.WriteDebug(m);
            }
            foreach (string m in verbose)
            {
                cmdlet.WriteVerbose(m);
            }
            foreach (string m in information)
            {
                cmdlet.WriteInformation(new HostInformationMessage { Message = m }, new[] { "PSHOST" });
            }
            foreach (string m in warnings)
            {
                cmdlet.WriteWarning(m);
            }
            foreach (PendingError record in errors)
            {
                ErrorRecords.Write(cmdlet, record);
            }
            if (terminating is not null)
            {
                ErrorRecords.Throw(cmdlet, terminating);
                return;
            }
            foreach (object? o in output)
            {
                cmdlet.WriteObject(o);
            }
            // The original sets $global:<ResponseHeadersVariable> after writing its output.
            foreach (var (name, value) in variables)
            {
                cmdlet.SessionState.PSVariable.Set(new PSVariable("global:" + name, value));
            }
        }
    }
}
