using System.Diagnostics;
using Akka.Actor;
using Akka.Configuration;
using Platform.Actors.Configuration;
using Platform.Actors.Partitions;
using Platform.Actors.Topics;

namespace Platform.Specs.Topics;

/// <summary>
/// The topic registry tells a topic's partitions of a config change or of the topic's deletion at the pace it wakes
/// them (partition-wake-batch per partition-wake-interval): each such message starts the partition's actor, and before
/// an alter or delete of a topic of 10,000 partitions sent 10,000 at once. The real registry on an in-memory journal,
/// with a probe standing in for the partitions' shard region.
/// </summary>
public sealed class TopicRegistryPacingSpecs() : Akka.TestKit.Xunit2.TestKit(Config)
{
    private const int Partitions = 1000;
    private const int Batch = 100;

    private static readonly Config Config = ConfigurationFactory.ParseString($"""
        akka.remote.dot-netty.tcp.port = 0
        akka.persistence.journal.plugin = "akka.persistence.journal.inmem"
        akka.persistence.snapshot-store.plugin = "akka.persistence.snapshot-store.inmem"
        platform.node.partition-wake-batch = {Batch}
        platform.node.partition-wake-interval = 300ms
        """).WithFallback(PlatformConfig.Defaults);

    [Fact]
    public void Altering_and_deleting_a_topic_tell_its_partitions_a_batch_per_interval()
    {
        var partitions = CreateTestProbe();
        var settings = NodeSettings.Create(Sys.Settings.Config);
        var registry = Sys.ActorOf(TopicRegistry.Props(partitions.Ref, settings, new TopicLimits(10_000, 100, 20_000, 64 * 1024 * 1024)));

        var watch = Stopwatch.StartNew();
        registry.Tell(new CreateTopic("wide", Partitions, new Dictionary<string, string>()));
        var topic = ExpectMsg<TopicCommandResult>(TimeSpan.FromSeconds(10)).Topic!;
        AssertPaced<WakePartition>(partitions, watch, settings.PartitionWakeInterval, w => Assert.Equal(topic.TopicId, w.TopicId));

        watch.Restart();
        registry.Tell(new AlterTopicConfig("wide", [new TopicConfigOperation(TopicConfig.RetentionMsKey, ConfigOperation.Set, "60000")], false, false));
        Assert.Equal(ErrorCode.None, ExpectMsg<TopicCommandResult>(TimeSpan.FromSeconds(10)).Error);
        AssertPaced<ApplyTopicConfig>(partitions, watch, settings.PartitionWakeInterval, a => Assert.Equal(60_000, a.Config.RetentionMs));

        watch.Restart();
        registry.Tell(new DeleteTopic("wide"));
        Assert.Equal(ErrorCode.None, ExpectMsg<TopicCommandResult>(TimeSpan.FromSeconds(10)).Error);
        AssertPaced<DeletePartition>(partitions, watch, settings.PartitionWakeInterval, d => Assert.Equal(topic.TopicId, d.TopicId));
    }

    /// <summary>
    /// Every partition gets one <typeparamref name="T"/>, in order, and the last no sooner than the batches' intervals
    /// allow since the command (<paramref name="sinceCommand"/>): a lower bound that a loaded machine only makes later,
    /// while messages sent all at once arrive within milliseconds.
    /// </summary>
    private static void AssertPaced<T>(Akka.TestKit.TestProbe partitions, Stopwatch sinceCommand, TimeSpan interval, Action<T> check)
        where T : IPartitionMessage
    {
        var received = partitions.ReceiveN(Partitions, TimeSpan.FromSeconds(60)).Cast<T>().ToList();
        var elapsed = sinceCommand.Elapsed;
        Assert.True(elapsed >= interval * (Partitions / Batch - 1), $"{Partitions} {typeof(T).Name} within {elapsed}");
        partitions.ExpectNoMsg(interval * 2);
        Assert.Equal(Enumerable.Range(0, Partitions), received.Select(m => m.Partition));
        Assert.All(received, check);
    }
}
