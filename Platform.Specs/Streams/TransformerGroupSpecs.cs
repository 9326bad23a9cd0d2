using System.Diagnostics;
using Akka.Actor;
using Akka.Configuration;
using Akka.Streams;
using Akka.Streams.Dsl;
using Platform.Client;
using Platform.Client.Streams;
using Platform.Specs.Support;
using TopicTransformer;
using Xunit.Abstractions;

namespace Platform.Specs.Streams;

/// <summary>
/// Issue #13's second failure: two instances of the sample's at-least-once transformer (CommittableSource →
/// produce → Committer.Sink) in one group, with the shipped group timings (session 10 s, rebalance 30 s).
/// A second instance joining while the first is busy, or one of the two dying, rebalances the group: no
/// instance may be evicted (UnknownMemberId) on the way, and every input record reaches the output.
/// </summary>
public sealed class TransformerGroupSpecs(StreamsNode node, ITestOutputHelper output) : IClassFixture<StreamsNode>
{
    private const int Records = 60_000;
    private const int PerSecond = 4_000;

    /// <summary>The client's shipped defaults, as a user's ActorSystem would have them.</summary>
    private static readonly Config Shipped = ConfigurationFactory.ParseString("akka.loglevel = WARNING").WithFallback(ClientSettings.DefaultConfig);

    [Fact]
    public async Task A_second_instance_joining_while_the_first_is_busy_evicts_neither_and_loses_nothing()
    {
        var (input, outputTopic, group) = await PrepareAsync("join");
        var first = ActorSystem.Create("transformer-1", Shipped);
        var second = ActorSystem.Create("transformer-2", Shipped);
        try
        {
            var watch = Stopwatch.StartNew();
            var one = Run(first, node.KafkaEndpoint, group, input, outputTopic);
            await Eventually.TrueAsync(async () => await OutputCountAsync(outputTopic) >= Records / 10, "the first instance busy",
                TimeSpan.FromSeconds(60), TimeSpan.FromMilliseconds(20));
            var two = Run(second, node.KafkaEndpoint, group, input, outputTopic);
            output.WriteLine($"second instance started at {watch.ElapsedMilliseconds} ms");
            await AwaitAllCommittedAsync(group, input, [one, two]);
            output.WriteLine($"every input offset committed at {watch.ElapsedMilliseconds} ms");
            Assert.False(one.StreamCompletion.IsCompleted, $"the first instance stopped: {one.StreamCompletion.Exception?.InnerException?.Message}");
            Assert.False(two.StreamCompletion.IsCompleted, $"the second instance stopped: {two.StreamCompletion.Exception?.InnerException?.Message}");
            await Task.WhenAll(one.DrainAndShutdown(), two.DrainAndShutdown()).WaitAsync(TimeSpan.FromSeconds(60));
            await AssertEveryInputInTheOutputAsync(outputTopic);
        }
        finally
        {
            await Task.WhenAll(first.Terminate(), second.Terminate());
        }
    }

    [Fact]
    public async Task When_one_of_two_instances_dies_the_survivor_takes_its_partitions_and_loses_nothing()
    {
        var (input, outputTopic, group) = await PrepareAsync("kill");
        var first = ActorSystem.Create("transformer-1", Shipped);
        var second = ActorSystem.Create("transformer-2", Shipped);
        try
        {
            var one = Run(first, node.KafkaEndpoint, group, input, outputTopic);
            var two = Run(second, node.KafkaEndpoint, group, input, outputTopic);
            await Eventually.TrueAsync(async () => await OutputCountAsync(outputTopic) >= Records / 4, "both instances busy",
                TimeSpan.FromSeconds(60), TimeSpan.FromMilliseconds(20));
            var watch = Stopwatch.StartNew();
            await second.Terminate(); // its stream dies without draining or committing
            await AwaitAllCommittedAsync(group, input, [one]);
            output.WriteLine($"the survivor committed every input offset {watch.ElapsedMilliseconds} ms after the other died");
            Assert.False(one.StreamCompletion.IsCompleted, $"the survivor stopped: {one.StreamCompletion.Exception?.InnerException?.Message}");
            await one.DrainAndShutdown().WaitAsync(TimeSpan.FromSeconds(60));
            await AssertEveryInputInTheOutputAsync(outputTopic);
        }
        finally
        {
            await Task.WhenAll(first.Terminate(), second.Terminate());
        }
    }

    /// <summary>
    /// The sample's pipeline (samples/TopicTransformer) with a throttle of <see cref="PerSecond"/> records per
    /// second after the source: an instance that is busy for the whole spec, its source's buffer full.
    /// </summary>
    private static DrainingControl<Akka.Done> Run(ActorSystem system, string bootstrapServers, string groupId, string input, string output)
    {
        var consumerSettings = ConsumerSettings.Create(system).WithBootstrapServers(bootstrapServers).WithGroupId(groupId)
            .WithAutoOffsetReset(AutoOffsetReset.Earliest);
        var producerSettings = ProducerSettings.Create(system).WithBootstrapServers(bootstrapServers);
        return PlatformConsumer.CommittableSource(consumerSettings, Subscriptions.Topics(input))
            .Throttle(PerSecond / 10, TimeSpan.FromMilliseconds(100), PerSecond / 10, ThrottleMode.Shaping)
            .Select(msg => ProducerMessage.Single(new ProducerRecord(output, msg.Record.Key, Transformer.Transform(msg.Record.Value)), msg.CommittableOffset))
            .Via(PlatformProducer.FlexiFlow(producerSettings))
            .Select(result => result.PassThrough)
            .ToMaterialized(Committer.Sink(CommitterSettings.Create(system)), DrainingControl<Akka.Done>.Create)
            .Run(system.Materializer());
    }

    private async Task<(string Input, string Output, string Group)> PrepareAsync(string name)
    {
        var input = await node.CreateTopicAsync($"{name}-in", 4);
        var outputTopic = await node.CreateTopicAsync($"{name}-out", 4);
        await node.ProduceAsync(input, Records);
        return (input, outputTopic, $"{name}-{Guid.NewGuid():N}"[..14]);
    }

    /// <summary>Waits for every input offset to be committed; a stream that fails meanwhile fails the spec at once, with its error.</summary>
    private async Task AwaitAllCommittedAsync(string group, string input, IReadOnlyList<DrainingControl<Akka.Done>> streams)
    {
        await Eventually.ValueAsync(async () =>
        {
            long total = 0;
            for (var p = 0; p < 4; p++) total += await node.CommittedAsync(group, input, p) ?? 0;
            return total;
        }, n => n == Records || streams.Any(s => s.StreamCompletion.IsFaulted), "every input offset committed", TimeSpan.FromSeconds(120),
            TimeSpan.FromMilliseconds(50));
        foreach (var stream in streams.Where(s => s.StreamCompletion.IsFaulted)) await stream.StreamCompletion; // throws the stream's error
    }

    private async Task<long> OutputCountAsync(string topic) =>
        (await node.Admin.DescribeTopicAsync(topic)).Partitions.Sum(p => p.HighWatermark);

    private async Task AssertEveryInputInTheOutputAsync(string topic)
    {
        var values = (await node.ReadAllAsync(topic)).Select(r => StreamsNode.Text(r.Value)).ToList();
        var distinct = values.ToHashSet();
        output.WriteLine($"output: {values.Count:N0} records, {distinct.Count:N0} distinct, {values.Count - distinct.Count:N0} duplicates");
        var missing = Enumerable.Range(0, Records).Select(i => $"V{i}").Where(v => !distinct.Contains(v)).ToList();
        Assert.Empty(missing);
    }
}
