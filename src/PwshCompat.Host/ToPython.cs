// PowerShell values -> plain Python values, following the shared contract ("bound values as a
// command receives them"): str, bool, int, float, None, list, dict (key order kept),
// pwshcompat.conversion.TimeSpan for [TimeSpan], SecureString as plain str, PSCredential and
// X509Certificate2 as small dicts, byte[] as bytes. Where the original module's behaviour depends on
// the .NET type (DateTime, DateTimeOffset, float/double/decimal text, [pscustomobject], collections
// other than object[] and Hashtable, a TimeSpan wrapped in a PSObject inside a hashtable), the value
// is one of pwshcompat.dotnetvalues' subclasses of the plain value. Call with the GIL held.
using System;
using System.Collections;
using System.Collections.Generic;
using System.Collections.Specialized;
using System.Globalization;
using System.Linq;
using System.Management.Automation;
using System.Net;
using System.Security;
using System.Security.Cryptography.X509Certificates;
using Python.Runtime;

namespace PwshCompat.Host
{
    internal static class ToPython
    {
        // Self-referencing object graphs end here rather than overflowing the stack.
        private const int MaxDepth = 64;

        public static PyObject Convert(object? value, PyObject timeSpanType) => Convert(value, timeSpanType, 0);

        private static PyObject Convert(object? value, PyObject timeSpanType, int depth)
        {
            // Inside a hashtable or list, PowerShell keeps a cmdlet's output wrapped in a PSObject, and
            // the original's `value is TimeSpan` (or DateTime) test then fails; a bound parameter's own
            // value (depth 0) is always unwrapped by PowerShell's binder.
            bool wrapped = false;
            if (value is PSObject pso)
            {
                if (pso.BaseObject is PSCustomObject)
                {
                    return Properties(pso, timeSpanType, depth);
                }
                wrapped = depth > 0;
                value = pso.BaseObject;
            }
            switch (value)
            {
                case null:
                    return PyObject.None;
                case string s:
                    return new PyString(WellFormedText.Of(s));
                case char c:
                    return new PyString(WellFormedText.Of(c.ToString()));
                case bool b:
                    return Bool(b);
                case SwitchParameter sw:
                    return Bool(sw.IsPresent);
                case int or long or short or sbyte or byte or ushort or uint:
                    return new PyInt(System.Convert.ToInt64(value));
                case ulong ul:
                    return new PyInt(ul);
                case float f:
                    return Number(f, f.ToString(CultureInfo.InvariantCulture));
                case double d:
                    return Number(d, d.ToString(CultureInfo.InvariantCulture));
                case decimal m:
                    return Number((double)m, m.ToString(CultureInfo.InvariantCulture));
                case TimeSpan ts:
                    using (var ticks = new PyInt(ts.Ticks))
                    {
                        return wrapped ? Values.Get("WrappedTimeSpan").Invoke(ticks) : timeSpanType.Invoke(ticks);
                    }
                case DateTime dt:
                    using (var roundTrip = new PyString(dt.ToString("o", CultureInfo.InvariantCulture)))
                    using (var isWrapped = Bool(wrapped))
                    using (var text = new PyString(dt.ToString()))
                    {
                        return Values.Get("DateTime").Invoke(roundTrip, isWrapped, text);
                    }
                case DateTimeOffset dto:
                    using (var roundTrip = new PyString(dto.ToString("o", CultureInfo.InvariantCulture)))
                    using (var text = new PyString(dto.ToString()))
                    {
                        // ToString() in the host's culture, as the original writes it in -AdditionalProperties.
                        return Values.Get("DateTimeOffset").Invoke(roundTrip, text);
                    }
                case SecureString secure:
                    return new PyString(new NetworkCredential(string.Empty, secure).Password);
                case PSCredential credential:
                    return Dict(timeSpanType, depth,
                        ("UserName", credential.UserName),
                        ("Password", credential.GetNetworkCredential().Password));
                case X509Certificate2 certificate:
                    return Dict(timeSpanType, depth,
                        ("Thumbprint", certificate.Thumbprint),
                        ("Subject", certificate.Subject),
                        ("Pkcs12", ExportPkcs12(certificate)));
                case IRawModel model:
                    // The caller's value as given, or a model's typed values once it was built or changed in PowerShell.
                    return Convert(model.RawValue ?? (model as GraphModel)?.ToDictionary(), timeSpanType, depth);
                case Enum or Guid or Uri:
                    return new PyString(value.ToString()!);
                case ScriptBlock or Delegate:
                    // Pipeline steps and callbacks cannot cross into Python; the command sees that one was given.
                    return new PyString(value.ToString() ?? string.Empty);
                case IEnumerable<byte> bytes:
                    using (var hex = new PyString(System.Convert.ToHexString(bytes as byte[] ?? bytes.ToArray())))
                    {
                        return Values.Get("bytes_from_hex").Invoke(hex);
                    }
            }
            if (depth >= MaxDepth)
            {
                return new PyString(value.ToString() ?? string.Empty);
            }
            if (value is IDictionary dictionary)
            {
                var dict = new PyDict();
                foreach (DictionaryEntry entry in dictionary)
                {
                    using var key = Convert(entry.Key, timeSpanType, depth + 1);
                    using var item = Convert(entry.Value, timeSpanType, depth + 1);
                    dict[key] = item;
                }
                if (dictionary is Hashtable)
                {
                    return dict;
                }
                using (dict)
                using (var text = new PyString(value.ToString() ?? string.Empty))
                using (var items = JsonItems(dictionary, timeSpanType, depth))
                {
                    return Values.Get("DotNetDictionary").Invoke(dict, text, items);
                }
            }
            if (value is IEnumerable sequence)
            {
                var list = new PyList();
                foreach (object? element in sequence)
                {
                    using var item = Convert(element, timeSpanType, depth + 1);
                    list.Append(item);
                }
                if (value is object[])
                {
                    return list;
                }
                using (list)
                using (var text = new PyString(value.ToString() ?? string.Empty))
                {
                    return Values.Get("TypedList").Invoke(list, text);
                }
            }
            return new PyString(value.ToString() ?? string.Empty);
        }

        /// <summary>
        /// How the original writes a dictionary that is not a Hashtable inside -AdditionalProperties
        /// (JsonSerializable.ToJsonValue): None when it is a JSON object ([ordered], an
        /// IDictionary&lt;string, object&gt;), else the array items it writes: each KeyValuePair's text
        /// ("[k, 1]"), or a one-member object per DictionaryEntry.
        /// </summary>
        private static PyObject JsonItems(IDictionary dictionary, PyObject timeSpanType, int depth)
        {
            if (dictionary is OrderedDictionary || dictionary is IDictionary<string, object?>)
            {
                return PyObject.None;
            }
            var items = new PyList();
            foreach (object? element in (IEnumerable)dictionary)
            {
                if (element is DictionaryEntry entry)
                {
                    using var one = new PyDict();
                    using var key = new PyString(entry.Key?.ToString() ?? string.Empty);
                    using var item = Convert(entry.Value, timeSpanType, depth + 1);
                    one[key] = item;
                    items.Append(one);
                }
                else
                {
                    using var text = new PyString(element?.ToString() ?? string.Empty);
                    items.Append(text);
                }
            }
            return items;
        }

        private static PyObject Number(double value, string text)
        {
            using var number = new PyFloat(value);
            using var pyText = new PyString(text);
            return Values.Get("Number").Invoke(number, pyText);
        }

        /// <summary>The classes of pwshcompat.dotnetvalues (and bytes.fromhex), looked up once.</summary>
        private static class Values
        {
            private static readonly Dictionary<string, PyObject> Found = new();

            public static PyObject Get(string name)
            {
                lock (Found)
                {
                    if (!Found.TryGetValue(name, out PyObject? found))
                    {
                        if (name == "bytes_from_hex")
                        {
                            using var builtins = Py.Import("builtins");
                            using var bytes = builtins.GetAttr("bytes");
                            found = bytes.GetAttr("fromhex");
                        }
                        else
                        {
                            using var module = Py.Import("pwshcompat.dotnetvalues");
                            found = module.GetAttr(name);
                        }
                        Found[name] = found;
                    }
                    return found;
                }
            }
        }

        // PyObject.FromManagedObject(bool) would give Python a wrapped System.Boolean (always truthy).
        private static PyObject? boolType;

        private static PyObject Bool(bool value)
        {
            if (boolType is null)
            {
                using var builtins = Py.Import("builtins");
                boolType = builtins.GetAttr("bool");
            }
            using var number = new PyInt(value ? 1 : 0);
            return boolType.Invoke(number);
        }

        /// <summary>A [pscustomobject]: its properties, and its string form (@{a=1; b=x}) beside them.</summary>
        private static PyObject Properties(PSObject pso, PyObject timeSpanType, int depth)
        {
            using var dict = new PyDict();
            if (depth < MaxDepth)
            {
                foreach (PSPropertyInfo property in pso.Properties)
                {
                    object? v;
                    try
                    {
                        v = property.Value;
                    }
                    catch (GetValueException)
                    {
                        continue;
                    }
                    using var item = Convert(v, timeSpanType, depth + 1);
                    dict[property.Name] = item;
                }
            }
            using var text = new PyString(pso.ToString());
            return Values.Get("PSCustomObject").Invoke(dict, text);
        }

        private static PyObject Dict(PyObject timeSpanType, int depth, params (string Key, object? Value)[] items)
        {
            var dict = new PyDict();
            foreach (var (key, v) in items)
            {
                using var item = Convert(v, timeSpanType, depth + 1);
                dict[key] = item;
            }
            return dict;
        }

        /// <summary>The certificate with its private key as base64 PFX (no password), or null when the key cannot be exported.</summary>
        private static string? ExportPkcs12(X509Certificate2 certificate)
        {
            if (!certificate.HasPrivateKey)
            {
                return null;
            }
            try
            {
                return System.Convert.ToBase64String(certificate.Export(X509ContentType.Pkcs12));
            }
            catch (System.Security.Cryptography.CryptographicException)
            {
                return null;
            }
        }
    }
}
