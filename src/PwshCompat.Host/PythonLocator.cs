// Finds the libpython to load and the site-packages to put on sys.path, first match wins:
//   1. PYTHONNET_PYDLL (pythonnet's own variable), with PWSHCOMPAT_PYTHON naming the interpreter
//      whose site-packages to use (optional);
//   2. module/bin/python.paths or python.json, written by scripts/setup from the Python that has
//      the dependencies;
//   3. discovery: PWSHCOMPAT_PYTHON, then python3 on PATH, then /usr/bin/python3: the first that
//      imports requests, msal and pwshcompat (from its site-packages, or the folder above the
//      module's, a checkout) is asked where its shared libpython is. A module installed from a
//      PowerShell package has no python.paths and relies on this.
// Done in C# rather than in the module's script so an import loads no extra PowerShell modules
// (ConvertFrom-Json, Join-Path and friends each cost a module load on a cold start).
using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Text.Json;

namespace PwshCompat.Host
{
    public sealed class PythonLocation
    {
        public PythonLocation(string pythonDll, string[] sitePackages)
        {
            PythonDll = pythonDll;
            SitePackages = sitePackages;
        }

        public string PythonDll { get; }

        public string[] SitePackages { get; }
    }

    public static class PythonLocator
    {
        private const string Probe =
            "import json, os, site, sys, sysconfig\n" +
            "sys.path.append(sys.argv[1])\n" +
            "import requests, msal, pwshcompat\n" +
            "libdir, name = sysconfig.get_config_var('LIBDIR') or '', sysconfig.get_config_var('LDLIBRARY') or ''\n" +
            "cands = [os.path.join(libdir, name), os.path.join(libdir, 'libpython%d.%d.so.1.0' % sys.version_info[:2])]\n" +
            "dll = next((c for c in cands if c.endswith(('.so', '.so.1.0', '.dylib')) and os.path.exists(c)), '')\n" +
            "paths = [p for p in site.getsitepackages() + [site.getusersitepackages()] if os.path.isdir(p)]\n" +
            "print(json.dumps({'python': sys.executable, 'pythonDll': dll, 'sitePackages': paths}))\n";

        /// <summary>The Python to host, or null when none qualifies.</summary>
        public static PythonLocation? Find(string moduleDirectory)
        {
            string? pydll = Environment.GetEnvironmentVariable("PYTHONNET_PYDLL");
            string? interpreter = Environment.GetEnvironmentVariable("PWSHCOMPAT_PYTHON");
            if (!string.IsNullOrEmpty(pydll))
            {
                var asked = string.IsNullOrEmpty(interpreter) ? null : Ask(interpreter, moduleDirectory);
                return new PythonLocation(pydll, asked?.SitePackages ?? Array.Empty<string>());
            }
            // python.paths (libpython, then one site-packages folder a line) says the same as
            // python.json without loading a JSON parser on the cold path.
            string lines = Path.Combine(moduleDirectory, "bin", "python.paths");
            if (File.Exists(lines))
            {
                string[] entries = File.ReadAllLines(lines);
                if (entries.Length > 0 && entries[0].Length > 0)
                {
                    return new PythonLocation(entries[0], entries[1..]);
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
            var candidates = new List<string>();
            if (!string.IsNullOrEmpty(interpreter))
            {
                candidates.Add(interpreter);
            }
            candidates.Add("python3");
            candidates.Add("/usr/bin/python3");
            foreach (string candidate in candidates)
            {
                var found = Ask(candidate, moduleDirectory);
                if (found is not null && found.PythonDll.Length > 0)
                {
                    return found;
                }
            }
            return null;
        }

        private static PythonLocation? Ask(string interpreter, string moduleDirectory)
        {
            try
            {
                var start = new ProcessStartInfo(interpreter) { RedirectStandardOutput = true, RedirectStandardError = true };
                start.ArgumentList.Add("-c");
                start.ArgumentList.Add(Probe);
                start.ArgumentList.Add(Path.GetDirectoryName(Path.GetFullPath(moduleDirectory)) ?? moduleDirectory);
                using var process = Process.Start(start);
                if (process is null)
                {
                    return null;
                }
                string output = process.StandardOutput.ReadToEnd();
                process.WaitForExit();
                return process.ExitCode == 0 ? Parse(output) : null;
            }
            catch (System.ComponentModel.Win32Exception)
            {
                return null; // not installed
            }
        }

        private static PythonLocation? Parse(string json)
        {
            try
            {
                using var doc = JsonDocument.Parse(json);
                var root = doc.RootElement;
                string dll = root.TryGetProperty("pythonDll", out var d) ? d.GetString() ?? "" : "";
                var paths = new List<string>();
                if (root.TryGetProperty("sitePackages", out var sp) && sp.ValueKind == JsonValueKind.Array)
                {
                    foreach (var p in sp.EnumerateArray())
                    {
                        paths.Add(p.GetString() ?? "");
                    }
                }
                return new PythonLocation(dll, paths.ToArray());
            }
            catch (JsonException)
            {
                return null;
            }
        }
    }
}
