using Akka.Configuration;
using Platform.Client;
using Platform.Client.Streams;

namespace Platform.Specs.Streams;

/// <summary>The stream settings: defaults read from the client's embedded HOCON, overrides from an application's config, immutability.</summary>
public sealed class StreamSettingsSpecs
{
    [Fact]
    public void Defaults_come_from_the_producer_consumer_and_committer_sections_of_the_client_config()
    {
        var producer = ProducerSettings.Create();
        Assert.Equal((16384, TimeSpan.FromMilliseconds(5), 5, 20000, int.MaxValue), (producer.BatchSize, producer.Linger, producer.MaxInFlight, producer.Parallelism, producer.Retries));
        var consumer = ConsumerSettings.Create();
        Assert.Equal((1000, 1048576, TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(30)),
            (consumer.MaxPollRecords, consumer.MaxPartitionFetchBytes, consumer.SessionTimeout, consumer.StopTimeout));
        Assert.Null(consumer.GroupId);
        var committer = CommitterSettings.Create();
        Assert.Equal((1000L, TimeSpan.FromSeconds(1), 1), (committer.MaxBatch, committer.MaxInterval, committer.Parallelism));
    }

    [Fact]
    public void An_applications_config_overrides_the_defaults()
    {
        var config = ConfigurationFactory.ParseString("""
            platform.client.producer.parallelism = 7
            platform.client.consumer.max-poll-records = 42
            platform.client.consumer.group.session-timeout = 3s
            platform.client.committer.max-batch = 9
            """);
        Assert.Equal(7, ProducerSettings.Create(config).Parallelism);
        Assert.Equal((42, TimeSpan.FromSeconds(3)), (ConsumerSettings.Create(config).MaxPollRecords, ConsumerSettings.Create(config).SessionTimeout));
        Assert.Equal(9, CommitterSettings.Create(config).MaxBatch);
    }

    [Fact]
    public void With_methods_return_changed_copies_and_refuse_nonsense()
    {
        var original = ConsumerSettings.Create();
        var changed = original.WithGroupId("g").WithBootstrapServers("a:1,b:2").WithMaxPollRecords(5).WithAutoOffsetReset(AutoOffsetReset.Earliest);
        Assert.Equal((null, 1000), (original.GroupId, original.MaxPollRecords));
        Assert.Equal(("g", 5, AutoOffsetReset.Earliest), (changed.GroupId, changed.MaxPollRecords, changed.AutoOffsetReset));
        Assert.Equal(["a:1", "b:2"], changed.BootstrapServers);
        Assert.Throws<ArgumentException>(() => original.WithBootstrapServers("nope"));
        Assert.Throws<ArgumentOutOfRangeException>(() => ProducerSettings.Create().WithParallelism(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => CommitterSettings.Create().WithMaxBatch(0));
    }
}
