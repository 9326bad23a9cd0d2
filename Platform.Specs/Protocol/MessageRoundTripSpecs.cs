using FsCheck;
using FsCheck.Fluent;
using Platform.Protocol.Wire;

namespace Platform.Specs.Protocol;

/// <summary>
/// Every generated message at every version: an arbitrary instance (fields valid for that version, from Kafka's
/// definitions) is written, read back and written again; the bytes must match and so must every field.
/// </summary>
public class MessageRoundTripSpecs
{
    public static TheoryData<string, short> Cases()
    {
        var data = new TheoryData<string, short>();
        foreach (var (type, version) in MessageSamples.AllVersions()) data.Add(type.Name, version);
        return data;
    }

    private static Type TypeOf(string name) => MessageSamples.MessageTypes.Single(t => t.Name == name);

    [Theory]
    [MemberData(nameof(Cases))]
    public void Any_message_round_trips_to_the_same_bytes_and_fields(string message, short version)
    {
        var type = TypeOf(message);
        var property = Prop.ForAll(Arb.From(Gen.Choose(0, int.MaxValue)), seed =>
        {
            var original = MessageSamples.Create(type, version, new Random(seed));
            var bytes = MessageSamples.Write(original, version);
            var read = MessageSamples.Read(type, bytes, version);
            MessageSamples.AssertEquivalent(original, read, message);
            Assert.Equal(bytes, MessageSamples.Write(read, version));
        });
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(40), property);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Every_truncation_of_a_message_is_refused_with_a_protocol_exception(string message, short version)
    {
        var type = TypeOf(message);
        var property = Prop.ForAll(Arb.From(Gen.Choose(0, int.MaxValue)), seed =>
        {
            var bytes = MessageSamples.Write(MessageSamples.Create(type, version, new Random(seed)), version);
            for (var length = 0; length < bytes.Length; length++)
            {
                var prefix = bytes[..length];
                Assert.Throws<KafkaProtocolException>(() => MessageSamples.Read(type, prefix, version));
            }
        });
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(5), property);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Random_bytes_decode_or_fail_with_a_protocol_exception_only(string message, short version)
    {
        var type = TypeOf(message);
        var property = Prop.ForAll(Arb.From(Gen.Choose(0, int.MaxValue)), seed =>
        {
            var random = new Random(seed);
            var bytes = new byte[random.Next(0, 64)];
            random.NextBytes(bytes);
            try
            {
                var reader = new KafkaReader(bytes);
                MessageSamples.Read(type, ref reader, version);
            }
            catch (KafkaProtocolException)
            {
            }
        });
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(30), property);
    }
}
