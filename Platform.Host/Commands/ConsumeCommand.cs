using System.Text;
using Platform.Client;

namespace Platform.Host.Commands;

/// <summary>
/// <c>platform consume TOPIC</c>: prints one value per line (optionally offset and key first, separated
/// by tabs) and stops after --max-messages or when --timeout-ms passes with nothing new.
/// </summary>
internal static class ConsumeCommand
{
    public static async Task<int> RunAsync(string[] args)
    {
        var line = new CommandLine(args, new HashSet<string> { "from-beginning", "print-key", "print-offset" });
        if (line.Positionals.Count != 1) throw new UsageException("consume needs exactly one topic name");
        var topic = line.Positionals[0];
        var fromBeginning = line.Flag("from-beginning");
        var partition = line.Int("partition", 0);
        var offset = line.Long("offset", 0);
        var maxMessages = line.Long("max-messages", 1);
        var timeoutMs = line.Long("timeout-ms", 0);
        var printKey = line.Flag("print-key");
        var printOffset = line.Flag("print-offset");
        if (offset is not null && partition is null) throw new UsageException("--offset needs --partition");
        if (offset is not null && fromBeginning) throw new UsageException("--offset and --from-beginning exclude each other");
        var group = line.Option("group");
        await using var connection = await ClientCommand.ConnectAsync(line);
        line.RejectUnknown();
        var output = new StreamWriter(Console.OpenStandardOutput(), new UTF8Encoding(false), 1 << 16) { AutoFlush = false };
        var gate = new object(); // output is written here and flushed by a rebalance on the group's thread

        var topicInfo = await new PlatformAdmin(connection).GetTopicAsync(topic);
        PlatformConsumer consumer;
        if (group is not null)
        {
            if (partition is not null) throw new UsageException("--group and --partition exclude each other: the group assigns partitions");
            // What is printed is committed (after each flush, and at exit): another member continues after it.
            var settings = ConsumerGroupSettings.Create(group).WithClientId("platform-consume").WithAutoCommit(false);
            consumer = new PlatformConsumer(connection, settings, fromBeginning ? AutoOffsetReset.Earliest : AutoOffsetReset.Latest);
            consumer.Subscribe([topic]);
            consumer.RevokingAsync = _ => FlushAndCommit(consumer, output, gate);
        }
        else
        {
            if (partition is not null && partition >= topicInfo.PartitionCount)
                throw new PlatformException(ErrorCode.UnknownTopicOrPartition, $"Topic '{topic}' has no partition {partition} (it has {topicInfo.PartitionCount})");
            var start = offset ?? (fromBeginning ? TopicPartitionOffset.Beginning : TopicPartitionOffset.End);
            var partitions = partition is { } only ? [only] : Enumerable.Range(0, topicInfo.PartitionCount).ToArray();
            // An explicit --offset outside the log is an error (OffsetOutOfRange), not a silent jump elsewhere.
            var reset = offset is not null ? AutoOffsetReset.None : fromBeginning ? AutoOffsetReset.Earliest : AutoOffsetReset.Latest;
            consumer = new PlatformConsumer(connection, reset);
            consumer.Assign(partitions.Select(p => new TopicPartitionOffset(topic, p, start)));
        }
        await using var disposeConsumer = consumer;

        using var stop = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            stop.Cancel();
        };
        long count = 0;
        try
        {
            var idle = System.Diagnostics.Stopwatch.StartNew();
            while (maxMessages is null || count < maxMessages)
            {
                // Short polls: flush (and, in a group, commit) whenever nothing arrives for a moment, so that a
                // live tail shows records as they come and a group member never sits on printed, uncommitted work.
                var record = await consumer.ConsumeAsync(TimeSpan.FromMilliseconds(200), stop.Token);
                if (record is null)
                {
                    await FlushAndCommit(group is null ? null : consumer, output, gate);
                    if (timeoutMs is { } ms && idle.ElapsedMilliseconds >= ms) break;
                    continue;
                }
                idle.Restart();
                var text = (printOffset ? $"{record.Partition}:{record.Offset}\t" : "")
                           + (printKey ? (record.Key is null ? "null" : Encoding.UTF8.GetString(record.Key)) + "\t" : "")
                           + (record.Value is null ? "null" : Encoding.UTF8.GetString(record.Value)) + "\n";
                lock (gate) output.Write(text);
                count++;
                if (group is not null && count % 500 == 0) await FlushAndCommit(consumer, output, gate);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
        await FlushAndCommit(group is null ? null : consumer, output, gate);
        Console.Error.WriteLine($"consumed {count} records");
        return 0;
    }

    /// <summary>Output first, then the commit: a committed record has always been printed.</summary>
    private static async Task FlushAndCommit(PlatformConsumer? groupConsumer, StreamWriter output, object gate)
    {
        lock (gate) output.Flush();
        if (groupConsumer is null) return;
        try
        {
            await groupConsumer.CommitAsync();
        }
        catch (PlatformException)
        {
            // A rebalance is under way; the next member starts from the last successful commit.
        }
    }
}
