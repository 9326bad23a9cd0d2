using System.CommandLine;
using System.Text;
using Platform.Bench;
using Platform.Client;
using Platform.Host.Cli;

namespace Platform.Host.Commands;

/// <summary>
/// <c>platform consume TOPIC</c>: prints one value per line (optionally offset and key first, separated
/// by tabs) in the --format asked for, and stops after --max-messages or when --timeout-ms passes with nothing new.
/// </summary>
internal static class ConsumeCommand
{
    public static Command Create()
    {
        var topicArgument = new Argument<string>("TOPIC") { Description = "The topic to read" };
        var fromBeginningOption = CliOptions.Flag("--from-beginning", "Start at each partition's log start offset instead of its end");
        var partitionOption = CliOptions.Number<int>("--partition", "Read this partition only", min: 0);
        var offsetOption = CliOptions.Number<long>("--offset", "With --partition: start at this offset (outside the log: OffsetOutOfRange)", min: 0);
        var maxMessagesOption = CliOptions.Number<long>("--max-messages", "Stop after this many records (default: no limit)", min: 1);
        var timeoutOption = CliOptions.Number<long>("--timeout-ms", "Stop when nothing new arrives for this long (default: wait for ever; Ctrl-C stops)", min: 0);
        var printKeyOption = CliOptions.Flag("--print-key", "Print each key first, tab-separated");
        var printOffsetOption = CliOptions.Flag("--print-offset", "Print partition:offset first, tab-separated");
        var groupOption = CliOptions.Text("--group", "Join this consumer group: it assigns the partitions, and what is printed is committed", "G");
        var formatOption = CliOptions.Choice("--format",
            "text: UTF-8, bytes that are not valid UTF-8 as \\xNN; hex; base64 (one record a line); raw: the values' bytes exactly, nothing between them",
            ValueFormat.Text, ValueFormat.Hex, ValueFormat.Base64, ValueFormat.Raw);
        var command = ClientCommand.Create("consume", """
            Print a topic's records, one value per line (partition:offset and key first, tab-separated, when asked), until
            --max-messages or --timeout-ms. With --group, joins the group. A progress line on standard error while the
            records go to a file or pipe, when standard error is a terminal.
            """,
            (parse, connection) => RunAsync(connection, parse.GetValue(topicArgument)!, parse.GetValue(fromBeginningOption), parse.GetValue(partitionOption),
                parse.GetValue(offsetOption), parse.GetValue(maxMessagesOption), parse.GetValue(timeoutOption), parse.GetValue(printKeyOption),
                parse.GetValue(printOffsetOption), parse.GetValue(groupOption), parse.GetValue(formatOption)!),
            topicArgument, fromBeginningOption, partitionOption, offsetOption, maxMessagesOption, timeoutOption, printKeyOption, printOffsetOption,
            groupOption, formatOption);
        command.Validators.Add(result =>
        {
            bool Given(Option option) => result.GetResult(option) is { Implicit: false };
            if (Given(offsetOption) && !Given(partitionOption)) result.AddError("--offset needs --partition");
            else if (Given(offsetOption) && Given(fromBeginningOption)) result.AddError("--offset and --from-beginning exclude each other");
            else if (Given(groupOption) && Given(partitionOption)) result.AddError("--group and --partition exclude each other: the group assigns partitions");
            else if (result.ValueOrDefault(formatOption) == ValueFormat.Raw && (Given(printKeyOption) || Given(printOffsetOption)))
                result.AddError("--format raw writes values only: --print-key and --print-offset need a line format (text, hex or base64)");
        });
        return command;
    }

    private static async Task<int> RunAsync(PlatformConnection connection, string topic, bool fromBeginning, int? partition, long? offset, long? maxMessages,
        long? timeoutMs, bool printKey, bool printOffset, string? group, string format)
    {
        var output = Console.OpenStandardOutput();
        var buffered = new BufferedStream(output, 1 << 16);
        var gate = new object(); // output is written here and flushed by a rebalance on the group's thread

        var topicInfo = await new PlatformAdmin(connection).GetTopicAsync(topic);
        PlatformConsumer consumer;
        if (group is not null)
        {
            // What is printed is committed (after each flush, and at exit): another member continues after it.
            var settings = ConsumerGroupSettings.Create(group).WithClientId("platform-consume").WithAutoCommit(false);
            consumer = new PlatformConsumer(connection, settings, fromBeginning ? AutoOffsetReset.Earliest : AutoOffsetReset.Latest);
            consumer.Subscribe([topic]);
            consumer.RevokingAsync = _ => FlushAndCommit(consumer, buffered, gate);
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
        // Records on the terminal are progress enough; the line is for records going to a file or a pipe.
        using var progress = new TerminalProgress("consumed", show: Console.IsOutputRedirected);
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
                    await FlushAndCommit(group is null ? null : consumer, buffered, gate);
                    if (timeoutMs is { } ms && idle.ElapsedMilliseconds >= ms) break;
                    continue;
                }
                idle.Restart();
                var bytes = Write(buffered, gate, record, format, printKey, printOffset);
                progress.Add(1, bytes);
                count++;
                if (group is not null && count % 500 == 0) await FlushAndCommit(consumer, buffered, gate);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
        await FlushAndCommit(group is null ? null : consumer, buffered, gate);
        progress.Dispose();
        Console.Error.WriteLine($"consumed {count} records");
        return 0;
    }

    /// <summary>Output first, then the commit: a committed record has always been printed.</summary>
    /// <summary>One record as the format says: a line of fields, or (raw) the value's bytes alone. Returns the bytes written.</summary>
    private static long Write(Stream output, object gate, ConsumeResult record, string format, bool printKey, bool printOffset)
    {
        if (format == ValueFormat.Raw)
        {
            lock (gate) output.Write(record.Value ?? []);
            return record.Value?.Length ?? 0;
        }
        var line = (printOffset ? $"{record.Partition}:{record.Offset}\t" : "")
                   + (printKey ? ValueFormat.Format(record.Key, format) + "\t" : "")
                   + ValueFormat.Format(record.Value, format) + "\n";
        var bytes = Utf8NoBom.GetBytes(line);
        lock (gate) output.Write(bytes);
        return bytes.Length;
    }

    private static readonly UTF8Encoding Utf8NoBom = new(false);

    private static async Task FlushAndCommit(PlatformConsumer? groupConsumer, Stream output, object gate)
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
