// Ctrl+C for calls into Python (issue 14.6).
//
// PowerShell stops a pipeline (Ctrl+C, PowerShell.Stop()) by setting its Stopping flag and waiting
// for the running command to return; a script function blocked in a .NET method call gets no other
// signal. While calls run in Python, one background thread looks at their cmdlets' Stopping flags
// every WatchInterval and cancels the Python CancellationToken (pwshcompat/cancellation.py) of each
// call whose pipeline is stopping: the request's socket is shut down, retry waits and sign-in
// polling end, and the call returns, after which CommandBridge throws PipelineStoppedException.
// A call may also name something to stop on the .NET side (its -HttpPipelinePrepend/-Append steps'
// CancellationToken, $callback.Token), which the watcher stops first.
//
// Kept cheap for the warm path: a thread reuses its token until one is cancelled, a call is a list
// insertion under a lock, and the watcher is woken only when it went idle (no call in flight at
// its last look), not once per call.
using System;
using System.Collections.Generic;
using System.Management.Automation;
using System.Threading;
using Python.Runtime;

namespace PwshCompat.Host
{
    internal static class StopWatcher
    {
        /// <summary>How often calls in flight are checked: the most a stop waits for the check.</summary>
        private static readonly TimeSpan WatchInterval = TimeSpan.FromMilliseconds(50);

        private static readonly object Gate = new();
        private static readonly List<Call> Calls = new();
        private static Thread? thread;
        private static bool idle;

        /// <summary>One call into Python: its cmdlet and its token (a Python CancellationToken).</summary>
        internal sealed class Call
        {
            public Call(PSCmdlet cmdlet, PyObject token, Action? onStop)
            {
                Cmdlet = cmdlet;
                Token = token;
                OnStop = onStop;
            }

            public PSCmdlet Cmdlet { get; }

            public PyObject Token { get; }

            /// <summary>Run when the pipeline stops, before the Python token is cancelled (no GIL held).</summary>
            public Action? OnStop { get; }

            // Guarded by Gate. A cancelled token is disposed by whichever side is last: the calling
            // thread when the call ends, or the watcher once it has cancelled it.
            internal bool Finished;
            internal bool Cancelling;
            internal bool Cancelled;
        }

        /// <summary>
        /// Watches <paramref name="cmdlet"/> until <see cref="Finish"/>; the call's token is made
        /// with <paramref name="newToken"/> when this thread has none to reuse; <paramref name="onStop"/>
        /// runs when the pipeline stops (on the watcher's thread). GIL held.
        /// </summary>
        public static Call Watch(PSCmdlet cmdlet, PyObject newToken, Action? onStop = null)
        {
            // This thread's token, reused by its calls until the watcher cancels one; kept with the
            // thread's Python state, which disposes of it once the thread ended (PythonThreads).
            PyObject token = PythonThreads.StopToken ??= newToken.Invoke();
            var call = new Call(cmdlet, token, onStop);
            lock (Gate)
            {
                Calls.Add(call);
                if (thread is null)
                {
                    thread = new Thread(Run) { IsBackground = true, Name = "pwshcompat stop watcher" };
                    thread.Start();
                }
                else if (idle)
                {
                    idle = false;
                    Monitor.Pulse(Gate);
                }
            }
            return call;
        }

        /// <summary>Ends the watch of <paramref name="call"/>. GIL held (a cancelled token may be disposed here).</summary>
        public static void Finish(Call call)
        {
            bool dispose;
            lock (Gate)
            {
                Calls.Remove(call);
                call.Finished = true;
                if (!call.Cancelled)
                {
                    return; // the token is unused: the thread's next call takes it
                }
                dispose = !call.Cancelling;
            }
            PythonThreads.StopToken = null;
            if (dispose)
            {
                call.Token.Dispose();
            }
        }

        private static void Run()
        {
            PythonThreads.KeepForCurrentThread();
            var stopping = new List<Call>();
            while (true)
            {
                lock (Gate)
                {
                    while (Calls.Count == 0)
                    {
                        idle = true;
                        Monitor.Wait(Gate);
                    }
                    idle = false;
                    Monitor.Wait(Gate, WatchInterval);
                    foreach (Call call in Calls)
                    {
                        if (!call.Cancelled && call.Cmdlet.Stopping)
                        {
                            call.Cancelled = call.Cancelling = true;
                            stopping.Add(call);
                        }
                    }
                }
                foreach (Call call in stopping)
                {
                    try
                    {
                        call.OnStop?.Invoke();
                    }
                    catch (Exception)
                    {
                        // A callback a step registered on its token failed; the stop goes on.
                    }
                    Cancel(call);
                }
                stopping.Clear();
            }
        }

        private static void Cancel(Call call)
        {
            using (Py.GIL())
            {
                try
                {
                    call.Token.InvokeMethod("cancel").Dispose();
                }
                catch (PythonException)
                {
                    // Nothing more to stop: the call ends by itself.
                }
                bool dispose;
                lock (Gate)
                {
                    call.Cancelling = false;
                    dispose = call.Finished;
                }
                if (dispose)
                {
                    call.Token.Dispose();
                }
            }
        }
    }
}
