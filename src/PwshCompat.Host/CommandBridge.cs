// The one crossing per command invocation: bound PowerShell values go to
// pwshcompat.bridge.invoke_host(name, parameter_set, bound) in the in-process Python, and what the
// command wrote (output, errors, warnings, verbose, debug, host text, variables) is replayed into
// the calling cmdlet's streams. Python is started once per process, whatever the runspace count.
using System;
using System.Collections;
using System.Collections.Generic;
using System.Management.Automation;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Threading.Tasks;
using Python.Runtime;

namespace PwshCompat.Host
{
    public static class CommandBridge
    {
        // Parameters PowerShell itself acts on; the Python command never sees them.
        private static readonly HashSet<string> EngineParameters = new(StringComparer.OrdinalIgnoreCase)
        {
            "Verbose", "Debug", "ErrorAction", "WarningAction", "InformationAction", "ProgressAction",
            "ErrorVariable", "WarningVariable", "InformationVariable", "OutVariable", "OutBuffer",
            "PipelineVariable", "WhatIf", "Confirm",
        };

        // Delegates cannot cross into Python as values; HttpPipelineSteps carries them.
        private static readonly HashSet<string> PipelineParameters = new(StringComparer.OrdinalIgnoreCase)
        {
            "HttpPipelinePrepend", "HttpPipelineAppend",
        };

        private static readonly object Gate = new();
        private static PyObject? invokeHost;
        private static PyObject? processingHost;
        private static PyObject? updateEnvironment;
        private static PyObject? tokenType;
        private static PythonTypes? types;
        // The host's version as Get-MgContext shows it (PSHostVersion), kept while it stays the same.
        private static string? hostVersion;
        private static PyObject? pyHostVersion;
        private static Task? starting;
        private static Task? preloading;

        /// <summary>True once Python is started (or starting) in this process.</summary>
        public static bool IsInitialized => starting is not null;

        /// <summary>
        /// Starts Python from <paramref name="python"/> (once per process) on a worker thread, with
        /// its recorded setup (executable, home) and <paramref name="searchPaths"/>
        /// first on sys.path, and imports pwshcompat.bridge. Returns at once: starting CPython and
        /// pythonnet takes a few hundred milliseconds, which then overlap the rest of the module
        /// import and the script; the first call waits for it.
        /// </summary>
        public static void Initialize(PythonLocation python, string[] searchPaths)
        {
            lock (Gate)
            {
                if (starting is null)
                {
                    // A script may import the module and exit before Python finished starting on the
                    // worker thread; tearing the process down under Py_Initialize crashes it (exit 139).
                    // Registered before the start, so it runs before the exit handler Start installs.
                    AppDomain.CurrentDomain.ProcessExit += (_, _) => WaitForStart(TimeSpan.FromSeconds(30));
                    starting = Task.Run(() => Start(python, searchPaths));
                    preloading = starting.ContinueWith(_ => Preload(), TaskContinuationOptions.OnlyOnRanToCompletion);
                }
            }
        }

        /// <summary>Starts the libpython at <paramref name="pythonDll"/> with the setup it derives itself.</summary>
        public static void Initialize(string pythonDll, string[] searchPaths) =>
            Initialize(new PythonLocation(pythonDll, Array.Empty<string>()), searchPaths);

        private static void WaitForStart(TimeSpan limit)
        {
            foreach (Task? task in new[] { starting, preloading })
            {
                try
                {
                    task?.Wait(limit);
                }
                catch (AggregateException)
                {
                    // A failed start (or a preload that never ran) has nothing left running; the exit goes on.
                }
            }
        }

        /// <summary>
        /// Imports the command modules not imported yet (requests and co.) in the background once
        /// Python is ready: the first commands of a script, which only need their own module, do
        /// not wait for them, and the imports overlap with the script's own PowerShell work.
        /// </summary>
        private static void Preload()
        {
            PythonThreads.KeepForCurrentThread();
            using (Py.GIL())
            {
                try
                {
                    using var commands = Py.Import("pwshcompat.commands");
                    commands.InvokeMethod("preload").Dispose();
                }
                catch (PythonException)
                {
                    // The command that needs the module imports it again and reports the error there.
                }
            }
        }

        /// <summary>Waits until Python is ready; a failure to start surfaces here, on first use.</summary>
        private static (PyObject Invoke, PythonTypes Types) Ready()
        {
            Task? task = starting;
            if (task is null)
            {
                throw new InvalidOperationException("Python is not initialised: import the module first.");
            }
            task.GetAwaiter().GetResult();
            return (invokeHost!, types!);
        }

        private static void Start(PythonLocation python, string[] searchPaths)
        {
            if (!PythonEngine.IsInitialized)
            {
                Runtime.PythonDLL = python.PythonDll;
                UseRecordedSetup(python);
                PythonEngine.Initialize();
                SkipFinalizationAtExit();
                using (Py.GIL())
                {
                    using var sys = Py.Import("sys");
                    using var path = sys.GetAttr("path");
                    for (int i = searchPaths.Length - 1; i >= 0; i--)
                    {
                        using var zero = new PyInt(0);
                        using var entry = new PyString(searchPaths[i]);
                        path.InvokeMethod("insert", zero, entry).Dispose();
                    }
                }
                // Release the GIL so any runspace thread can take it per call.
                PythonEngine.BeginAllowThreads();
            }
            PythonThreads.Load(Runtime.PythonDLL ?? python.PythonDll);
            using (Py.GIL())
            {
                PyObject bridge = Py.Import("pwshcompat.bridge");
                using PyObject conversion = Py.Import("pwshcompat.conversion");
                types = new PythonTypes(bridge, conversion);
                invokeHost = bridge.GetAttr("invoke_host");
                processingHost = bridge.GetAttr("processing_host");
                updateEnvironment = bridge.GetAttr("update_environment");
                using PyObject cancellation = Py.Import("pwshcompat.cancellation");
                tokenType = cancellation.GetAttr("CancellationToken");
            }
        }

        /// <summary>
        /// Left to itself, an embedded CPython finds its home through the first python3 on PATH (a
        /// venv, another CPython) and reads PYTHONHOME and PYTHONPATH: with another interpreter
        /// there it took that one's prefix, standard library or site-packages beside the recorded
        /// libpython (issue 14.8). When the setup is recorded, it is said explicitly (program name,
        /// home) and the PYTHON* variables are ignored, as `python -E` does; sys.path then holds the
        /// recorded standard library and site-packages. Call before PythonEngine.Initialize.
        /// </summary>
        private static void UseRecordedSetup(PythonLocation python)
        {
            if (python.Home is null)
            {
                return; // only a libpython (PYTHONNET_PYDLL alone): its own defaults and the PYTHON* variables apply
            }
            if (python.Executable is not null)
            {
                PythonEngine.ProgramName = python.Executable;
            }
            PythonEngine.PythonHome = python.Home;
            if (NativeLibrary.TryLoad(python.PythonDll, out IntPtr library)
                && NativeLibrary.TryGetExport(library, "Py_IgnoreEnvironmentFlag", out IntPtr ignoreEnvironment))
            {
                Marshal.WriteInt32(ignoreEnvironment, 1);
            }
        }

        /// <summary>
        /// <paramref name="value"/> converted to Python as a command would receive it, then back as
        /// the command's output would come (pwshcompat.bridge._plain): for tests and diagnostics.
        /// </summary>
        public static object? RoundTrip(object? value)
        {
            var (_, types) = Ready();
            using (Py.GIL())
            {
                using var bridge = Py.Import("pwshcompat.bridge");
                using var plain = bridge.GetAttr("_plain");
                using var py = ToPython.Convert(value, types.TimeSpan);
                using var back = plain.Invoke(py);
                return FromPython.Convert(back, types);
            }
        }

        /// <summary>
        /// pythonnet finalises Python when the process exits (PythonEngine.Shutdown on ProcessExit),
        /// which made every pwsh that had imported the module take 0.5-1.4 s longer to exit
        /// (bench/FINDINGS.md). The process is ending anyway: run Python's atexit functions and
        /// flush its stdio, and leave the rest to the OS.
        /// </summary>
        private static void SkipFinalizationAtExit()
        {
            var onExit = typeof(PythonEngine).GetMethod("OnProcessExit", BindingFlags.NonPublic | BindingFlags.Static);
            if (onExit is null)
            {
                return; // another pythonnet version: keep its own shutdown
            }
            AppDomain.CurrentDomain.ProcessExit -= (EventHandler)Delegate.CreateDelegate(typeof(EventHandler), onExit);
            AppDomain.CurrentDomain.ProcessExit += (_, _) =>
            {
                using (Py.GIL())
                {
                    PythonEngine.Exec("import atexit, sys\natexit._run_exitfuncs()\nfor s in (sys.stdout, sys.stderr):\n    s and s.flush()");
                }
            };
        }

        /// <summary>
        /// Runs command <paramref name="name"/> in Python with <paramref name="bound"/> (normally
        /// $PSBoundParameters) in the cmdlet's resolved parameter set, and replays its streams.
        /// A terminating error is thrown here, pointing at the caller's line (ErrorRecords.Throw);
        /// a stopped pipeline (Ctrl+C) ends the call with PipelineStoppedException.
        /// </summary>
        public static void Invoke(PSCmdlet cmdlet, string name, IDictionary bound)
        {
            (PyObject invokeHost, PythonTypes types) = ReadyFor(cmdlet);
            InvocationResult? result = null;
            string? failure = null;
            PythonThreads.KeepForCurrentThread();
            using (Py.GIL())
            {
                StopWatcher.Call? watch = null;
                try
                {
                    using var kwargs = new PyDict();
                    foreach (DictionaryEntry entry in bound)
                    {
                        var key = (string)entry.Key;
                        if (EngineParameters.Contains(key) || PipelineParameters.Contains(key))
                        {
                            continue;
                        }
                        using var value = ToPython.Convert(entry.Value, types.TimeSpan);
                        kwargs[key] = value;
                    }
                    // -HttpPipelinePrepend/-HttpPipelineAppend: the steps cross as one host object (13.5).
                    HttpPipelineSteps? steps = HttpPipelineSteps.From(
                        bound.Contains("HttpPipelinePrepend") ? bound["HttpPipelinePrepend"] : null,
                        bound.Contains("HttpPipelineAppend") ? bound["HttpPipelineAppend"] : null);
                    if (steps is not null)
                    {
                        kwargs["__HttpPipeline"] = steps.ToPython();
                    }
                    kwargs["__PSHostVersion"] = HostVersion(cmdlet);
                    SessionEnvironment.Sync(updateEnvironment!);
                    using var pyName = new PyString(name);
                    using var pySet = new PyString(cmdlet.ParameterSetName);
                    using var pyDebug = WantsDebug(cmdlet, bound).ToPython();
                    // Ctrl+C: the watcher cancels this token when the pipeline is told to stop.
                    watch = StopWatcher.Watch(cmdlet, tokenType!, steps is null ? null : steps.Stop);
                    using var raw = invokeHost.Invoke(pyName, pySet, kwargs, pyDebug, watch.Token);
                    if (!cmdlet.Stopping)
                    {
                        result = InvocationResult.From(raw, types);
                    }
                }
                catch (PythonException ex)
                {
                    failure = ex.Format(); // needs the GIL: formats the Python traceback
                }
                finally
                {
                    if (watch is not null)
                    {
                        StopWatcher.Finish(watch);
                    }
                }
            }
            if (cmdlet.Stopping)
            {
                // Stopped (Ctrl+C, PowerShell.Stop()): whatever the call produced is dropped, as
                // PowerShell drops the output of a stopped cmdlet.
                throw new PipelineStoppedException();
            }
            if (result is null)
            {
                ThrowPythonFailure(cmdlet, name, failure);
                return;
            }
            result.Replay(cmdlet);
        }

        /// <summary>
        /// Runs <paramref name="phase"/> ("Begin" or "End") of command <paramref name="name"/> in
        /// Python, what the original writes once per invocation (its -Debug begin and end records),
        /// and replays it into the cmdlet's streams. Nothing here blocks, so no stop watch is needed.
        /// </summary>
        public static void Processing(PSCmdlet cmdlet, string name, string phase)
        {
            (_, PythonTypes types) = ReadyFor(cmdlet);
            InvocationResult? result = null;
            string? failure = null;
            PythonThreads.KeepForCurrentThread();
            using (Py.GIL())
            {
                try
                {
                    SessionEnvironment.Sync(updateEnvironment!);
                    using var pyName = new PyString(name);
                    using var pySet = new PyString(cmdlet.ParameterSetName);
                    using var pyPhase = new PyString(phase);
                    using var raw = processingHost!.Invoke(pyName, pySet, pyPhase);
                    result = InvocationResult.From(raw, types);
                }
                catch (PythonException ex)
                {
                    failure = ex.Format();
                }
            }
            if (result is null)
            {
                ThrowPythonFailure(cmdlet, $"{name} ({phase})", failure);
                return;
            }
            result.Replay(cmdlet);
        }

        /// <summary>
        /// <see cref="Ready"/> for a command of <paramref name="cmdlet"/>: a Python that cannot start
        /// is the cmdlet's terminating error PwshCompatPythonStartFailed (ThrowTerminatingError does
        /// not return).
        /// </summary>
        private static (PyObject, PythonTypes) ReadyFor(PSCmdlet cmdlet)
        {
            try
            {
                return Ready();
            }
            catch (Exception ex) when (ex is not PipelineStoppedException)
            {
                cmdlet.ThrowTerminatingError(new ErrorRecord(
                    new InvalidOperationException($"pwshcompat could not start Python: {ex.Message}", ex),
                    "PwshCompatPythonStartFailed", ErrorCategory.ResourceUnavailable, null));
                throw; // not reached
            }
        }

        /// <summary>
        /// A bug, not a command error (those come back as records): the terminating error
        /// PwshCompatPythonException, saying what was running and the Python traceback.
        /// </summary>
        private static void ThrowPythonFailure(PSCmdlet cmdlet, string running, string? failure) =>
            cmdlet.ThrowTerminatingError(new ErrorRecord(
                new InvalidOperationException($"pwshcompat failed inside Python running {running}: {failure}"),
                "PwshCompatPythonException", ErrorCategory.NotSpecified, null));

        /// <summary>
        /// $PSCmdlet.ShouldProcess(<paramref name="target"/>, <paramref name="action"/>) as the
        /// original's internal cmdlet asks it, <paramref name="action"/> naming that cmdlet
        /// (Set-..._SetExpanded): when asking fails (a NonInteractive host cannot prompt for
        /// -Confirm), the failure is that cmdlet's non-terminating error (empty error id,
        /// NotSpecified, the exception as thrown, $? false) and nothing runs (issue 13.13).
        /// </summary>
        public static bool ShouldProcess(PSCmdlet cmdlet, string target, string action)
        {
            try
            {
                return cmdlet.ShouldProcess(target, action);
            }
            catch (Exception ex) when (ex is not PipelineStoppedException)
            {
                ErrorRecords.Write(cmdlet, new PendingError(new ErrorRecord(ex, string.Empty, ErrorCategory.NotSpecified, null), action));
                return false;
            }
        }

        /// <summary>
        /// The calling host's version (Connect-MgGraph records it as the context's PSHostVersion,
        /// as the original does); passed to every command as the extra bound key __PSHostVersion.
        /// </summary>
        private static PyObject HostVersion(PSCmdlet cmdlet)
        {
            string version = cmdlet.Host?.Version?.ToString() ?? string.Empty;
            if (pyHostVersion is null || !string.Equals(version, hostVersion, StringComparison.Ordinal))
            {
                pyHostVersion?.Dispose();
                pyHostVersion = new PyString(version);
                hostVersion = version;
            }
            return pyHostVersion;
        }

        /// <summary>
        /// Whether the caller's debug stream is on (-Debug, else $DebugPreference as the function
        /// sees it): when it is off, Python skips building debug text PowerShell would drop.
        /// </summary>
        internal static bool WantsDebug(PSCmdlet cmdlet, IDictionary bound)
        {
            if (bound.Contains("Debug"))
            {
                return LanguagePrimitives.IsTrue(bound["Debug"]);
            }
            object? preference = cmdlet.GetVariableValue("DebugPreference");
            if (preference is PSObject wrapped)
            {
                preference = wrapped.BaseObject;
            }
            if (!LanguagePrimitives.TryConvertTo(preference, out ActionPreference value))
            {
                return true;
            }
            return value != ActionPreference.SilentlyContinue && value != ActionPreference.Ignore;
        }
    }
}
