using System.Buffers;
using Platform.Protocol.Messages;
using Platform.Protocol.Records;
using Platform.Protocol.Wire;

namespace Platform.Specs.Protocol;

/// <summary>
/// Request frames recorded from real Kafka clients (kcat and confluent-kafka on librdkafka 2.0.2, kafka-python
/// 2.0.2; see Fixtures/kafka/capture.py): the codecs must decode them to what the client sent and encode that back
/// to the very same bytes.
/// </summary>
public class RealClientFixtureSpecs
{
    private static string FixturePath(string name) => Path.Combine(AppContext.BaseDirectory, "Fixtures", "kafka", name);

    public static TheoryData<string> Fixtures()
    {
        var data = new TheoryData<string>();
        foreach (var file in Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "Fixtures", "kafka"), "*.bin").Order(StringComparer.Ordinal))
            data.Add(Path.GetFileName(file));
        return data;
    }

    private static (RequestHeader Header, short HeaderVersion, IKafkaMessage Body) Decode(string name)
    {
        var frame = File.ReadAllBytes(FixturePath(name));
        var reader = new KafkaReader(frame);
        var header = KafkaFrame.ReadRequestHeader(ref reader, out var headerVersion);
        var body = ApiVersionsTable.ReadRequest((ApiKey)header.RequestApiKey, ref reader, header.RequestApiVersion);
        Assert.Equal(0, reader.Remaining);
        return (header, headerVersion, body);
    }

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void A_recorded_request_decodes_completely_and_encodes_to_the_same_bytes(string name)
    {
        var (header, headerVersion, body) = Decode(name);
        var buffer = new ArrayBufferWriter<byte>();
        var writer = new KafkaWriter(buffer);
        header.Write(writer, headerVersion);
        body.Write(writer, header.RequestApiVersion);
        Assert.Equal(File.ReadAllBytes(FixturePath(name)), buffer.WrittenSpan.ToArray());
        Assert.Contains($"-{(ApiKey)header.RequestApiKey}-v{header.RequestApiVersion}.bin", name);
    }

    [Fact]
    public void Kcat_opens_with_a_flexible_ApiVersions_v3_naming_librdkafka()
    {
        var (header, headerVersion, body) = Decode("kcat-list-01-ApiVersions-v3.bin");
        Assert.Equal(2, headerVersion);
        Assert.Equal("fixture-kcat", header.ClientId);
        Assert.Equal(1, header.CorrelationId);
        var request = Assert.IsType<ApiVersionsRequest>(body);
        Assert.Equal("librdkafka", request.ClientSoftwareName);
        Assert.Equal("2.0.2", request.ClientSoftwareVersion);
    }

    [Fact]
    public void Kcat_asks_for_brokers_only_with_an_empty_Metadata_v4()
    {
        var (header, _, body) = Decode("kcat-list-02-Metadata-v4.bin");
        Assert.Equal("fixture-kcat", header.ClientId);
        var request = Assert.IsType<MetadataRequest>(body);
        Assert.NotNull(request.Topics);
        Assert.Empty(request.Topics);
        Assert.False(request.AllowAutoTopicCreation);
    }

    [Fact]
    public void Kafka_python_probes_with_ApiVersions_v0_and_asks_for_all_topics_with_a_null_Metadata_v1()
    {
        var (probe, probeHeaderVersion, probeBody) = Decode("kafka-python-producer-01-ApiVersions-v0.bin");
        Assert.Equal(1, probeHeaderVersion);
        Assert.Equal("fixture-producer", probe.ClientId);
        Assert.IsType<ApiVersionsRequest>(probeBody);

        var (_, _, body) = Decode("kafka-python-producer-03-Metadata-v1.bin");
        Assert.Null(Assert.IsType<MetadataRequest>(body).Topics);
    }

    [Theory]
    [InlineData("kafka-python-producer-04-Produce-v7.bin", "fixture-producer", 1, 3000)]
    [InlineData("confluent-producer-03-Produce-v7.bin", "fixture-rdkafka", -1, 30000)]
    public void A_client_produces_hello_to_partition_0_of_test(string fixture, string clientId, short acks, int timeoutMs)
    {
        var (header, _, body) = Decode(fixture);
        Assert.Equal(clientId, header.ClientId);
        var request = Assert.IsType<ProduceRequest>(body);
        Assert.Null(request.TransactionalId);
        Assert.Equal(acks, request.Acks);
        Assert.Equal(timeoutMs, request.TimeoutMs);
        var topic = Assert.Single(request.TopicData);
        Assert.Equal("test", topic.Name);
        var partition = Assert.Single(topic.PartitionData);
        Assert.Equal(0, partition.Index);
        var record = Assert.Single(RecordBatch.Decode(partition.Records!.ToArray()));
        Assert.Equal("k"u8.ToArray(), record.Key);
        Assert.Equal("hello"u8.ToArray(), record.Value);
    }

    [Fact]
    public void A_librdkafka_consumer_looks_up_its_group_coordinator_with_FindCoordinator_v2()
    {
        var (header, _, body) = Decode("confluent-consumer-03-FindCoordinator-v2.bin");
        Assert.Equal("fixture-rdkafka-consumer", header.ClientId);
        var request = Assert.IsType<FindCoordinatorRequest>(body);
        Assert.Equal("fixture-group", request.CoordinatorKey);
        Assert.Equal(0, request.KeyType);
    }
}
