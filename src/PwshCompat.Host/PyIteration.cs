using System.Collections.Generic;
using Python.Runtime;

namespace PwshCompat.Host
{
    internal static class PyIteration
    {
        /// <summary>Python's iter() as a foreach-able sequence; the caller disposes each item. GIL held.</summary>
        public static IEnumerable<PyObject> Each(this PyObject iterable)
        {
            using PyIter iterator = iterable.GetIterator();
            while (iterator.MoveNext())
            {
                yield return iterator.Current;
            }
        }
    }
}
