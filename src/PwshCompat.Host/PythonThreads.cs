// One Python thread state per OS thread that calls into Python, kept while the thread lives and
// freed once it has ended.
//
// Py.GIL() is PyGILState_Ensure/Release: on a thread Python has no state for, Ensure creates one
// and the matching Release destroys it again, so every cmdlet call paid for building and tearing
// down a thread state and Python's per-thread caches (about 0.08 ms a call, bench/FINDINGS.md
// section 10). Taking one extra Ensure per thread, never released, keeps the state; each Py.GIL()
// after that only takes and gives back the GIL.
//
// Kept states of threads that have ended are freed (FINDINGS section 13b): ForEach-Object -Parallel
// runs every item on a new OS thread, and one state (with Python's frame stack) per item was left
// behind, without bound. A thread about to keep a state first frees, when the list has grown to
// twice what lived at the last look (SweepMinimum at least), the states of the threads whose
// System.Threading.Thread is no longer alive. The managed Thread is the key, not the thread id: the
// OS reuses ids, and a pool thread that is alive but idle keeps its state.
//
// CPython's rules for freeing another thread's state (3.10-3.13, Python/pystate.c):
// PyThreadState_Clear needs the GIL and PyThreadState_Delete a state that is not the current one.
// From 3.12 on, deleting a state that PyGILState bound to its own thread also clears the *calling*
// thread's PyGILState slot, so the freeing must not run under a state PyGILState knows for this
// thread: it runs under a temporary state of its own (PyThreadState_New, PyEval_RestoreThread),
// before this thread keeps its state, and ends with PyThreadState_Clear and
// PyThreadState_DeleteCurrent of that temporary state, which also gives the GIL back. Where an
// export is missing, no state is kept at all: each Py.GIL() then makes and frees its own (slower,
// still correct, nothing left behind).
using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;
using System.Threading;
using Python.Runtime;

namespace PwshCompat.Host
{
    internal static class PythonThreads
    {
        /// <summary>The fewest kept states a sweep for ended threads waits for (it costs one temporary state).</summary>
        private const int SweepMinimum = 32;

        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        private delegate int GilStateEnsure();

        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        private delegate IntPtr NoArgumentPointer();

        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        private delegate IntPtr PointerToPointer(IntPtr argument);

        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        private delegate void PointerAction(IntPtr argument);

        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        private delegate void NoArgumentAction();

        /// <summary>A kept state: its thread, the PyThreadState*, and what the thread reuses across calls.</summary>
        private sealed class KeptState
        {
            public KeptState(Thread thread, IntPtr state)
            {
                Thread = thread;
                State = state;
            }

            public Thread Thread { get; }

            public IntPtr State { get; }

            /// <summary>The thread's StopWatcher token (touched by its own thread, or by the sweep once it ended).</summary>
            public PyObject? StopToken;
        }

        private static readonly object Gate = new();
        private static readonly List<KeptState> Kept = new();   // guarded by Gate
        private static int sweepAt = SweepMinimum;               // guarded by Gate

        [ThreadStatic]
        private static KeptState? current;

        // Where no state is kept (an export missing): the StopWatcher token of this thread.
        [ThreadStatic]
        private static PyObject? unkeptStopToken;

        private static GilStateEnsure? ensure;
        private static NoArgumentPointer? thisThreadState;     // PyGILState_GetThisThreadState
        private static NoArgumentPointer? mainInterpreter;     // PyInterpreterState_Main
        private static PointerToPointer? newThreadState;       // PyThreadState_New
        private static PointerAction? restoreThread;           // PyEval_RestoreThread
        private static PointerAction? clearThreadState;        // PyThreadState_Clear
        private static PointerAction? deleteThreadState;       // PyThreadState_Delete
        private static NoArgumentAction? deleteCurrent;        // PyThreadState_DeleteCurrent

        /// <summary>
        /// Finds the thread-state functions in the libpython at <paramref name="pythonDll"/> (the
        /// one pythonnet loaded); call once Python runs. Where one of them cannot be found, calls go
        /// without a kept thread state (slower, still correct, nothing left behind).
        /// </summary>
        public static void Load(string pythonDll)
        {
            if (!NativeLibrary.TryLoad(pythonDll, out IntPtr library))
            {
                return;
            }
            T? Find<T>(string name) where T : Delegate =>
                NativeLibrary.TryGetExport(library, name, out IntPtr function) ? Marshal.GetDelegateForFunctionPointer<T>(function) : null;
            thisThreadState = Find<NoArgumentPointer>("PyGILState_GetThisThreadState");
            mainInterpreter = Find<NoArgumentPointer>("PyInterpreterState_Main");
            newThreadState = Find<PointerToPointer>("PyThreadState_New");
            restoreThread = Find<PointerAction>("PyEval_RestoreThread");
            clearThreadState = Find<PointerAction>("PyThreadState_Clear");
            deleteThreadState = Find<PointerAction>("PyThreadState_Delete");
            deleteCurrent = Find<NoArgumentAction>("PyThreadState_DeleteCurrent");
            GilStateEnsure? found = Find<GilStateEnsure>("PyGILState_Ensure");
            if (thisThreadState is not null && mainInterpreter is not null && newThreadState is not null && restoreThread is not null
                && clearThreadState is not null && deleteThreadState is not null && deleteCurrent is not null)
            {
                ensure = found; // last: KeepForCurrentThread keeps states only once everything to free them is there
            }
        }

        /// <summary>
        /// Makes sure the calling thread has a Python thread state that outlives the next Py.GIL(),
        /// first freeing the states of ended threads when enough have gathered. Call without the GIL.
        /// </summary>
        public static void KeepForCurrentThread()
        {
            if (current is not null || ensure is null)
            {
                return;
            }
            if (thisThreadState!() != IntPtr.Zero)
            {
                // The thread has a state already: Python started on it, or a Py.GIL() is open
                // around this call (taking another Ensure and giving the GIL back would break it).
                return;
            }
            List<KeptState>? ended = TakeEnded();
            if (ended is not null)
            {
                Free(ended);
            }
            ensure();                                  // creates this thread's state and takes the GIL
            IntPtr state = thisThreadState!();
            PythonEngine.BeginAllowThreads();          // gives the GIL back; the state stays registered
            // A token an earlier call made without a kept state goes with the state from now on.
            var kept = new KeptState(Thread.CurrentThread, state) { StopToken = unkeptStopToken };
            unkeptStopToken = null;
            if (state != IntPtr.Zero) // never zero after an Ensure; if it were, there is nothing to free later
            {
                lock (Gate)
                {
                    Kept.Add(kept);
                }
            }
            current = kept;
        }

        /// <summary>
        /// The calling thread's reusable StopWatcher token (a Python CancellationToken), or null.
        /// Kept with the thread's state and disposed with it once the thread ended. GIL held.
        /// </summary>
        public static PyObject? StopToken
        {
            get => current is { } kept ? kept.StopToken : unkeptStopToken;
            set
            {
                if (current is { } kept)
                {
                    kept.StopToken = value;
                }
                else
                {
                    unkeptStopToken = value;
                }
            }
        }

        /// <summary>Removes and returns the kept states of ended threads, when a sweep is due; else null.</summary>
        private static List<KeptState>? TakeEnded()
        {
            lock (Gate)
            {
                if (Kept.Count < sweepAt)
                {
                    return null;
                }
                List<KeptState>? ended = null;
                Kept.RemoveAll(kept =>
                {
                    if (kept.Thread.IsAlive)
                    {
                        return false;
                    }
                    (ended ??= new List<KeptState>()).Add(kept);
                    return true;
                });
                sweepAt = Math.Max(SweepMinimum, 2 * Kept.Count);
                return ended;
            }
        }

        /// <summary>
        /// Frees <paramref name="ended"/> (states of threads that ended, and their tokens) under a
        /// temporary thread state of the calling thread, which has no state yet and no GIL.
        /// </summary>
        private static void Free(List<KeptState> ended)
        {
            IntPtr temporary = newThreadState!(mainInterpreter!());
            if (temporary == IntPtr.Zero)
            {
                // Python could not make one (out of memory): the next thread to keep a state frees these.
                lock (Gate)
                {
                    Kept.AddRange(ended);
                }
                return;
            }
            restoreThread!(temporary);                 // takes the GIL; the temporary state is current
            try
            {
                foreach (KeptState kept in ended)
                {
                    try
                    {
                        kept.StopToken?.Dispose();
                    }
                    catch (PythonException)
                    {
                        // Only a reference is dropped; whatever the object's finaliser raised is not ours.
                    }
                    clearThreadState!(kept.State);
                    deleteThreadState!(kept.State);
                }
            }
            finally
            {
                clearThreadState!(temporary);
                deleteCurrent!();                      // frees the temporary state and gives the GIL back
            }
        }
    }
}
