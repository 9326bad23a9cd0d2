using System.Diagnostics;
using Akka.Actor;
using Platform.Client;
using TopicTransformer;
using Xunit.Abstractions;
using Platform.Specs.Support;

namespace Platform.Specs.Streams;

/// <summary>
/// The sample's at-least-once pipeline (samples/TopicTransformer) over 100,000 records, with its
/// ActorSystem terminated in the middle without draining or committing, then started again in the same
/// group: every input value must reach the output topic; duplicates are counted and reported.
/// </summary>
public sealed class AtLeastOnceSpecs(StreamsNode node, ITestOutputHelper output) : IClassFixture<StreamsNode>
{
    private const int Records = 100_000;

    [Fact]
    public async Task A_pipeline_killed_midway_and_restarted_loses_no_record()
    {
        var watch = Stopwatch.StartNew();
        var input = await node.CreateTopicAsync("alo-in", 4);
        var outputTopic = await node.CreateTopicAsync("alo-out", 4);
        await node.ProduceAsync(input, Records);
        var group = $"alo-{Guid.NewGuid():N}"[..12];
        output.WriteLine($"produced {Records:N0} input records in {watch.ElapsedMilliseconds} ms");

        // First run: terminated abruptly once about 40 % of the output is written.
        var first = ActorSystem.Create("pipeline-1", StreamsNode.ClientConfig);
        Transformer.Run(first, node.KafkaEndpoint, group, input, outputTopic);
        var written = await Eventually.ValueAsync(() => OutputCountAsync(outputTopic), n => n >= Records * 4 / 10, "40 % of the output",
            TimeSpan.FromSeconds(60), TimeSpan.FromMilliseconds(20));
        await first.Terminate();
        var committedAtKill = await CommittedAsync(group, input);
        output.WriteLine($"killed the pipeline's ActorSystem at {watch.ElapsedMilliseconds} ms: {written:N0}+ records written, {committedAtKill:N0} input offsets committed");
        Assert.InRange(committedAtKill, 0, Records - 1); // really in the middle

        // Second run, same group: resumes from the committed offsets and finishes.
        var second = ActorSystem.Create("pipeline-2", StreamsNode.ClientConfig);
        var control = Transformer.Run(second, node.KafkaEndpoint, group, input, outputTopic);
        await Eventually.ValueAsync(() => CommittedAsync(group, input), n => n == Records, "every input offset committed",
            TimeSpan.FromSeconds(60), TimeSpan.FromMilliseconds(20));
        await control.DrainAndShutdown();
        await second.Terminate();

        var values = (await node.ReadAllAsync(outputTopic)).Select(r => StreamsNode.Text(r.Value)).ToList();
        var distinct = values.ToHashSet();
        var missing = Enumerable.Range(0, Records).Select(i => $"V{i}").Where(v => !distinct.Contains(v)).ToList();
        output.WriteLine($"output: {values.Count:N0} records, {distinct.Count:N0} distinct, {values.Count - distinct.Count:N0} duplicates, " +
                         $"{missing.Count} missing; {watch.ElapsedMilliseconds} ms in all");
        Assert.Empty(missing);
        Assert.Equal(Records, distinct.Count);
    }

    private async Task<long> OutputCountAsync(string topic) =>
        (await node.Admin.DescribeTopicAsync(topic)).Partitions.Sum(p => p.HighWatermark);

    private async Task<long> CommittedAsync(string group, string topic)
    {
        long total = 0;
        for (var p = 0; p < 4; p++) total += await node.CommittedAsync(group, topic, p) ?? 0;
        return total;
    }
}
