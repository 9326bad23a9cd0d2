using System.Text;
using Platform.Protocol.Groups;
using Platform.Protocol.Messages;
using Platform.Protocol.Records;
using Platform.Protocol.Wire;

namespace Platform.Specs.Kafka;

/// <summary>Well-formed requests built with the generated codecs, and the reads that check a node still serves its data.</summary>
public static class KafkaRequests
{
    /// <summary>ApiVersions as a client of <paramref name="version"/> sends it (v3 added the client software fields).</summary>
    public static ApiVersionsRequest ApiVersions(short version = 3) =>
        version >= 3 ? new() { ClientSoftwareName = "raw-spec", ClientSoftwareVersion = "1.0" } : new();

    public static MetadataRequest Metadata(params string[] topics) => new()
    {
        Topics = [.. topics.Select(t => new MetadataRequest.MetadataRequestTopic { Name = t })],
    };

    /// <summary>One RecordBatch v2 of records valued <paramref name="values"/>, keyed "k" + index, with a header each.</summary>
    public static byte[] Batch(IEnumerable<string> values, CompressionType compression = CompressionType.None)
    {
        var builder = new RecordBatchBuilder(compression);
        var timestamp = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var i = 0;
        foreach (var value in values)
        {
            builder.Add(timestamp, Encoding.UTF8.GetBytes("k" + i), Encoding.UTF8.GetBytes(value), [new Header("i", Encoding.UTF8.GetBytes(i.ToString()))]);
            i++;
        }
        return builder.Build();
    }

    public static ProduceRequest Produce(string topic, int partition, byte[] records, short acks = -1) => new()
    {
        Acks = acks,
        TimeoutMs = 10000,
        TopicData =
        [
            new ProduceRequest.TopicProduceData
            {
                Name = topic,
                PartitionData = [new ProduceRequest.PartitionProduceData { Index = partition, Records = RecordSet.Of(records) }],
            },
        ],
    };

    public static FetchRequest Fetch(string topic, int partition, long offset, int maxWaitMs = 0, int minBytes = 1) => new()
    {
        MaxWaitMs = maxWaitMs,
        MinBytes = minBytes,
        MaxBytes = 16 * 1024 * 1024,
        Topics =
        [
            new FetchRequest.FetchTopic
            {
                Topic = topic,
                Partitions = [new FetchRequest.FetchPartition { Partition = partition, FetchOffset = offset, PartitionMaxBytes = 8 * 1024 * 1024 }],
            },
        ],
    };

    public static ListOffsetsRequest ListOffsets(string topic, int partition, long timestamp) => new()
    {
        ReplicaId = -1,
        Topics =
        [
            new ListOffsetsRequest.ListOffsetsTopic
            {
                Name = topic,
                Partitions = [new ListOffsetsRequest.ListOffsetsPartition { PartitionIndex = partition, Timestamp = timestamp }],
            },
        ],
    };

    /// <summary>FindCoordinator for a group as a client of <paramref name="version"/> sends it (v4 batched the keys).</summary>
    public static FindCoordinatorRequest FindCoordinator(string group, short version) =>
        version >= 4 ? new() { CoordinatorKeys = [group] } : new() { CoordinatorKey = group };

    /// <summary>Produces <paramref name="values"/> to a partition in one batch on a fresh connection and returns the base offset.</summary>
    public static Task<JoinGroupResponse> JoinAsync(RawKafkaClient client, JoinGroupRequest request, short version = 5) =>
        client.SendAsync(ApiKey.JoinGroup, version, request, JoinGroupRequest.HeaderVersion, JoinGroupResponse.HeaderVersion, JoinGroupResponse.Read);

    public static Task<HeartbeatResponse> HeartbeatAsync(RawKafkaClient client, string group, string member, int generation) =>
        client.SendAsync(ApiKey.Heartbeat, 4, new HeartbeatRequest { GroupId = group, MemberId = member, GenerationId = generation },
            HeartbeatRequest.HeaderVersion, HeartbeatResponse.HeaderVersion, HeartbeatResponse.Read);

    /// <summary>A consumer-protocol JoinGroup for <paramref name="topic"/> with the range assignor.</summary>
    public static JoinGroupRequest Join(string group, string topic, string memberId = "", int sessionTimeoutMs = 10_000, int rebalanceTimeoutMs = 10_000) => new()
    {
        GroupId = group, MemberId = memberId, SessionTimeoutMs = sessionTimeoutMs, RebalanceTimeoutMs = rebalanceTimeoutMs, ProtocolType = "consumer",
        Protocols = [new JoinGroupRequest.JoinGroupRequestProtocol { Name = "range", Metadata = Subscription(topic) }],
    };

    public static byte[] Subscription(string topic) => ConsumerProtocol.EncodeSubscription(new ConsumerSubscription([topic], []));

    public static async Task<long> ProduceAsync(string bootstrap, string topic, int partition, IReadOnlyList<string> values)
    {
        await using var connection = await RawKafkaConnection.ConnectAsync(bootstrap);
        var response = await connection.RoundTripAsync(ApiKey.Produce, 9, Produce(topic, partition, Batch(values)), ProduceResponse.Read);
        var result = response.Responses.Single().PartitionResponses.Single();
        Assert.Equal(ErrorCode.None, (ErrorCode)result.ErrorCode);
        return result.BaseOffset;
    }

    /// <summary>Every record value of a partition from offset 0, read with Fetch v12 on a fresh connection.</summary>
    public static async Task<IReadOnlyList<string>> FetchValuesAsync(string bootstrap, string topic, int partition)
    {
        await using var connection = await RawKafkaConnection.ConnectAsync(bootstrap);
        var values = new List<string>();
        while (true)
        {
            var response = await connection.RoundTripAsync(ApiKey.Fetch, 12, Fetch(topic, partition, values.Count), FetchResponse.Read);
            var data = response.Responses.Single().Partitions.Single();
            Assert.Equal(ErrorCode.None, (ErrorCode)data.ErrorCode);
            var bytes = data.Records?.ToArray() ?? [];
            var ranges = new List<(int Start, int Length)>();
            RecordBatch.Split(bytes, ranges);
            foreach (var (start, length) in ranges)
            {
                foreach (var record in RecordBatch.Decode(bytes.AsSpan(start, length)))
                {
                    if (record.Offset >= values.Count) values.Add(Encoding.UTF8.GetString(record.Value!));
                }
            }
            if (values.Count >= data.HighWatermark) return values;
            Assert.NotEmpty(ranges);
        }
    }

    /// <summary>Asserts the node answers Metadata on a new connection and still holds exactly <paramref name="expected"/> at the start of the partition.</summary>
    public static async Task AssertServesAsync(string bootstrap, string topic, int partition, IReadOnlyList<string> expected)
    {
        await using (var connection = await RawKafkaConnection.ConnectAsync(bootstrap))
        {
            var metadata = await connection.RoundTripAsync(ApiKey.Metadata, 9, Metadata(topic), MetadataResponse.Read);
            Assert.Equal(ErrorCode.None, (ErrorCode)metadata.Topics.Single().ErrorCode);
            Assert.NotEmpty(metadata.Brokers);
        }
        var values = await FetchValuesAsync(bootstrap, topic, partition);
        Assert.True(values.Count >= expected.Count, $"{topic}-{partition} holds {values.Count} records, expected at least {expected.Count}");
        Assert.Equal(expected, values.Take(expected.Count));
    }
}
