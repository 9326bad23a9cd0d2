using System.Buffers;
using System.Collections;
using System.Reflection;
using System.Text.Json;
using Platform.Protocol.Messages;
using Platform.Protocol.Wire;

namespace Platform.Specs.Protocol;

/// <summary>
/// Arbitrary instances of the generated messages, built from Kafka's JSON definitions rather than from the
/// generated code, so a field the generator reads or writes in the wrong versions shows up as a failed round trip.
/// Only fields a version has are set; the rest keep their defaults, as on the wire.
/// </summary>
public static class MessageSamples
{
    private static readonly Lazy<Dictionary<string, JsonElement>> Definitions = new(LoadDefinitions);

    private static readonly string[] StringPieces = ["a", "Z", "0", "-", ".", "_", " ", "é", "ß", "Ω", "中", "😀", "\u0000"];

    /// <summary>Every generated message and header class.</summary>
    public static IReadOnlyList<Type> MessageTypes { get; } = typeof(ApiKey).Assembly.GetTypes()
        .Where(t => t.Namespace == typeof(ApiKey).Namespace && t is { IsClass: true, IsNested: false } && Definitions.Value.ContainsKey(t.Name))
        .OrderBy(t => t.Name, StringComparer.Ordinal)
        .ToArray();

    /// <summary>Every (message, version) pair the codecs claim to support.</summary>
    public static IEnumerable<(Type Type, short Version)> AllVersions() =>
        from type in MessageTypes
        let lowest = (short)type.GetField("LowestVersion")!.GetValue(null)!
        let highest = (short)type.GetField("HighestVersion")!.GetValue(null)!
        from version in Enumerable.Range(lowest, highest - lowest + 1)
        select (type, (short)version);

    public static object Create(Type type, short version, Random random)
    {
        var definition = Definitions.Value[type.Name];
        var common = definition.TryGetProperty("commonStructs", out var structs)
            ? structs.EnumerateArray().ToDictionary(s => s.GetProperty("name").GetString()!, s => s.GetProperty("fields"))
            : [];
        return Fill(type, definition.GetProperty("fields"), version, random, common, type.Name);
    }

    public static byte[] Write(object message, short version)
    {
        var buffer = new ArrayBufferWriter<byte>();
        var writer = new KafkaWriter(buffer);
        switch (message)
        {
            case IKafkaMessage body: body.Write(writer, version); break;
            case RequestHeader header: header.Write(writer, version); break;
            case ResponseHeader header: header.Write(writer, version); break;
            default: throw new ArgumentException($"Not a message: {message.GetType()}");
        }
        Assert.Equal(buffer.WrittenCount, writer.Written);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Reads through <see cref="ApiVersionsTable"/> (static Read cannot be invoked by reflection: its reader is a ref struct).</summary>
    public static object Read(Type type, ref KafkaReader reader, short version)
    {
        if (type == typeof(RequestHeader)) return RequestHeader.Read(ref reader, version);
        if (type == typeof(ResponseHeader)) return ResponseHeader.Read(ref reader, version);
        var key = (ApiKey)type.GetField("Key")!.GetValue(null)!;
        return type.Name.EndsWith("Request", StringComparison.Ordinal)
            ? ApiVersionsTable.ReadRequest(key, ref reader, version)
            : ApiVersionsTable.ReadResponse(key, ref reader, version);
    }

    public static object Read(Type type, byte[] bytes, short version)
    {
        var reader = new KafkaReader(bytes);
        var message = Read(type, ref reader, version);
        Assert.Equal(0, reader.Remaining);
        return message;
    }

    /// <summary>Field-by-field equality over the generated classes; byte arrays and record sets by content.</summary>
    public static void AssertEquivalent(object? expected, object? actual, string path)
    {
        if (expected is null || actual is null)
        {
            Assert.True(expected is null && actual is null, $"{path}: expected {expected ?? "null"}, got {actual ?? "null"}");
            return;
        }
        switch (expected)
        {
            case byte[] bytes:
                Assert.True(bytes.AsSpan().SequenceEqual((byte[])actual), $"{path}: bytes differ");
                return;
            case RecordSet records:
                Assert.True(records.ToArray().AsSpan().SequenceEqual(((RecordSet)actual).ToArray()), $"{path}: records differ");
                return;
            case string or Guid or bool or sbyte or short or ushort or int or long or double:
                Assert.True(expected.Equals(actual), $"{path}: expected {expected}, got {actual}");
                return;
            case IList list:
                var other = (IList)actual;
                Assert.True(list.Count == other.Count, $"{path}: expected {list.Count} elements, got {other.Count}");
                for (var i = 0; i < list.Count; i++) AssertEquivalent(list[i], other[i], $"{path}[{i}]");
                return;
        }
        foreach (var property in expected.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            AssertEquivalent(property.GetValue(expected), property.GetValue(actual), $"{path}.{property.Name}");
        }
    }

    public static bool In(JsonElement field, string attribute, short version) =>
        field.TryGetProperty(attribute, out var text) && InRange(text.GetString()!, version);

    public static bool InRange(string range, short version)
    {
        if (range == "none") return false;
        if (range.EndsWith('+')) return version >= short.Parse(range[..^1]);
        var dash = range.IndexOf('-');
        return dash < 0 ? version == short.Parse(range) : version >= short.Parse(range[..dash]) && version <= short.Parse(range[(dash + 1)..]);
    }

    private static object Fill(Type type, JsonElement fields, short version, Random random, Dictionary<string, JsonElement> common, string message)
    {
        var instance = Activator.CreateInstance(type)!;
        foreach (var field in fields.EnumerateArray())
        {
            if (!In(field, "versions", version)) continue;
            var name = field.GetProperty("name").GetString()!;
            if (message == "FindCoordinatorRequest" && name == "Key") name = "CoordinatorKey";
            var property = type.GetProperty(name) ?? throw new InvalidOperationException($"{type.Name} has no property {name}");
            var nullable = In(field, "nullableVersions", version);
            var value = nullable && random.Next(5) == 0
                ? null
                : Value(field, field.GetProperty("type").GetString()!, property.PropertyType, version, random, common, message);
            property.SetValue(instance, value);
        }
        return instance;
    }

    private static object Value(JsonElement field, string type, Type clrType, short version, Random random, Dictionary<string, JsonElement> common, string message)
    {
        if (type.StartsWith("[]", StringComparison.Ordinal))
        {
            var list = (IList)Activator.CreateInstance(clrType)!;
            var elementType = clrType.GetGenericArguments()[0];
            var count = random.Next(4);
            for (var i = 0; i < count; i++) list.Add(Value(field, type[2..], elementType, version, random, common, message));
            return list;
        }
        return type switch
        {
            "int8" => (sbyte)Int(random, sbyte.MinValue, sbyte.MaxValue),
            "int16" => (short)Int(random, short.MinValue, short.MaxValue),
            "uint16" => (ushort)Int(random, 0, ushort.MaxValue),
            "int32" => (int)Int(random, int.MinValue, int.MaxValue),
            "int64" => random.Next(3) == 0 ? -1L : random.NextInt64(long.MinValue, long.MaxValue),
            "float64" => (random.NextDouble() - 0.5) * Math.Pow(10, random.Next(-5, 15)),
            "bool" => random.Next(2) == 1,
            "uuid" => random.Next(4) == 0 ? Guid.Empty : new Guid(Bytes(random, 16, 16)),
            "string" => RandomString(random),
            "bytes" => Bytes(random, 0, 20),
            "records" => RecordSet.Of(Bytes(random, 0, 60)),
            _ => Fill(clrType, field.TryGetProperty("fields", out var fields) ? fields : common[type], version, random, common, message),
        };
    }

    private static long Int(Random random, long min, long max) => random.Next(4) switch
    {
        0 => -1,
        1 => 0,
        _ => random.NextInt64(min, max + 1),
    };

    private static byte[] Bytes(Random random, int min, int max)
    {
        var bytes = new byte[random.Next(min, max + 1)];
        random.NextBytes(bytes);
        return bytes;
    }

    private static string RandomString(Random random) =>
        string.Concat(Enumerable.Range(0, random.Next(0, 10)).Select(_ => StringPieces[random.Next(StringPieces.Length)]));

    private static Dictionary<string, JsonElement> LoadDefinitions()
    {
        var options = new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true };
        var result = new Dictionary<string, JsonElement>();
        foreach (var file in Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "Protocol", "Definitions"), "*.json"))
        {
            var root = JsonDocument.Parse(File.ReadAllText(file), options).RootElement;
            result[root.GetProperty("name").GetString()!] = root;
        }
        return result;
    }
}
