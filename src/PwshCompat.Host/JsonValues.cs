// JSON values with the .NET types the original's JSON reader gives them. Microsoft.Graph.Authentication
// parses Invoke-MgGraphRequest responses with Newtonsoft.Json's defaults: an integer is an Int64, any
// other number a Double, and a string holding an ISO 8601 date and time ("yyyy-MM-ddTHH:mm:ss", up to
// seven fraction digits, then Z, an offset or nothing) a DateTime: UTC for Z, converted to local time
// for an offset, unspecified without (DateParseHandling.DateTime, DateTimeZoneHandling.RoundtripKind).
// A date alone, or any other text, stays a string.
using System;
using System.Globalization;
using System.Numerics;
using System.Text.RegularExpressions;
using Python.Runtime;

namespace PwshCompat.Host
{
    internal static class JsonValues
    {
        private static readonly Regex IsoDateTime = new(
            @"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,7})?(?:Z|[+-]\d{2}(?::?\d{2})?)?$",
            RegexOptions.CultureInvariant | RegexOptions.Compiled);

        /// <summary>A JSON string: a DateTime when it is an ISO 8601 date and time, else the string.</summary>
        public static object FromString(string text)
        {
            if (text.Length >= 19 && text.Length <= 40 && text[10] == 'T' && char.IsAsciiDigit(text[0])
                && IsoDateTime.IsMatch(text)
                && DateTime.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out DateTime value))
            {
                return value;
            }
            return text;
        }

        /// <summary>A JSON integer: Int64, or BigInteger beyond its range. Call with the GIL held.</summary>
        public static object FromInteger(PyObject value)
        {
            try
            {
                return value.As<long>();
            }
            catch (Exception ex) when (ex is OverflowException or InvalidCastException or PythonException)
            {
                return BigInteger.Parse(value.ToString()!, CultureInfo.InvariantCulture);
            }
        }
    }
}
