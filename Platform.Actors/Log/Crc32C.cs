using System.Buffers.Binary;
using System.Runtime.Intrinsics.X86;

namespace Platform.Actors.Log;

/// <summary>
/// CRC-32C (Castagnoli), the checksum of Kafka's RecordBatch v2. Uses the SSE4.2 instruction when the CPU
/// has it (several GB/s, so checking every produced batch costs little), a table otherwise.
/// </summary>
public static class Crc32C
{
    private const uint Polynomial = 0x82F63B78u; // reflected Castagnoli polynomial

    private static readonly uint[] Table = BuildTable();

    public static uint Compute(ReadOnlySpan<byte> data) =>
        Sse42.X64.IsSupported ? ComputeHardware(data) : ComputeSoftware(data);

    internal static uint ComputeSoftware(ReadOnlySpan<byte> data)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in data) crc = Table[(crc ^ b) & 0xFF] ^ (crc >> 8);
        return ~crc;
    }

    private static uint ComputeHardware(ReadOnlySpan<byte> data)
    {
        ulong crc = 0xFFFFFFFFu;
        while (data.Length >= 8)
        {
            crc = Sse42.X64.Crc32(crc, BinaryPrimitives.ReadUInt64LittleEndian(data));
            data = data[8..];
        }
        var crc32 = (uint)crc;
        foreach (var b in data) crc32 = Sse42.Crc32(crc32, b);
        return ~crc32;
    }

    private static uint[] BuildTable()
    {
        var table = new uint[256];
        for (uint i = 0; i < 256; i++)
        {
            var c = i;
            for (var k = 0; k < 8; k++) c = (c & 1) != 0 ? (c >> 1) ^ Polynomial : c >> 1;
            table[i] = c;
        }
        return table;
    }
}
