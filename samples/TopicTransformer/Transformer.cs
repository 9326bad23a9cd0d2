using System.Text;
using Akka;
using Akka.Actor;
using Akka.Streams;
using Akka.Streams.Dsl;
using Platform.Client;
using Platform.Client.Streams;

namespace TopicTransformer;

/// <summary>
/// The pipeline of the sample: read a topic in a consumer group, transform each value, write it to another
/// topic, and commit the input offset only after the output record is stored. A crash anywhere replays from
/// the last commit: every input reaches the output at least once (some twice after a crash), none is lost.
/// </summary>
public static class Transformer
{
    /// <summary>What the sample does to a value: upper-cases it.</summary>
    public static byte[]? Transform(byte[]? value) => value is null ? null : Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(value).ToUpperInvariant());

    public static DrainingControl<Done> Run(ActorSystem system, string bootstrapServers, string groupId, string input, string output)
    {
        var consumerSettings = ConsumerSettings.Create(system)
            .WithBootstrapServers(bootstrapServers)
            .WithGroupId(groupId)
            .WithAutoOffsetReset(AutoOffsetReset.Earliest);
        var producerSettings = ProducerSettings.Create(system).WithBootstrapServers(bootstrapServers);
        var committerSettings = CommitterSettings.Create(system);

        return PlatformConsumer.CommittableSource(consumerSettings, Subscriptions.Topics(input))
            .Select(msg => ProducerMessage.Single(new ProducerRecord(output, msg.Record.Key, Transform(msg.Record.Value)), msg.CommittableOffset))
            .Via(PlatformProducer.FlexiFlow(producerSettings))
            .Select(result => result.PassThrough)
            .ToMaterialized(Committer.Sink(committerSettings), DrainingControl<Done>.Create)
            .Run(system.Materializer());
    }
}
