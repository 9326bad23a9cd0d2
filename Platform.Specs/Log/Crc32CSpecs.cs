using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;
using System.Text.Json;
using FsCheck;
using FsCheck.Xunit;
using Platform.Actors.Log;
using Platform.Protocol.Records;

namespace Platform.Specs.Log;

public class Crc32CSpecs
{
    /// <summary>The textbook bit-at-a-time CRC-32C: no tables and no intrinsics, so it checks both fast paths independently.</summary>
    private static uint Reference(ReadOnlySpan<byte> data)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in data)
        {
            crc ^= b;
            for (var k = 0; k < 8; k++) crc = (crc & 1) != 0 ? (crc >> 1) ^ 0x82F63B78u : crc >> 1;
        }
        return ~crc;
    }

    public static TheoryData<string, uint> Vectors => new()
    {
        // The CRC catalogue's check value, then RFC 3720 (iSCSI) appendix B.4.
        { "123456789", 0xE3069283u },
        { "", 0x00000000u },
        { "zeros32", 0x8A9136AAu },
        { "ones32", 0x62A8AB43u },
        { "ascending32", 0x46DD794Eu },
        { "descending32", 0x113FDB5Cu },
    };

    private static byte[] VectorBytes(string name) => name switch
    {
        "zeros32" => new byte[32],
        "ones32" => Enumerable.Repeat((byte)0xFF, 32).ToArray(),
        "ascending32" => Enumerable.Range(0, 32).Select(i => (byte)i).ToArray(),
        "descending32" => Enumerable.Range(0, 32).Select(i => (byte)(31 - i)).ToArray(),
        _ => System.Text.Encoding.ASCII.GetBytes(name),
    };

    [Theory]
    [MemberData(nameof(Vectors))]
    public void Known_vectors(string name, uint expected)
    {
        var data = VectorBytes(name);
        Assert.Equal(expected, Crc32C.Compute(data));
        Assert.Equal(expected, Crc32C.ComputeSoftware(data));
        Assert.Equal(expected, Reference(data));
    }

    private sealed record Sample(string Data, uint Crc);

    [Fact]
    public void Matches_kafka_python_on_every_length_around_the_strides()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "Fixtures", "recordbatch", "crc32c.json");
        var samples = JsonSerializer.Deserialize<List<Sample>>(File.ReadAllText(path), new JsonSerializerOptions(JsonSerializerDefaults.Web))!;
        Assert.True(samples.Count > 40);
        foreach (var sample in samples)
        {
            var data = Convert.FromBase64String(sample.Data);
            Assert.Equal(sample.Crc, Crc32C.Compute(data));
            Assert.Equal(sample.Crc, Crc32C.ComputeSoftware(data));
        }
    }

    [Property(MaxTest = 300)]
    public void Hardware_software_and_reference_agree(byte[] data, NonNegativeInt skip)
    {
        // Slicing at an arbitrary start also exercises unaligned reads.
        var span = data.AsSpan(data.Length == 0 ? 0 : skip.Get % data.Length);
        var expected = Reference(span);
        Assert.Equal(expected, Crc32C.ComputeSoftware(span));
        Assert.Equal(expected, Crc32C.Compute(span));
        if (Sse42.X64.IsSupported) Assert.Equal(expected, ~Crc32C.ComputeSse42X64(0xFFFFFFFFu, span));
        if (Sse42.IsSupported) Assert.Equal(expected, ~Crc32C.ComputeSse42(0xFFFFFFFFu, span));
        if (Crc32.Arm64.IsSupported) Assert.Equal(expected, ~Crc32C.ComputeArm64(0xFFFFFFFFu, span));
    }

    [Fact]
    public void Large_buffers_agree_too()
    {
        var data = new byte[1 << 20];
        new Random(7).NextBytes(data);
        Assert.Equal(Reference(data), Crc32C.ComputeSoftware(data));
        Assert.Equal(Reference(data), Crc32C.Compute(data));
    }
}
