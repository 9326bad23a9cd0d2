using System.Runtime.Serialization;
using Akka.Actor;
using Akka.Configuration;
using Platform.Actors.Configuration;
using Platform.Actors.Serialization;

namespace Platform.Specs.Serialization;

/// <summary>
/// Journals on disk and nodes of the previous version hold payloads written under serializer id 4200 with
/// today's manifests. The fixture holds, for every sample of <see cref="SerializerSpecs.Samples"/>, the
/// manifest and bytes that the serializer wrote before it was split per concern (main at 4b7d86b); the
/// current code must write exactly those and read them back. A removed type keeps its fixture line: its
/// manifest stays reserved, and reading its payload fails with an error that names it.
/// </summary>
public sealed class SerializerGoldenBytesSpecs : IDisposable
{
    private const int PlatformSerializerId = 4200;

    private readonly ActorSystem _system = ActorSystem.Create("serializer-golden-specs",
        ConfigurationFactory.ParseString("akka.actor.provider = local").WithFallback(PlatformConfig.Defaults));

    private static string FixturePath => Path.Combine(AppContext.BaseDirectory, "Fixtures", "serialization", "platform-serializer-4200.txt");

    /// <summary>Fixture lines are "key manifest hex"; the key is the type name, with "#n" for its n-th sample after the first.</summary>
    private static Dictionary<string, (string Manifest, string Hex)> Golden() =>
        File.ReadLines(FixturePath)
            .Where(line => line.Length > 0 && !line.StartsWith('#'))
            .Select(line => line.Split(' '))
            .ToDictionary(parts => parts[0], parts => (parts[1], parts.Length > 2 ? parts[2] : ""));

    private static IEnumerable<(string Key, object Sample)> KeyedSamples()
    {
        var seen = new Dictionary<Type, int>();
        foreach (var sample in SerializerSpecs.Samples())
        {
            var n = seen[sample.GetType()] = seen.GetValueOrDefault(sample.GetType()) + 1;
            yield return (n == 1 ? sample.GetType().Name : $"{sample.GetType().Name}#{n}", sample);
        }
    }

    [Fact]
    public void Every_message_is_written_with_the_manifest_and_bytes_of_the_previous_version()
    {
        var golden = Golden();
        var mismatches = new List<string>();
        foreach (var (key, sample) in KeyedSamples())
        {
            var serializer = (PlatformSerializer)_system.Serialization.FindSerializerFor(sample);
            Assert.Equal(PlatformSerializerId, serializer.Identifier);
            var actual = (serializer.Manifest(sample), Convert.ToHexString(serializer.ToBinary(sample)));
            if (!golden.TryGetValue(key, out var expected) || expected != actual)
                mismatches.Add($"{key} {actual.Item1} {actual.Item2}");
        }
        Assert.True(mismatches.Count == 0, "Written differently from the fixture (a new type needs a reviewed line):\n" + string.Join('\n', mismatches));
    }

    [Fact]
    public void Every_payload_of_the_previous_version_reads_back_as_its_sample()
    {
        var golden = Golden();
        var samples = KeyedSamples().ToList();
        var removed = golden.Keys.Where(key => PlatformSerializer.ReservedManifests.Values.Contains(key));
        Assert.Equal(golden.Keys.Order(StringComparer.Ordinal), samples.Select(s => s.Key).Concat(removed).Order(StringComparer.Ordinal));
        foreach (var (key, sample) in samples)
        {
            var (manifest, hex) = golden[key];
            // Resolved the way a journal resolves a stored event: by serializer id and manifest, not by type.
            var read = _system.Serialization.Deserialize(Convert.FromHexString(hex), PlatformSerializerId, manifest);
            var serializer = (PlatformSerializer)_system.Serialization.FindSerializerFor(read);
            Assert.Equal((manifest, hex), (serializer.Manifest(read), Convert.ToHexString(serializer.ToBinary(read))));
            SerializerSpecs.AssertEquivalent(sample, read);
        }
    }

    [Fact]
    public void A_removed_type_keeps_its_manifest_reserved_and_its_old_payload_is_refused_by_name()
    {
        var golden = Golden();
        Assert.NotEmpty(PlatformSerializer.ReservedManifests);
        foreach (var (manifest, removedType) in PlatformSerializer.ReservedManifests)
        {
            Assert.True(golden.TryGetValue(removedType, out var line), $"{removedType} has no fixture line");
            Assert.Equal(manifest, line.Manifest);
            var e = Assert.ThrowsAny<SerializationException>(() =>
                _system.Serialization.Deserialize(Convert.FromHexString(line.Hex), PlatformSerializerId, manifest));
            Assert.Contains(removedType, e.Message);
        }
    }

    public void Dispose() => _system.Terminate().Wait(TimeSpan.FromSeconds(10));
}
