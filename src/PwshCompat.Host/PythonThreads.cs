// One Python thread state per OS thread that calls into Python, kept for the thread's life.
//
// Py.GIL() is PyGILState_Ensure/Release: on a thread Python has no state for, Ensure creates one
// and the matching Release destroys it again, so every cmdlet call paid for building and tearing
// down a thread state and Python's per-thread caches (about 0.08 ms a call, bench/FINDINGS.md
// section 10). Taking one extra Ensure per thread, never released, keeps the state; each Py.GIL()
// after that only takes and gives back the GIL. The cost is one small thread state per thread
// that ever ran a command, freed with the process.
using System;
using System.Runtime.InteropServices;
using Python.Runtime;

namespace PwshCompat.Host
{
    internal static class PythonThreads
    {
        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        private delegate int GilStateEnsure();

        [ThreadStatic]
        private static bool kept;

        private static GilStateEnsure? ensure;

        /// <summary>
        /// Finds PyGILState_Ensure in the libpython pythonnet loaded; call once Python runs. Where it
        /// cannot be found, calls simply go without a kept thread state (slower, still correct).
        /// </summary>
        public static void Load(string pythonDll)
        {
            if (NativeLibrary.TryLoad(pythonDll, out IntPtr library)
                && NativeLibrary.TryGetExport(library, "PyGILState_Ensure", out IntPtr function))
            {
                ensure = Marshal.GetDelegateForFunctionPointer<GilStateEnsure>(function);
            }
        }

        /// <summary>Makes sure the calling thread has a Python thread state that outlives the next Py.GIL().</summary>
        public static void KeepForCurrentThread()
        {
            if (kept || ensure is null)
            {
                return;
            }
            ensure();                          // creates this thread's state and takes the GIL
            PythonEngine.BeginAllowThreads();  // gives the GIL back; the state stays registered
            kept = true;
        }
    }
}
