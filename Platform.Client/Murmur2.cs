namespace Platform.Client;

/// <summary>
/// Kafka's default partitioner for keyed records: murmur2 of the key bytes (seed 0x9747b28c), made positive,
/// modulo the partition count. Identical results to Kafka's clients, so a key lands in the same partition
/// whichever client produced it.
/// </summary>
internal static class Murmur2
{
    /// <summary>
    /// Kafka's Utils.murmur2. Java computes it in signed ints with wrap-around and unsigned shifts (&gt;&gt;&gt;);
    /// unchecked uint arithmetic gives the same 32 bits, reinterpreted as a signed int at the end.
    /// </summary>
    public static int Hash(ReadOnlySpan<byte> data)
    {
        unchecked
        {
            const uint m = 0x5bd1e995;
            const int r = 24;
            var h = 0x9747b28cu ^ (uint)data.Length;
            var i = 0;
            for (; i + 4 <= data.Length; i += 4)
            {
                var k = (uint)(data[i] | data[i + 1] << 8 | data[i + 2] << 16 | data[i + 3] << 24);
                k *= m;
                k ^= k >> r;
                k *= m;
                h *= m;
                h ^= k;
            }
            switch (data.Length % 4)
            {
                case 3:
                    h ^= (uint)data[i + 2] << 16;
                    goto case 2;
                case 2:
                    h ^= (uint)data[i + 1] << 8;
                    goto case 1;
                case 1:
                    h ^= data[i];
                    h *= m;
                    break;
            }
            h ^= h >> 13;
            h *= m;
            h ^= h >> 15;
            return (int)h;
        }
    }

    /// <summary>Kafka's Utils.toPositive: masks the sign bit (not Math.Abs, which fails on int.MinValue).</summary>
    public static int ToPositive(int n) => n & 0x7fffffff;

    /// <summary>Kafka's partition for a non-null key (BuiltInPartitioner.partitionForKey).</summary>
    public static int PartitionForKey(ReadOnlySpan<byte> key, int numPartitions)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(numPartitions);
        return ToPositive(Hash(key)) % numPartitions;
    }
}
