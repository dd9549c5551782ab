// PowerShell values -> plain Python values, following the shared contract ("bound values as a
// command receives them"): str, bool, int, float, None, list, dict (key order kept),
// pwshcompat.conversion.TimeSpan for [TimeSpan], SecureString as plain str, PSCredential and
// X509Certificate2 as small dicts. Call with the GIL held.
using System;
using System.Collections;
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
            if (value is PSObject pso)
            {
                if (pso.BaseObject is PSCustomObject)
                {
                    return Properties(pso, timeSpanType, depth);
                }
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
                case double or float or decimal:
                    return new PyFloat(System.Convert.ToDouble(value));
                case TimeSpan ts:
                    using (var ticks = new PyInt(ts.Ticks))
                    {
                        return timeSpanType.Invoke(ticks);
                    }
                case DateTime dt:
                    return new PyString(dt.ToString("o"));
                case DateTimeOffset dto:
                    return new PyString(dto.ToString("o"));
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
                return dict;
            }
            if (value is IEnumerable sequence)
            {
                var list = new PyList();
                foreach (object? element in sequence)
                {
                    using var item = Convert(element, timeSpanType, depth + 1);
                    list.Append(item);
                }
                return list;
            }
            return new PyString(value.ToString() ?? string.Empty);
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

        private static PyObject Properties(PSObject pso, PyObject timeSpanType, int depth)
        {
            var dict = new PyDict();
            if (depth >= MaxDepth)
            {
                return dict;
            }
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
            return dict;
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
