using System.Diagnostics;
using System.Text;
using Akka.Configuration;
using Microsoft.Data.Sqlite;
using Platform.Client;
using Platform.Specs.Support;

namespace Platform.Specs.Kafka;

/// <summary>
/// A stored batch whose bytes went bad on disk reaches consumers as a CRC failure, as in Kafka: the node serves journal
/// rows without checking their CRC again (issue #16), and consumers check it on arrival (Platform.Client always;
/// librdkafka with check.crcs). The row is corrupted the way a disk would, a byte of a record's value flipped inside the
/// records section (the framing the node reads stays whole), with the node stopped; recovery checks the CRC of what it
/// replays, so the partition snapshots after every batch and recovers from a snapshot past the corrupt row, which only
/// a fetch then reads. Real node, real SQLite journal, our consumer and kcat over the Kafka listener.
/// </summary>
[Trait("Category", "KafkaClients")]
public sealed class CorruptStoredBatchSpecs
{
    // A snapshot after every batch, so recovery replays none of the batches below; no tail cache, so every fetch is a journal read.
    private const string Hocon = """
        platform.partition.snapshot-every = 1
        platform.tail-cache.max-bytes-per-partition = 1
        """;

    [Fact(Timeout = 180_000)]
    public async Task A_corrupt_stored_batch_reaches_consumers_as_a_crc_failure_while_the_node_serves_the_other_partitions()
    {
        const string topic = "corrupt-stored";
        var dataDir = TestNode.NewDataDir();
        var node = await TestNode.StartAsync(dataDir, Hocon);
        try
        {
            await using var connection = await PlatformConnection.ConnectAsync(node.KafkaEndpoint);
            await new PlatformAdmin(connection).CreateTopicAsync(topic, 2);
            await using var producer = new PlatformProducer(connection);
            // One batch a record: each produce is awaited before the next.
            for (var i = 0; i < 3; i++)
            foreach (var partition in new[] { 0, 1 })
                await producer.ProduceAsync(topic, new Message(null, Encoding.UTF8.GetBytes($"p{partition}-r{i}-" + new string('v', 200))), partition);
            // Recovery must start past the first batch of partition 0, or it would meet the corrupt row first.
            await Eventually.TrueAsync(() => SnapshotCount(dataDir) >= 6, "every batch is snapshotted");
        }
        finally
        {
            await node.StopAsync();
        }

        CorruptValue(dataDir, "p0-r0-");

        node = await TestNode.StartAsync(dataDir, Hocon);
        try
        {
            await using var connection = await PlatformConnection.ConnectAsync(node.KafkaEndpoint);
            await using (var consumer = new PlatformConsumer(connection, AutoOffsetReset.Earliest))
            {
                consumer.Assign([new TopicPartitionOffset(topic, 0, TopicPartitionOffset.Beginning)]);
                var error = await Assert.ThrowsAsync<PlatformException>(() => consumer.ConsumeAsync(TimeSpan.FromSeconds(30)));
                Assert.Equal(ErrorCode.CorruptMessage, error.Code);
                Assert.Contains("at offset 0: Record batch is corrupt: stored CRC32C", error.Message);
            }

            // The node keeps running: the other partition is read whole, and the corrupt one still takes records.
            Assert.Equal(["p1-r0-", "p1-r1-", "p1-r2-"], await ConsumePrefixesAsync(connection, topic, 1, 3));
            await using (var producer = new PlatformProducer(connection))
                Assert.Equal(3, (await producer.ProduceAsync(topic, new Message(null, "after"u8.ToArray()), 0)).Offset);

            // librdkafka (kcat) with check.crcs reports the batch at offset 0 and reads partition 1 whole.
            var corrupt = await KcatAsync(node.KafkaEndpoint, topic, 0);
            // "% ERROR: Topic corrupt-stored [0] error: MessageSet at offset 0 (264 bytes) failed CRC32C check (original ... != calculated ...)"
            Assert.NotEqual(0, corrupt.ExitCode);
            Assert.Contains("[0] error: MessageSet at offset 0", corrupt.Stderr);
            Assert.Contains("failed CRC32C check", corrupt.Stderr);
            Assert.DoesNotContain("p0-r0-", corrupt.Stdout);
            var whole = await KcatAsync(node.KafkaEndpoint, topic, 1);
            Assert.Equal(0, whole.ExitCode);
            Assert.Equal(3, whole.Stdout.Split('\n').Count(line => line.StartsWith("p1-r", StringComparison.Ordinal)));
        }
        finally
        {
            await node.StopAsync();
        }
    }

    private static async Task<List<string>> ConsumePrefixesAsync(PlatformConnection connection, string topic, int partition, int count)
    {
        await using var consumer = new PlatformConsumer(connection, AutoOffsetReset.Earliest);
        consumer.Assign([new TopicPartitionOffset(topic, partition, TopicPartitionOffset.Beginning)]);
        var prefixes = new List<string>();
        while (prefixes.Count < count)
        {
            var record = await consumer.ConsumeAsync(TimeSpan.FromSeconds(30)) ?? throw new TimeoutException($"{topic}-{partition}: {prefixes.Count} of {count} records");
            prefixes.Add(Encoding.UTF8.GetString(record.Value!)[..6]);
        }
        return prefixes;
    }

    private static long SnapshotCount(string dataDir)
    {
        using var snapshots = new SqliteConnection($"Data Source={Path.Combine(dataDir, "snapshots.db")};Mode=ReadOnly;Pooling=False");
        snapshots.Open();
        using var command = snapshots.CreateCommand();
        command.CommandText = "SELECT COUNT(DISTINCT persistence_id || ':' || sequence_number) FROM snapshot";
        return (long)command.ExecuteScalar()!;
    }

    /// <summary>
    /// Flips a byte of the record value that starts with <paramref name="marker"/> in the one stored batch holding it: past
    /// the batch's 61-byte header, so its length, magic and offsets stay readable and only the CRC no longer matches.
    /// </summary>
    private static void CorruptValue(string dataDir, string marker)
    {
        using var journal = new SqliteConnection($"Data Source={Path.Combine(dataDir, "platform.db")};Pooling=False");
        journal.Open();
        var needle = Encoding.UTF8.GetBytes(marker);
        var rows = new List<(long Ordering, byte[] Message)>();
        using (var select = journal.CreateCommand())
        {
            select.CommandText = "SELECT ordering, message FROM journal WHERE manifest = 'E-RB'";
            using var reader = select.ExecuteReader();
            while (reader.Read()) rows.Add((reader.GetInt64(0), (byte[])reader.GetValue(1)));
        }
        var (ordering, message) = Assert.Single(rows, row => row.Message.AsSpan().IndexOf(needle) >= 0);
        var at = message.AsSpan().IndexOf(needle) + needle.Length + 10;
        Assert.True(at > 61, "the value lies past the batch header");
        message[at] ^= 0xFF;
        using var update = journal.CreateCommand();
        update.CommandText = "UPDATE journal SET message = @message WHERE ordering = @ordering";
        update.Parameters.AddWithValue("@message", message);
        update.Parameters.AddWithValue("@ordering", ordering);
        Assert.Equal(1, update.ExecuteNonQuery());
    }

    /// <summary>kcat reading one partition from the beginning to its end, checking CRCs as Kafka's Java consumer does by default.</summary>
    private static async Task<(int ExitCode, string Stdout, string Stderr)> KcatAsync(string bootstrap, string topic, int partition)
    {
        var start = new ProcessStartInfo("kcat")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { "-b", bootstrap, "-C", "-t", topic, "-p", partition.ToString(), "-o", "beginning", "-e", "-X", "check.crcs=true", "-f", "%s\\n" })
            start.ArgumentList.Add(argument);
        using var process = Process.Start(start) ?? throw new InvalidOperationException("kcat did not start");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"kcat on {topic}-{partition} did not end within 60 s: {await stderr}");
        }
        return (process.ExitCode, await stdout, await stderr);
    }
}
