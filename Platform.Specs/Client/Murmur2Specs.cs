using System.Text;
using System.Text.Json;
using Platform.Client;

namespace Platform.Specs.Client;

public class Murmur2Specs
{
    // Kafka's own test vectors (UtilsTest.testMurmur2).
    [Theory]
    [InlineData("21", -973932308)]
    [InlineData("foobar", -790332482)]
    [InlineData("a-little-bit-long-string", -985981536)]
    [InlineData("a-little-bit-longer-string", -1486304829)]
    [InlineData("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58897971)]
    [InlineData("abc", 479470107)]
    public void Hash_matches_Kafkas_published_values(string key, int expected) =>
        Assert.Equal(expected, Murmur2.Hash(Encoding.UTF8.GetBytes(key)));

    private sealed record Vector(string Key, long Hash, Dictionary<string, int> Partitions);

    [Fact]
    public void Partition_for_key_matches_kafka_python()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "Fixtures", "recordbatch", "murmur2.json");
        var vectors = JsonSerializer.Deserialize<List<Vector>>(File.ReadAllText(path), new JsonSerializerOptions(JsonSerializerDefaults.Web))!;
        Assert.NotEmpty(vectors);
        // kafka-python's murmur2 returns the unsigned 32-bit value; Java's (and ours) is the same bits signed.
        foreach (var v in vectors)
        {
            var key = Convert.FromBase64String(v.Key);
            Assert.Equal((uint)v.Hash, (uint)Murmur2.Hash(key));
            foreach (var (count, partition) in v.Partitions)
                Assert.Equal(partition, Murmur2.PartitionForKey(key, int.Parse(count)));
        }
    }

    // Computed offline with kafka-python's DefaultPartitioner arithmetic: (murmur2(key) & 0x7fffffff) % n.
    [Theory]
    [InlineData("user-1", 6, 2)]
    [InlineData("order-98765", 7, 1)]
    [InlineData("", 3, 0)]
    [InlineData("k\u00e9y", 100, 99)]
    [InlineData("customer-42", 12, 9)]
    public void Partition_for_key_matches_kafka_python_hard_coded(string key, int partitions, int expected) =>
        Assert.Equal(expected, Murmur2.PartitionForKey(Encoding.UTF8.GetBytes(key), partitions));

    [Fact]
    public void Partition_for_key_needs_a_positive_partition_count() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => Murmur2.PartitionForKey([1], 0));

    [Fact]
    public void To_positive_masks_the_sign_bit_so_int_min_value_is_not_negative() =>
        Assert.Equal(0, Murmur2.ToPositive(int.MinValue));
}
