// Finds the Python to host: its libpython, and where available the interpreter setup to start it
// with (executable, home, site-packages). First match wins:
//   1. PYTHONNET_PYDLL (pythonnet's own variable), with PWSHCOMPAT_PYTHON naming the interpreter
//      whose setup to use (optional);
//   2. module/bin/python.paths or python.json, written by scripts/setup (or install-module) from
//      the Python that has the dependencies;
//   3. discovery: PWSHCOMPAT_PYTHON, then python3 on PATH, then /usr/bin/python3: the first that
//      imports requests, msal and pwshcompat (from its site-packages, or the folder above the
//      module's, a checkout) is asked where its shared libpython is, and for its setup. A module
//      installed from a PowerShell package has no python.paths and relies on this.
// A PWSHCOMPAT_PYTHON that names no usable interpreter is never passed over in silence: Find then
// returns null with the reason (no such file, cannot run, lacks a package, no shared libpython),
// which the module's error names. With python.paths only a cheap check runs (that it exists), so
// the cold start spawns no process.
// The setup is recorded because an embedded CPython otherwise derives its home from the first
// python3 on PATH: with a venv or another CPython first there, it took that one's prefix, standard
// library or site-packages beside the recorded libpython (issue 14.8). CommandBridge starts Python
// with the recorded setup set explicitly.
// Done in C# rather than in the module's script so an import loads no extra PowerShell modules
// (ConvertFrom-Json, Join-Path and friends each cost a module load on a cold start).
using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Text.Json;

namespace PwshCompat.Host
{
    /// <summary>The Python to start: libpython, and the interpreter setup to start it with.</summary>
    public sealed class PythonLocation
    {
        public PythonLocation(string pythonDll, string[] sitePackages, string? executable = null, string? home = null)
        {
            PythonDll = pythonDll;
            SitePackages = sitePackages;
            Executable = string.IsNullOrEmpty(executable) ? null : executable;
            Home = string.IsNullOrEmpty(home) ? null : home;
        }

        /// <summary>Path of the shared libpython to load.</summary>
        public string PythonDll { get; }

        /// <summary>Folders put first on sys.path: the interpreter's site-packages.</summary>
        public string[] SitePackages { get; }

        /// <summary>The interpreter's executable (sys.executable), or null when not known.</summary>
        public string? Executable { get; }

        /// <summary>PYTHONHOME: "prefix" or "prefix:exec_prefix" (sys.base_prefix), or null when not known.</summary>
        public string? Home { get; }
    }

    public static class PythonLocator
    {
        // The interpreter's setup as pwshcompat.install.python_info gives it: the same that
        // scripts/setup and `pwshcompat install-module` record in python.json.
        private const string Probe =
            "import json, sys\n" +
            "sys.path.append(sys.argv[1])\n" +
            "import requests, msal\n" +
            "from pwshcompat.install import python_info\n" +
            "print(json.dumps(python_info()))\n";

        /// <summary>The Python to host, or null when none qualifies.</summary>
        public static PythonLocation? Find(string moduleDirectory) => Find(moduleDirectory, out _);

        /// <summary>
        /// The Python to host, or null when none qualifies; <paramref name="problem"/> then says why
        /// when PWSHCOMPAT_PYTHON is set and names no usable interpreter (else it is null).
        /// </summary>
        public static PythonLocation? Find(string moduleDirectory, out string? problem)
        {
            problem = null;
            string? pydll = Environment.GetEnvironmentVariable("PYTHONNET_PYDLL");
            string? interpreter = Environment.GetEnvironmentVariable("PWSHCOMPAT_PYTHON");
            if (!string.IsNullOrEmpty(pydll))
            {
                if (string.IsNullOrEmpty(interpreter))
                {
                    return new PythonLocation(pydll, Array.Empty<string>());
                }
                var asked = Ask(interpreter, moduleDirectory, out string? why);
                if (asked is null)
                {
                    problem = Unusable(interpreter, why);
                    return null;
                }
                return new PythonLocation(pydll, asked.SitePackages, asked.Executable, asked.Home);
            }
            if (!string.IsNullOrEmpty(interpreter) && Missing(interpreter) is string absent)
            {
                problem = Unusable(interpreter, absent);
                return null;
            }
            // python.paths says the same as python.json without loading a JSON parser on the cold path.
            string lines = Path.Combine(moduleDirectory, "bin", "python.paths");
            if (File.Exists(lines))
            {
                var found = ParseLines(File.ReadAllLines(lines));
                if (found is not null)
                {
                    return found;
                }
            }
            string recorded = Path.Combine(moduleDirectory, "bin", "python.json");
            if (File.Exists(recorded))
            {
                var found = Parse(File.ReadAllText(recorded));
                if (found is not null)
                {
                    return found;
                }
            }
            if (!string.IsNullOrEmpty(interpreter))
            {
                // Asked for by name: this one or an error that says why, never another one silently.
                var named = Ask(interpreter, moduleDirectory, out string? why);
                if (named is not null && named.PythonDll.Length > 0)
                {
                    return named;
                }
                problem = Unusable(interpreter, why ?? "it has no shared libpython (libpython3.X.so), which PowerShell loads");
                return null;
            }
            foreach (string candidate in new[] { "python3", "/usr/bin/python3" })
            {
                var found = Ask(candidate, moduleDirectory, out _);
                if (found is not null && found.PythonDll.Length > 0)
                {
                    return found;
                }
            }
            return null;
        }

        private static string Unusable(string interpreter, string? why) =>
            $"PWSHCOMPAT_PYTHON is '{interpreter}', which names no usable Python interpreter: {why}. Set " +
            "PWSHCOMPAT_PYTHON to a python executable (Python 3.11 or later, with its shared libpython and the " +
            "packages pwshcompat, requests and msal), or remove it to use the Python this module was set up with.";

        /// <summary>Why <paramref name="interpreter"/> cannot be started at all (no file, not on PATH), or null.</summary>
        private static string? Missing(string interpreter)
        {
            if (interpreter.Contains(Path.DirectorySeparatorChar) || interpreter.Contains(Path.AltDirectorySeparatorChar))
            {
                return Directory.Exists(interpreter) ? "it is a folder, not a program"
                    : File.Exists(interpreter) ? null : "there is no such file";
            }
            foreach (string folder in (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator))
            {
                if (folder.Length > 0 && File.Exists(Path.Combine(folder, interpreter)))
                {
                    return null;
                }
            }
            return "no program of that name is on PATH";
        }

        /// <summary>
        /// python.paths: "key=value" lines (dll, python, home, then one site= line per folder), as
        /// pwshcompat.install.record_python writes it (scripts/setup, install-module); other keys are
        /// skipped. The older form install-module wrote (libpython, then site-packages, one a line) is
        /// still read.
        /// </summary>
        private static PythonLocation? ParseLines(string[] entries)
        {
            if (entries.Length == 0 || entries[0].Length == 0)
            {
                return null;
            }
            if (!entries[0].StartsWith("dll=", StringComparison.Ordinal))
            {
                return new PythonLocation(entries[0], entries[1..]);
            }
            string dll = string.Empty;
            string? executable = null, home = null;
            var site = new List<string>();
            foreach (string entry in entries)
            {
                int equals = entry.IndexOf('=');
                if (equals < 0)
                {
                    continue;
                }
                string value = entry[(equals + 1)..];
                switch (entry[..equals])
                {
                    case "dll": dll = value; break;
                    case "python": executable = value; break;
                    case "home": home = value; break;
                    case "site": site.Add(value); break;
                }
            }
            return dll.Length == 0 ? null : new PythonLocation(dll, site.ToArray(), executable, home);
        }

        /// <summary>Runs the probe in <paramref name="interpreter"/>; null and the reason when it does not qualify.</summary>
        private static PythonLocation? Ask(string interpreter, string moduleDirectory, out string? problem)
        {
            problem = Missing(interpreter);
            if (problem is not null)
            {
                return null;
            }
            try
            {
                var start = new ProcessStartInfo(interpreter) { RedirectStandardOutput = true, RedirectStandardError = true };
                start.ArgumentList.Add("-c");
                start.ArgumentList.Add(Probe);
                start.ArgumentList.Add(Path.GetDirectoryName(Path.GetFullPath(moduleDirectory)) ?? moduleDirectory);
                using var process = Process.Start(start);
                if (process is null)
                {
                    problem = "it could not be started";
                    return null;
                }
                var errors = process.StandardError.ReadToEndAsync();
                string output = process.StandardOutput.ReadToEnd();
                process.WaitForExit();
                if (process.ExitCode != 0)
                {
                    string last = Array.FindLast(errors.Result.Split('\n'), l => l.Trim().Length > 0)?.Trim() ?? string.Empty;
                    problem = last.Length > 0
                        ? $"asked for its setup, it failed with \"{last}\""
                        : $"asked for its setup, it exited with status {process.ExitCode}";
                    return null;
                }
                var found = Parse(output);
                problem = found is null ? "it did not answer as a Python interpreter does" : null;
                return found;
            }
            catch (System.ComponentModel.Win32Exception e)
            {
                problem = $"it cannot be run ({e.Message})";
                return null;
            }
        }

        private static PythonLocation? Parse(string json)
        {
            try
            {
                using var doc = JsonDocument.Parse(json);
                var root = doc.RootElement;
                return new PythonLocation(Text(root, "pythonDll") ?? string.Empty, Texts(root, "sitePackages"),
                    Text(root, "python"), Text(root, "pythonHome"));
            }
            catch (JsonException)
            {
                return null;
            }
        }

        private static string? Text(JsonElement root, string name) =>
            root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

        private static string[] Texts(JsonElement root, string name)
        {
            var items = new List<string>();
            if (root.TryGetProperty(name, out var array) && array.ValueKind == JsonValueKind.Array)
            {
                foreach (var item in array.EnumerateArray())
                {
                    if (item.ValueKind == JsonValueKind.String && !string.IsNullOrEmpty(item.GetString()))
                    {
                        items.Add(item.GetString()!);
                    }
                }
            }
            return items.ToArray();
        }
    }
}
