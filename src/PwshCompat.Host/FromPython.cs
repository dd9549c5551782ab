// Plain Python values (as pwshcompat/bridge.py prepares them) -> PowerShell values.
// Call with the GIL held.
using System;
using System.Collections;
using System.Collections.Generic;
using System.Collections.Specialized;
using System.Management.Automation;
using Python.Runtime;

namespace PwshCompat.Host
{
    /// <summary>The Python types the conversion recognises, looked up once per process.</summary>
    internal sealed class PythonTypes
    {
        public PythonTypes(PyObject bridge, PyObject conversion)
        {
            using var builtins = Py.Import("builtins");
            Bool = builtins.GetAttr("bool");
            Int = builtins.GetAttr("int");
            Float = builtins.GetAttr("float");
            Str = builtins.GetAttr("str");
            List = builtins.GetAttr("list");
            Tuple = builtins.GetAttr("tuple");
            Dict = builtins.GetAttr("dict");
            TimeSpan = conversion.GetAttr("TimeSpan");
            ObjectData = bridge.GetAttr("PSObjectData");
            JsonObjectData = bridge.GetAttr("JsonObjectData");
            ModelData = bridge.GetAttr("ModelData");
            using var datetime = Py.Import("datetime");
            DateTime = datetime.GetAttr("datetime");
            HeaderDictionary = bridge.GetAttr("HeaderDictionary");
            using var hostValues = Py.Import("pwshcompat.hostvalues");
            Hashtable = hostValues.GetAttr("Hashtable");
            ResponseMessage = hostValues.GetAttr("HttpResponseMessage");
        }

        public PyObject Bool { get; }
        public PyObject Int { get; }
        public PyObject Float { get; }
        public PyObject Str { get; }
        public PyObject List { get; }
        public PyObject Tuple { get; }
        public PyObject Dict { get; }
        public PyObject TimeSpan { get; }
        public PyObject ObjectData { get; }
        public PyObject JsonObjectData { get; }
        public PyObject ModelData { get; }
        public PyObject DateTime { get; }
        public PyObject HeaderDictionary { get; }
        public PyObject Hashtable { get; }
        public PyObject ResponseMessage { get; }
    }

    internal static class FromPython
    {
        /// <summary>The generated model class a ModelData names (its first type name), if this assembly has it.</summary>
        private static Type? ModelType(PyObject value)
        {
            using var names = value.GetAttr("type_names");
            using var first = names[0];
            Type? type = typeof(GraphModel).Assembly.GetType(first.ToString()!, throwOnError: false);
            return type is not null && typeof(GraphModel).IsAssignableFrom(type) && !type.IsAbstract ? type : null;
        }

        public static object? Convert(PyObject value, PythonTypes types) => Convert(value, types, json: false);

        /// <summary>
        /// <paramref name="json"/>: the value comes from a JSON document (inside a Hashtable), so it
        /// takes the types the original's JSON reader gives: Int64 for integers, DateTime for ISO
        /// 8601 date-times (see <see cref="JsonValues"/>).
        /// </summary>
        private static object? Convert(PyObject value, PythonTypes types, bool json)
        {
            if (value.IsNone())
            {
                return null;
            }
            if (value.IsInstance(types.Str))
            {
                string text = value.As<string>();
                return json ? JsonValues.FromString(text) : text;
            }
            if (value.IsInstance(types.Bool))
            {
                return value.IsTrue();
            }
            if (value.IsInstance(types.Int))
            {
                if (json)
                {
                    return JsonValues.FromInteger(value);
                }
                long n = value.As<long>();
                return n is >= int.MinValue and <= int.MaxValue ? (object)(int)n : n;
            }
            if (value.IsInstance(types.Float))
            {
                return value.As<double>();
            }
            if (value.IsInstance(types.TimeSpan))
            {
                using var ticks = value.GetAttr("ticks");
                return new TimeSpan(ticks.As<long>());
            }
            if (value.IsInstance(types.HeaderDictionary))
            {
                // The original's -ResponseHeadersVariable value: case-insensitive, string -> IEnumerable<string>.
                var headers = new Dictionary<string, IEnumerable<string>>(StringComparer.OrdinalIgnoreCase);
                using var items = value.InvokeMethod("items");
                foreach (PyObject pair in items.Each())
                {
                    using (pair)
                    using (var key = pair[0])
                    using (var values = pair[1])
                    {
                        var list = new List<string>();
                        foreach (PyObject v in values.Each())
                        {
                            using (v)
                            {
                                list.Add(v.ToString() ?? string.Empty);
                            }
                        }
                        headers[key.ToString()!] = list.ToArray();
                    }
                }
                return headers;
            }
            if (value.IsInstance(types.DateTime))
            {
                using var iso = value.InvokeMethod("isoformat");
                return System.DateTime.Parse(iso.As<string>(), System.Globalization.CultureInfo.InvariantCulture,
                    System.Globalization.DateTimeStyles.RoundtripKind).ToUniversalTime();
            }
            if (value.IsInstance(types.ModelData) && ModelType(value) is Type modelType)
            {
                // A Graph model object: an instance of the generated model class with typed properties.
                var typed = new OrderedDictionary(StringComparer.OrdinalIgnoreCase);
                using var pairs = value.InvokeMethod("items");
                foreach (PyObject pair in pairs.Each())
                {
                    using (pair)
                    using (var key = pair[0])
                    using (var v = pair[1])
                    {
                        typed[key.ToString()!] = Convert(v, types);
                    }
                }
                return GraphModel.FromValues(modelType, typed);
            }
            if (value.IsInstance(types.JsonObjectData))
            {
                // Invoke-MgGraphRequest -OutputType PSObject: a note property per JSON member, its
                // value as the original's JSON reader types it (a later member whose name differs
                // only in case replaces the earlier one, as PowerShell's member collection does).
                var result = new PSObject();
                using var items = value.InvokeMethod("items");
                foreach (PyObject pair in items.Each())
                {
                    using (pair)
                    using (var key = pair[0])
                    using (var v = pair[1])
                    {
                        result.Properties.Add(new PSNoteProperty(key.ToString()!, Convert(v, types, json: true)));
                    }
                }
                return result;
            }
            if (value.IsInstance(types.ObjectData))
            {
                var result = new PSObject();
                using (var typeNames = value.GetAttr("type_names"))
                {
                    int i = 0;
                    foreach (PyObject name in typeNames.Each())
                    {
                        using (name)
                        {
                            result.TypeNames.Insert(i++, name.ToString()!);
                        }
                    }
                }
                using var items = value.InvokeMethod("items");
                foreach (PyObject pair in items.Each())
                {
                    using (pair)
                    using (var key = pair[0])
                    using (var v = pair[1])
                    {
                        result.Properties.Add(new PSNoteProperty(key.ToString()!, Convert(v, types)));
                    }
                }
                return result;
            }
            if (value.IsInstance(types.Hashtable))
            {
                // The original's default Invoke-MgGraphRequest output: keys case-insensitive, as
                // Microsoft.Graph.Authentication's StringUtil.ConvertFromJson makes them.
                using var items = value.InvokeMethod("items");
                var result = new Hashtable(StringComparer.OrdinalIgnoreCase);
                foreach (PyObject pair in items.Each())
                {
                    using (pair)
                    using (var key = pair[0])
                    using (var v = pair[1])
                    {
                        result[key.ToString()!] = Convert(v, types, json: true);
                    }
                }
                return result;
            }
            if (value.IsInstance(types.ResponseMessage))
            {
                return HttpMessages.FromPython(value);
            }
            if (value.IsInstance(types.Dict))
            {
                var result = new OrderedDictionary(StringComparer.OrdinalIgnoreCase);
                using var items = value.InvokeMethod("items");
                foreach (PyObject pair in items.Each())
                {
                    using (pair)
                    using (var key = pair[0])
                    using (var v = pair[1])
                    {
                        result[Convert(key, types) ?? string.Empty] = Convert(v, types, json);
                    }
                }
                return result;
            }
            if (value.IsInstance(types.List) || value.IsInstance(types.Tuple))
            {
                var result = new List<object?>();
                foreach (PyObject item in value.Each())
                {
                    using (item)
                    {
                        result.Add(Convert(item, types, json));
                    }
                }
                return result.ToArray();
            }
            return value.ToString();
        }
    }
}
