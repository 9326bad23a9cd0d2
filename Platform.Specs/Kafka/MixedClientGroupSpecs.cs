using System.Collections.Concurrent;
using System.Diagnostics;
using Confluent.Kafka;
using Platform.Specs.Support;

namespace Platform.Specs.Kafka;

/// <summary>
/// Two different Kafka client implementations in one consumer group: Confluent.Kafka (librdkafka) in this process
/// and kafka-python in a child process. The group must split the partitions between them and together they must
/// read every record once: the coordinator speaks the same protocol to both, whichever of them is the leader.
/// </summary>
[Trait("Category", "KafkaClients")]
public sealed class MixedClientGroupSpecs(KafkaGroupFixture fixture) : IClassFixture<KafkaGroupFixture>
{
    [Fact(Timeout = 120_000)]
    public async Task A_Confluent_Kafka_consumer_and_a_kafka_python_consumer_share_a_group()
    {
        const string topic = "mixed-group";
        const string group = "mixed";
        await fixture.CreateTopicAsync(topic, 4);

        var python = new ConcurrentQueue<string>();
        var start = new ProcessStartInfo("/usr/bin/python3")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { Path.Combine(AppContext.BaseDirectory, "Kafka", "Scripts", "kafka_python_group_member.py"),
                     fixture.Bootstrap, topic, group, "90" }) start.ArgumentList.Add(argument);
        using var process = Process.Start(start) ?? throw new InvalidOperationException("python3 did not start");
        var stderr = new ConcurrentQueue<string>();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) python.Enqueue(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) stderr.Enqueue(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            using var consumer = new ConsumerBuilder<Ignore, string>(fixture.ConsumerConfig(group)).Build();
            consumer.Subscribe(topic);
            var mine = new List<(int Partition, long Offset, string Value)>();
            string Diagnostics() => $"python stdout:\n{string.Join('\n', python)}\npython stderr:\n{string.Join('\n', stderr)}";
            async Task Diagnosed(Task wait)
            {
                try
                {
                    await wait;
                }
                catch (TimeoutException e)
                {
                    throw new TimeoutException($"{e.Message}. {Diagnostics()}", e);
                }
            }

            // Both members hold partitions before anything is produced, so both must read.
            await Diagnosed(Eventually.TrueAsync(() =>
            {
                if (consumer.Assignment.Count > 0 && LastAssignment(python) is { Count: > 0 } split && split.Count + consumer.Assignment.Count == 4)
                    return true;
                if (consumer.Consume(TimeSpan.FromMilliseconds(100)) is { IsPartitionEOF: false } early)
                    mine.Add((early.Partition.Value, early.Offset.Value, early.Message.Value));
                return false;
            }, "a split assignment", TimeSpan.FromSeconds(45), TimeSpan.Zero));
            Assert.Empty(consumer.Assignment.Select(p => p.Partition.Value).Intersect(LastAssignment(python)!));

            using (var producer = new ProducerBuilder<string, string>(fixture.ProducerConfig()).Build())
            {
                for (var i = 0; i < 400; i++) producer.Produce(topic, new Message<string, string> { Key = $"k{i}", Value = $"v{i}" });
                producer.Flush(TimeSpan.FromSeconds(30));
            }

            List<(int Partition, long Offset, string Value)> Theirs() => python.Where(l => l.StartsWith("record ", StringComparison.Ordinal))
                .Select(l => l.Split(' ')).Select(p => (int.Parse(p[1]), long.Parse(p[2]), p[3])).ToList();
            await Diagnosed(Eventually.TrueAsync(() =>
            {
                if (mine.Count + Theirs().Count >= 400) return true;
                if (consumer.Consume(TimeSpan.FromMilliseconds(100)) is { IsPartitionEOF: false } result)
                    mine.Add((result.Partition.Value, result.Offset.Value, result.Message.Value));
                return false;
            }, "all 400 records between the two consumers", TimeSpan.FromSeconds(45), TimeSpan.Zero));
            var theirs = Theirs();
            Assert.NotEmpty(mine);
            Assert.NotEmpty(theirs);
            var all = mine.Concat(theirs).ToList();
            Assert.True(all.Count == 400, $"{mine.Count} + {theirs.Count} records. {Diagnostics()}");
            Assert.Equal(Enumerable.Range(0, 400).Select(i => $"v{i}").Order(), all.Select(r => r.Value).Order());
            consumer.Close();
        }
        finally
        {
            process.StandardInput.Close();
            if (!process.WaitForExit(15_000)) process.Kill(entireProcessTree: true);
        }
    }

    private static List<int>? LastAssignment(IEnumerable<string> lines) =>
        lines.LastOrDefault(l => l.StartsWith("assigned", StringComparison.Ordinal)) is { } line
            ? line["assigned".Length..].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(int.Parse).ToList()
            : null;
}
