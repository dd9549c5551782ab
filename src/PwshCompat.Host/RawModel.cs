// Graph model types (-BodyParameter, -InputObject, -StatusMessage, the objects Get-* writes) as
// PowerShell sees them, and the raw parameter types of the authentication cmdlets.
//
// The original module's models (AutoRest, powershell/models/model-extensions.ts) have typed
// settable properties, a parameterless constructor, a TypeConverter that accepts null, a PSObject,
// any IDictionary or JSON object text (so `[IModel]@{...}` casts work), AdditionalProperties and
// ToJsonString(). GraphModel gives every generated model class (src/PwshCompat.Host/Generated.g.cs,
// made from pwshcompat/spec/models.json) exactly that, from a per-class property table.
//
// A model made by the converter also keeps the caller's value as given (RawValue): until a property
// is changed, that raw value is what crosses into Python, so the Python core applies the original's
// conversion rules (and warns where the original drops a member silently). A model made with ::new(),
// changed after conversion, or written by a cmdlet crosses as its typed values (ToDictionary).
using System;
using System.Collections;
using System.Collections.Generic;
using System.Collections.Specialized;
using System.Globalization;
using System.IO;
using System.Management.Automation;
using System.Text;
using System.Text.Json;
using System.Xml;

namespace PwshCompat.Host
{
    /// <summary>Implemented by every parameter model type; exposes the value the caller gave.</summary>
    public interface IRawModel
    {
        /// <summary>The caller's value (an IDictionary, a PSObject, or JSON text), or null when the model's own values count.</summary>
        object? RawValue { get; }
    }

    /// <summary>Base of the generated raw classes (types the Python core interprets whole): one raw value.</summary>
    public abstract class RawModel : IRawModel
    {
        protected RawModel(object? rawValue) => RawValue = rawValue;

        public object? RawValue { get; }

        public override string ToString() => RawValue?.ToString() ?? string.Empty;
    }

    /// <summary>How a model property is converted: the codec of its type in pwshcompat/spec/models.json.</summary>
    public enum ModelKind
    {
        String,
        Boolean,
        Int32,
        Duration,
        DateTime,
        StringArray,
        Model,
    }

    /// <summary>One property of a generated model: PowerShell name, JSON name, codec, nested model class.</summary>
    public sealed class ModelProperty
    {
        public ModelProperty(string name, string wire, ModelKind kind, Type? modelType = null)
        {
            Name = name;
            Wire = wire;
            Kind = kind;
            ModelType = modelType;
        }

        public string Name { get; }
        public string Wire { get; }
        public ModelKind Kind { get; }
        public Type? ModelType { get; }
    }

    /// <summary>Implemented by every generated model interface.</summary>
    public interface IGraphModel : IRawModel
    {
        /// <summary>The model as JSON, as the original's ToJsonString() writes it (members with values only).</summary>
        string ToJsonString();
    }

    /// <summary>
    /// Base of the generated model classes: typed values by property name, additional properties,
    /// conversion from the shapes the original's TypeConverter accepts, and JSON.
    /// </summary>
    public abstract class GraphModel : IGraphModel
    {
        private readonly Dictionary<string, object?> values = new(StringComparer.OrdinalIgnoreCase);
        private object? raw;
        private bool modified;

        protected GraphModel()
        {
            AdditionalPropertiesStore = new TrackedDictionary(() => modified = true);
        }

        /// <summary>The generated class's properties, in the order the original writes them.</summary>
        protected abstract ModelProperty[] Properties { get; }

        /// <summary>Whether unknown members are kept (every Graph model; not the identity).</summary>
        protected virtual bool KeepsAdditionalProperties => true;

        /// <summary>The members the model does not know, in the order given (the original's AdditionalProperties).</summary>
        protected TrackedDictionary AdditionalPropertiesStore { get; }

        public object? RawValue => modified ? null : raw;

        protected T? GetValue<T>(string name) => values.TryGetValue(name, out object? v) && v is T t ? t : default;

        protected void SetValue(string name, object? value)
        {
            if (value is null)
            {
                values.Remove(name);
            }
            else
            {
                values[name] = value;
            }
            modified = true;
        }

        /// <summary>Fills the model from the caller's value (the converter's rules) and keeps it as RawValue.</summary>
        public void Load(object? source)
        {
            raw = source is PSObject { BaseObject: not PSCustomObject } wrapped ? wrapped.BaseObject : source;
            foreach (var (key, value) in Members(raw))
            {
                ModelProperty? property = Find(key);
                if (property is null)
                {
                    if (KeepsAdditionalProperties && value is not null)
                    {
                        AdditionalPropertiesStore.Inner[key] = value;
                    }
                    continue;
                }
                object? converted = ConvertValue(property, value);
                if (converted is not null)
                {
                    values[property.Name] = converted;
                }
            }
            modified = false;
        }

        /// <summary>Sets typed values written by the Python core (already of the right .NET types).</summary>
        public void LoadValues(IDictionary typed)
        {
            foreach (DictionaryEntry entry in typed)
            {
                string key = entry.Key?.ToString() ?? string.Empty;
                if (key == "AdditionalProperties" && entry.Value is IDictionary additional)
                {
                    foreach (DictionaryEntry extra in additional)
                    {
                        AdditionalPropertiesStore.Inner[extra.Key?.ToString() ?? string.Empty] = extra.Value;
                    }
                    continue;
                }
                ModelProperty? property = Find(key);
                if (property is not null && entry.Value is not null)
                {
                    values[property.Name] = ConvertValue(property, entry.Value) ?? entry.Value;
                }
            }
            modified = true;
        }

        private ModelProperty? Find(string key)
        {
            foreach (ModelProperty p in Properties)
            {
                if (string.Equals(p.Name, key, StringComparison.OrdinalIgnoreCase)
                    || string.Equals(p.Wire, key, StringComparison.OrdinalIgnoreCase))
                {
                    return p;
                }
            }
            return null;
        }

        /// <summary>The (key, value) pairs of a hashtable, a PSObject's properties, JSON object text or another model.</summary>
        private static IEnumerable<(string Key, object? Value)> Members(object? source)
        {
            switch (source)
            {
                case null:
                    yield break;
                case GraphModel model:
                    foreach (DictionaryEntry entry in model.ToDictionary())
                    {
                        yield return (entry.Key.ToString()!, entry.Value);
                    }
                    yield break;
                case IDictionary dictionary:
                    foreach (DictionaryEntry entry in dictionary)
                    {
                        if (entry.Key is not null)
                        {
                            yield return (entry.Key.ToString()!, Unwrap(entry.Value));
                        }
                    }
                    yield break;
                case PSObject pso:
                    foreach (PSPropertyInfo property in pso.Properties)
                    {
                        object? value;
                        try
                        {
                            value = property.Value;
                        }
                        catch (GetValueException)
                        {
                            continue;
                        }
                        yield return (property.Name, Unwrap(value));
                    }
                    yield break;
                case string text:
                    object? parsed;
                    try
                    {
                        using var doc = JsonDocument.Parse(text);
                        parsed = FromJson(doc.RootElement);
                    }
                    catch (JsonException)
                    {
                        yield break;
                    }
                    if (parsed is IDictionary members)
                    {
                        foreach (DictionaryEntry entry in members)
                        {
                            yield return (entry.Key.ToString()!, entry.Value);
                        }
                    }
                    yield break;
            }
        }

        private static object? Unwrap(object? value) => value is PSObject { BaseObject: not PSCustomObject } pso ? pso.BaseObject : value;

        private static object? FromJson(JsonElement element)
        {
            switch (element.ValueKind)
            {
                case JsonValueKind.Object:
                    var map = new OrderedDictionary(StringComparer.OrdinalIgnoreCase);
                    foreach (JsonProperty property in element.EnumerateObject())
                    {
                        map[property.Name] = FromJson(property.Value);
                    }
                    return map;
                case JsonValueKind.Array:
                    var list = new List<object?>();
                    foreach (JsonElement item in element.EnumerateArray())
                    {
                        list.Add(FromJson(item));
                    }
                    return list.ToArray();
                case JsonValueKind.String:
                    return element.GetString();
                case JsonValueKind.Number:
                    return element.TryGetInt64(out long n) ? n : element.GetDouble();
                case JsonValueKind.True:
                    return true;
                case JsonValueKind.False:
                    return false;
                default:
                    return null;
            }
        }

        /// <summary>
        /// ``value`` as the property's type, or null when it does not convert (the original's
        /// GetValueForProperty swallows conversion errors).
        /// </summary>
        private static object? ConvertValue(ModelProperty property, object? value)
        {
            value = Unwrap(value);
            if (value is null)
            {
                return null;
            }
            try
            {
                switch (property.Kind)
                {
                    case ModelKind.String:
                        return value is string s ? s : System.Convert.ToString(value, CultureInfo.InvariantCulture);
                    case ModelKind.Boolean:
                        return value is bool b ? b : LanguagePrimitives.ConvertTo<bool>(value);
                    case ModelKind.Int32:
                        return value is int i ? i : LanguagePrimitives.ConvertTo<int>(value);
                    case ModelKind.Duration:
                        return value is TimeSpan t ? t : XmlConvert.ToTimeSpan(value.ToString()!);
                    case ModelKind.DateTime:
                        return value switch
                        {
                            DateTime d => d.ToUniversalTime(),
                            DateTimeOffset o => o.UtcDateTime,
                            _ => XmlConvert.ToDateTime(value.ToString()!, XmlDateTimeSerializationMode.Utc),
                        };
                    case ModelKind.StringArray:
                        if (value is string single)
                        {
                            return new[] { single };
                        }
                        if (value is IEnumerable items)
                        {
                            var list = new List<string>();
                            foreach (object? item in items)
                            {
                                list.Add(System.Convert.ToString(Unwrap(item), CultureInfo.InvariantCulture) ?? string.Empty);
                            }
                            return list.ToArray();
                        }
                        return new[] { System.Convert.ToString(value, CultureInfo.InvariantCulture) ?? string.Empty };
                    case ModelKind.Model:
                        if (property.ModelType is null || property.ModelType.IsInstanceOfType(value))
                        {
                            return value;
                        }
                        if (value is not (IDictionary or PSObject or string or GraphModel))
                        {
                            return null;
                        }
                        var nested = (GraphModel)Activator.CreateInstance(property.ModelType)!;
                        nested.Load(value);
                        return nested;
                }
            }
            catch (Exception ex) when (ex is FormatException or InvalidCastException or PSInvalidCastException or OverflowException
                                       or ArgumentException)
            {
                return null;
            }
            return null;
        }

        /// <summary>The model's values (typed; nested models as dictionaries) then AdditionalProperties: what Python receives.</summary>
        public OrderedDictionary ToDictionary()
        {
            var result = new OrderedDictionary(StringComparer.OrdinalIgnoreCase);
            foreach (var (key, value) in AdditionalPropertiesStore.Inner)
            {
                result[key] = value;
            }
            foreach (ModelProperty p in Properties)
            {
                if (values.TryGetValue(p.Name, out object? value) && value is not null)
                {
                    result[p.Name] = value is GraphModel nested ? nested.RawValue ?? nested.ToDictionary() : value;
                }
            }
            return result;
        }

        /// <summary>The model as JSON: additional members first, then the known ones in the original's order.</summary>
        public string ToJsonString()
        {
            using var stream = new MemoryStream();
            using (var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
            {
                WriteJson(writer);
            }
            return Encoding.UTF8.GetString(stream.ToArray());
        }

        private void WriteJson(Utf8JsonWriter writer)
        {
            writer.WriteStartObject();
            foreach (var (key, value) in AdditionalPropertiesStore.Inner)
            {
                if (value is not null)
                {
                    writer.WritePropertyName(key);
                    WriteAny(writer, value);
                }
            }
            foreach (ModelProperty p in Properties)
            {
                if (!values.TryGetValue(p.Name, out object? value) || value is null)
                {
                    continue;
                }
                writer.WritePropertyName(p.Wire);
                switch (value)
                {
                    case TimeSpan span:
                        writer.WriteStringValue(XmlConvert.ToString(span));
                        break;
                    case DateTime date:
                        writer.WriteStringValue(date.ToUniversalTime().ToString("yyyy'-'MM'-'dd'T'HH':'mm':'ss'.'fffffff'Z'", CultureInfo.InvariantCulture));
                        break;
                    default:
                        WriteAny(writer, value);
                        break;
                }
            }
            writer.WriteEndObject();
        }

        private static void WriteAny(Utf8JsonWriter writer, object? value)
        {
            value = Unwrap(value);
            switch (value)
            {
                case null:
                    writer.WriteNullValue();
                    break;
                case GraphModel model:
                    model.WriteJson(writer);
                    break;
                case string s:
                    writer.WriteStringValue(s);
                    break;
                case bool b:
                    writer.WriteBooleanValue(b);
                    break;
                case int or long or short or byte or sbyte or uint or ushort:
                    writer.WriteNumberValue(System.Convert.ToInt64(value, CultureInfo.InvariantCulture));
                    break;
                case ulong ul:
                    writer.WriteNumberValue(ul);
                    break;
                case float or double or decimal:
                    writer.WriteNumberValue(System.Convert.ToDouble(value, CultureInfo.InvariantCulture));
                    break;
                case DateTime date:
                    writer.WriteStringValue(date.ToUniversalTime().ToString("yyyy'-'MM'-'dd'T'HH':'mm':'ss'Z'", CultureInfo.InvariantCulture));
                    break;
                case IDictionary dictionary:
                    writer.WriteStartObject();
                    foreach (DictionaryEntry entry in dictionary)
                    {
                        if (entry.Value is not null)
                        {
                            writer.WritePropertyName(entry.Key.ToString()!);
                            WriteAny(writer, entry.Value);
                        }
                    }
                    writer.WriteEndObject();
                    break;
                case IEnumerable sequence:
                    writer.WriteStartArray();
                    foreach (object? item in sequence)
                    {
                        WriteAny(writer, item);
                    }
                    writer.WriteEndArray();
                    break;
                default:
                    writer.WriteStringValue(value.ToString());
                    break;
            }
        }

        /// <summary>The original's models do not override ToString: their type name.</summary>
        public override string ToString() => GetType().FullName ?? GetType().Name;

        /// <summary>A model of <paramref name="type"/> from the typed values the Python core wrote (bridge.ModelData).</summary>
        public static GraphModel FromValues(Type type, IDictionary typed)
        {
            var model = (GraphModel)Activator.CreateInstance(type)!;
            model.LoadValues(typed);
            return model;
        }

        /// <summary>Additional properties that mark the model changed when they change.</summary>
        /// <remarks>Also the non-generic IDictionary, as the original's Dictionary&lt;string, object&gt; is:
        /// PowerShell reads keys as members through it (<c>$p.AdditionalProperties.sequenceNumber</c>),
        /// ConvertTo-Json writes an object and a [hashtable] parameter takes it.</remarks>
        protected sealed class TrackedDictionary : IDictionary<string, object?>, IDictionary
        {
            private readonly Action changed;

            public TrackedDictionary(Action changed) => this.changed = changed;

            internal Dictionary<string, object?> Inner { get; } = new();

            public object? this[string key]
            {
                get => Inner[key];
                set
                {
                    Inner[key] = value;
                    changed();
                }
            }

            public ICollection<string> Keys => Inner.Keys;
            public ICollection<object?> Values => Inner.Values;
            public int Count => Inner.Count;
            public bool IsReadOnly => false;

            object? IDictionary.this[object key]
            {
                get => key is string name && Inner.TryGetValue(name, out var value) ? value : null;
                set => this[(string)key] = value;
            }

            public override string ToString() => Inner.ToString()!;  // Export-Csv and "$x" show the original's type text

            ICollection IDictionary.Keys => Inner.Keys;
            ICollection IDictionary.Values => Inner.Values;
            bool IDictionary.IsFixedSize => false;
            bool ICollection.IsSynchronized => false;
            object ICollection.SyncRoot => ((ICollection)Inner).SyncRoot;
            void IDictionary.Add(object key, object? value) => Add((string)key, value);
            bool IDictionary.Contains(object key) => key is string name && Inner.ContainsKey(name);
            IDictionaryEnumerator IDictionary.GetEnumerator() => ((IDictionary)Inner).GetEnumerator();
            void ICollection.CopyTo(Array array, int index) => ((ICollection)Inner).CopyTo(array, index);

            void IDictionary.Remove(object key)
            {
                if (key is string name)
                {
                    Remove(name);
                }
            }

            public void Add(string key, object? value)
            {
                Inner.Add(key, value);
                changed();
            }

            public void Add(KeyValuePair<string, object?> item) => Add(item.Key, item.Value);

            public void Clear()
            {
                Inner.Clear();
                changed();
            }

            public bool Contains(KeyValuePair<string, object?> item) => ((ICollection<KeyValuePair<string, object?>>)Inner).Contains(item);
            public bool ContainsKey(string key) => Inner.ContainsKey(key);

            public void CopyTo(KeyValuePair<string, object?>[] array, int arrayIndex)
                => ((ICollection<KeyValuePair<string, object?>>)Inner).CopyTo(array, arrayIndex);

            public IEnumerator<KeyValuePair<string, object?>> GetEnumerator() => Inner.GetEnumerator();

            public bool Remove(string key)
            {
                changed();
                return Inner.Remove(key);
            }

            public bool Remove(KeyValuePair<string, object?> item) => Remove(item.Key);
            public bool TryGetValue(string key, out object? value) => Inner.TryGetValue(key, out value);
            IEnumerator IEnumerable.GetEnumerator() => Inner.GetEnumerator();
        }
    }

    /// <summary>What a model converter does with a value (see <see cref="GraphModelConverter{TModel, TClass}"/>).</summary>
    public enum ModelConversion
    {
        /// <summary>No conversion: PowerShell reports a transformation error (or leaves piped input unbound).</summary>
        Refuse,
        /// <summary>The value converts to null: a mandatory parameter then refuses it (NullNotAllowed).</summary>
        Null,
        /// <summary>Already the model.</summary>
        Same,
        /// <summary>A new model filled from the value.</summary>
        Load,
    }

    /// <summary>
    /// The TypeConverter rules of the original's body and nested model classes (facts:
    /// original-observed.md "Binding", cmdlet-semantics.md 2.1): null, the model itself, any
    /// IDictionary, or JSON object text convert; a [pscustomobject] does not (the original refuses
    /// it with ParameterArgumentTransformationError), nor does JSON text with a member given twice in
    /// different case (Graph's JSON objects are case-insensitive, so the original's parser fails).
    /// </summary>
    public class GraphModelConverter<TModel, TClass> : PSTypeConverter where TClass : GraphModel, TModel, new()
    {
        public override bool CanConvertFrom(object sourceValue, Type destinationType) => Classify(sourceValue) != ModelConversion.Refuse;

        public override bool CanConvertFrom(PSObject sourceValue, Type destinationType)
            => Classify(sourceValue.BaseObject is PSCustomObject ? sourceValue : sourceValue.BaseObject) != ModelConversion.Refuse;

        public override object? ConvertFrom(PSObject sourceValue, Type destinationType, IFormatProvider formatProvider, bool ignoreCase)
            => Convert(sourceValue.BaseObject is PSCustomObject ? sourceValue : sourceValue.BaseObject);

        public override object? ConvertFrom(object sourceValue, Type destinationType, IFormatProvider formatProvider, bool ignoreCase)
            => Convert(sourceValue);

        public override bool CanConvertTo(object sourceValue, Type destinationType) => false;

        public override object? ConvertTo(object sourceValue, Type destinationType, IFormatProvider formatProvider, bool ignoreCase)
            => null;

        /// <summary>What the original's converter does with <paramref name="source"/>.</summary>
        protected virtual ModelConversion Classify(object? source) => source switch
        {
            null => ModelConversion.Null,
            TModel => ModelConversion.Same,
            PSObject => ModelConversion.Refuse, // a [pscustomobject]
            IDictionary => ModelConversion.Load,
            string text when RawModelConverter<IRawModel>.IsJsonObjectText(text, caseInsensitiveMembers: true) => ModelConversion.Load,
            _ => ModelConversion.Refuse,
        };

        private object? Convert(object? source)
        {
            switch (Classify(source))
            {
                case ModelConversion.Same:
                    return source;
                case ModelConversion.Load:
                    var created = new TClass();
                    created.Load(source);
                    return created;
                default:
                    return null;
            }
        }
    }

    /// <summary>
    /// The original's -InputObject identity converter (original-observed.md, "Binding"): a hashtable
    /// or an identity converts; a string that is not JSON, a number or a Boolean converts to null
    /// (so PowerShell reports ParameterArgumentValidationErrorNullNotAllowed, once per piped item);
    /// a [pscustomobject] or JSON object text does not convert (a transformation error, or
    /// InputObjectNotBound when piped).
    /// </summary>
    public class GraphIdentityConverter<TModel, TClass> : GraphModelConverter<TModel, TClass> where TClass : GraphModel, TModel, new()
    {
        protected override ModelConversion Classify(object? source) => source switch
        {
            null => ModelConversion.Null,
            TModel => ModelConversion.Same,
            PSObject => ModelConversion.Refuse,
            IDictionary => ModelConversion.Load,
            string text => RawModelConverter<IRawModel>.IsJsonObjectText(text) ? ModelConversion.Refuse : ModelConversion.Null,
            decimal => ModelConversion.Null,
            _ when source.GetType().IsPrimitive => ModelConversion.Null,
            _ => ModelConversion.Refuse,
        };
    }

    /// <summary>
    /// The AutoRest TypeConverter rules, generic over a raw model type. A generated subclass supplies
    /// <see cref="Create"/> for its model type.
    /// </summary>
    public abstract class RawModelConverter<TModel> : PSTypeConverter where TModel : class, IRawModel
    {
        protected abstract TModel Create(object rawValue);

        public override bool CanConvertFrom(object sourceValue, Type destinationType) => CanConvert(sourceValue);

        public override bool CanConvertFrom(PSObject sourceValue, Type destinationType)
        {
            // PowerShell hands us the PSObject for PSCustomObjects (their properties live on it).
            return CanConvert(sourceValue.BaseObject is PSCustomObject ? sourceValue : sourceValue.BaseObject);
        }

        public override object? ConvertFrom(PSObject sourceValue, Type destinationType, IFormatProvider formatProvider, bool ignoreCase)
            => Convert(sourceValue.BaseObject is PSCustomObject ? sourceValue : sourceValue.BaseObject);

        public override object? ConvertFrom(object sourceValue, Type destinationType, IFormatProvider formatProvider, bool ignoreCase)
            => Convert(sourceValue);

        public override bool CanConvertTo(object sourceValue, Type destinationType) => false;

        public override object? ConvertTo(object sourceValue, Type destinationType, IFormatProvider formatProvider, bool ignoreCase)
            => null;

        private static bool CanConvert(object? source)
        {
            if (source is null || source is PSObject || source is IDictionary || source is TModel)
            {
                return true;
            }
            return IsJsonObjectText(source.ToString());
        }

        private object? Convert(object? source)
        {
            switch (source)
            {
                case null:
                    return null;
                case TModel model:
                    return model;
                case string text:
                    return Create(text);
                case PSObject or IDictionary:
                    return Create(source);
                default:
                    // AutoRest calls ToJsonString() on other objects, which only models have; the
                    // failure is swallowed and the converter yields null.
                    return null;
            }
        }

        /// <summary>
        /// True for text that parses as a JSON object (AutoRest: starts with '{', ends with '}', parses
        /// as an object); with <paramref name="caseInsensitiveMembers"/>, also no object in it may have
        /// two members whose names differ only in case (Graph's JSON objects refuse them).
        /// </summary>
        internal static bool IsJsonObjectText(string? text, bool caseInsensitiveMembers = false)
        {
            text = text?.Trim();
            if (string.IsNullOrEmpty(text) || text[0] != '{' || text[^1] != '}')
            {
                return false;
            }
            try
            {
                using var doc = JsonDocument.Parse(text);
                return doc.RootElement.ValueKind == JsonValueKind.Object
                       && (!caseInsensitiveMembers || !HasMemberTwice(doc.RootElement));
            }
            catch (JsonException)
            {
                return false;
            }
        }

        private static bool HasMemberTwice(JsonElement element)
        {
            switch (element.ValueKind)
            {
                case JsonValueKind.Object:
                    var names = new HashSet<string>(StringComparer.InvariantCultureIgnoreCase);
                    foreach (JsonProperty property in element.EnumerateObject())
                    {
                        if (!names.Add(property.Name) || HasMemberTwice(property.Value))
                        {
                            return true;
                        }
                    }
                    return false;
                case JsonValueKind.Array:
                    foreach (JsonElement item in element.EnumerateArray())
                    {
                        if (HasMemberTwice(item))
                        {
                            return true;
                        }
                    }
                    return false;
                default:
                    return false;
            }
        }
    }
}
