// The PowerShell process's environment, passed on to Python before each call.
//
// .NET on Unix reads the C environment once and keeps its own copy: `$env:X = ...` in a session
// changes that copy only, so Python's os.environ (read from the C environment when Python started)
// never saw it, and `Connect-MgGraph -EnvironmentVariable`, proxies or REQUESTS_CA_BUNDLE set in the
// session were ignored (issue 14.1). Before each call the host compares .NET's environment with what
// it last gave Python and hands over only the differences (pwshcompat.bridge.update_environment);
// when nothing changed, which is nearly always, the call costs one copy of the environment block
// (a few microseconds) and no call into Python.
using System;
using System.Collections;
using System.Collections.Generic;
using Python.Runtime;

namespace PwshCompat.Host
{
    internal static class SessionEnvironment
    {
        // What Python's os.environ was last given; null before the first call. Read and written
        // with the GIL held, which serialises the runspaces that call at the same time.
        private static Dictionary<string, string>? synced;

        /// <summary>
        /// Gives <paramref name="update"/> (pwshcompat.bridge.update_environment) the variables that
        /// changed since the last call, the first time all of them. Call with the GIL held.
        /// </summary>
        public static void Sync(PyObject update)
        {
            IDictionary now = Environment.GetEnvironmentVariables();
            Dictionary<string, string>? before = synced;
            PyDict? changes = null;
            int added = 0;
            try
            {
                foreach (DictionaryEntry entry in now)
                {
                    var name = (string)entry.Key;
                    var value = entry.Value as string ?? string.Empty;
                    if (before is not null && before.TryGetValue(name, out string? old))
                    {
                        if (ReferenceEquals(old, value) || string.Equals(old, value, StringComparison.Ordinal))
                        {
                            continue;
                        }
                    }
                    else
                    {
                        added++;
                    }
                    changes ??= new PyDict();
                    using var pyValue = new PyString(value);
                    changes[name] = pyValue;
                }
                if (before is not null && before.Count + added != now.Count)
                {
                    foreach (string name in before.Keys)
                    {
                        if (!now.Contains(name))
                        {
                            changes ??= new PyDict();
                            changes[name] = PyObject.None;
                        }
                    }
                }
                if (changes is null)
                {
                    return;
                }
                using var complete = new PyInt(before is null ? 1 : 0);
                update.Invoke(changes, complete).Dispose();
            }
            finally
            {
                changes?.Dispose();
            }
            var copy = new Dictionary<string, string>(now.Count, StringComparer.Ordinal);
            foreach (DictionaryEntry entry in now)
            {
                copy[(string)entry.Key] = entry.Value as string ?? string.Empty;
            }
            synced = copy;
        }
    }
}
