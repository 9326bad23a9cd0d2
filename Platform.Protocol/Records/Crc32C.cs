using System.Buffers.Binary;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace Platform.Protocol.Records;

/// <summary>
/// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum of Kafka's RecordBatch v2. The
/// broker checks it on every produced batch, so it uses the CPU's CRC32C instruction (SSE4.2 on x64,
/// the CRC32 extension on Arm64), 8 bytes per instruction; elsewhere a slicing-by-8 table does 8 bytes
/// per step. All paths give identical results; the specs compare them.
/// </summary>
internal static class Crc32C
{
    private const uint Polynomial = 0x82F63B78u;

    /// <summary>Slicing-by-8 tables: Tables[k * 256 + b] is the CRC of byte b followed by k zero bytes.</summary>
    private static readonly uint[] Tables = BuildTables();

    public static uint Compute(ReadOnlySpan<byte> data)
    {
        if (Sse42.X64.IsSupported) return ~ComputeSse42X64(0xFFFFFFFFu, data);
        if (Sse42.IsSupported) return ~ComputeSse42(0xFFFFFFFFu, data);
        if (Crc32.Arm64.IsSupported) return ~ComputeArm64(0xFFFFFFFFu, data);
        return ComputeSoftware(data);
    }

    /// <summary>The portable path, internal so the specs can compare it with the hardware one.</summary>
    internal static uint ComputeSoftware(ReadOnlySpan<byte> data)
    {
        var tables = Tables.AsSpan();
        var crc = 0xFFFFFFFFu;
        var i = 0;
        for (; i + 8 <= data.Length; i += 8)
        {
            var low = BinaryPrimitives.ReadUInt32LittleEndian(data[i..]) ^ crc;
            var high = BinaryPrimitives.ReadUInt32LittleEndian(data[(i + 4)..]);
            crc = tables[7 * 256 + (int)(low & 0xFF)]
                  ^ tables[6 * 256 + (int)((low >> 8) & 0xFF)]
                  ^ tables[5 * 256 + (int)((low >> 16) & 0xFF)]
                  ^ tables[4 * 256 + (int)(low >> 24)]
                  ^ tables[3 * 256 + (int)(high & 0xFF)]
                  ^ tables[2 * 256 + (int)((high >> 8) & 0xFF)]
                  ^ tables[1 * 256 + (int)((high >> 16) & 0xFF)]
                  ^ tables[(int)(high >> 24)];
        }
        for (; i < data.Length; i++) crc = tables[(int)((crc ^ data[i]) & 0xFF)] ^ (crc >> 8);
        return ~crc;
    }

    // The hardware paths take and return the raw (not inverted) register, internal for the specs.
    internal static uint ComputeSse42X64(uint crc, ReadOnlySpan<byte> data)
    {
        ulong wide = crc;
        var i = 0;
        for (; i + 8 <= data.Length; i += 8) wide = Sse42.X64.Crc32(wide, BinaryPrimitives.ReadUInt64LittleEndian(data[i..]));
        crc = (uint)wide;
        for (; i < data.Length; i++) crc = Sse42.Crc32(crc, data[i]);
        return crc;
    }

    internal static uint ComputeSse42(uint crc, ReadOnlySpan<byte> data)
    {
        var i = 0;
        for (; i + 4 <= data.Length; i += 4) crc = Sse42.Crc32(crc, BinaryPrimitives.ReadUInt32LittleEndian(data[i..]));
        for (; i < data.Length; i++) crc = Sse42.Crc32(crc, data[i]);
        return crc;
    }

    internal static uint ComputeArm64(uint crc, ReadOnlySpan<byte> data)
    {
        var i = 0;
        for (; i + 8 <= data.Length; i += 8) crc = Crc32.Arm64.ComputeCrc32C(crc, BinaryPrimitives.ReadUInt64LittleEndian(data[i..]));
        for (; i < data.Length; i++) crc = Crc32.ComputeCrc32C(crc, data[i]);
        return crc;
    }

    private static uint[] BuildTables()
    {
        var tables = new uint[8 * 256];
        for (uint b = 0; b < 256; b++)
        {
            var c = b;
            for (var k = 0; k < 8; k++) c = (c & 1) != 0 ? (c >> 1) ^ Polynomial : c >> 1;
            tables[b] = c;
        }
        for (var b = 0; b < 256; b++)
        for (var k = 1; k < 8; k++)
        {
            var previous = tables[(k - 1) * 256 + b];
            tables[k * 256 + b] = tables[(int)(previous & 0xFF)] ^ (previous >> 8);
        }
        return tables;
    }
}
