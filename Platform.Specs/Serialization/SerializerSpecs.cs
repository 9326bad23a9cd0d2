using Platform.Actors.Storage;
using Akka.Actor;
using Akka.Configuration;
using Platform.Actors;
using Platform.Actors.Configuration;
using Platform.Actors.Gateway;
using Platform.Actors.Groups;
using Platform.Actors.Health;
using Platform.Protocol.Groups;
using Platform.Actors.Log;
using Platform.Protocol.Records;
using Platform.Actors.Partitions;
using Platform.Actors.Producers;
using Platform.Actors.Serialization;
using Platform.Actors.Topics;

namespace Platform.Specs.Serialization;

public sealed class SerializerSpecs : IDisposable
{
    private readonly ActorSystem _system = ActorSystem.Create("serializer-specs",
        ConfigurationFactory.ParseString("akka.actor.provider = local").WithFallback(PlatformConfig.Defaults));

    // Fixed ids: the golden-bytes spec compares these samples' bytes with fixtures.
    private static readonly TopicInfo Topic = new("orders", new Guid("6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b"), 3, new TopicConfig(1000, 2000, 3000, "delete"));

    private static byte[] Batch()
    {
        var builder = new RecordBatchBuilder();
        builder.Add(1234, [1, 2], [3, 4, 5], [new Header("h", [9])]);
        var batch = builder.Build();
        RecordBatch.SetBaseOffset(batch, 42);
        return batch;
    }

    /// <summary>One instance of every message type, with non-default values in every field.</summary>
    public static IEnumerable<object> Samples()
    {
        var id = new Guid("0a1b2c3d-4e5f-4061-8273-8495a6b7c8d9");
        yield return new CreateTopic("t", 3, new Dictionary<string, string> { ["retention.ms"] = "5" });
        yield return new CreateTopic("t", 3, new Dictionary<string, string>(), ValidateOnly: true);
        yield return new DeleteTopic("t");
        yield return new CreatePartitions("t", 7);
        yield return new CreatePartitions("t", 7, ValidateOnly: true);
        yield return new AlterTopicConfig("t", [new TopicConfigOperation("retention.ms", ConfigOperation.Set, "5"),
            new TopicConfigOperation("cleanup.policy", ConfigOperation.Delete, null)], Replace: true, ValidateOnly: true);
        yield return new TopicConfigChanged(id, new TopicConfig(1, 2, 3, "delete"));
        yield return new TopicCommandResult(ErrorCode.TopicAlreadyExists, "exists", Topic);
        yield return new TopicCommandResult(ErrorCode.None, null, null);
        yield return new GetTopics(["a", "b"], true);
        yield return new TopicsResult([new TopicLookup("a", ErrorCode.None, null, Topic), new TopicLookup("b", ErrorCode.UnknownTopicOrPartition, "no", null)]);
        yield return new GetTopicById(id);
        yield return new TopicByIdResult(id, Topic);
        yield return SubscribeTopics.Instance;
        yield return new TopicsChanged([Topic, Topic with { Name = "x" }]);
        yield return new TopicCreated(Topic);
        yield return new TopicPartitionsIncreased(id, 9);
        yield return new TopicDeleted(id);
        yield return new TopicRegistrySnapshot([Topic]);
        // Topics with message timestamp overrides: the overrides follow the payload, after what the first release wrote.
        var overriding = Topic with
        {
            Name = "stamped",
            Config = Topic.Config with { MessageTimestampType = "LogAppendTime", MessageTimestampBeforeMaxMs = 60000, MessageTimestampAfterMaxMs = 0 },
        };
        yield return new TopicConfigChanged(id, overriding.Config);
        yield return new TopicCommandResult(ErrorCode.None, null, overriding);
        yield return new TopicsResult([new TopicLookup("a", ErrorCode.None, null, Topic), new TopicLookup("b", ErrorCode.UnknownTopicOrPartition, "no", null),
            new TopicLookup("stamped", ErrorCode.None, null, overriding)]);
        yield return new TopicByIdResult(id, overriding);
        yield return new TopicsChanged([Topic, overriding]);
        yield return new TopicCreated(overriding);
        yield return new TopicRegistrySnapshot([overriding, Topic]);
        yield return new Produce(id, 2, Batch(), 77);
        yield return new ProduceResult(id, 2, 77, ErrorCode.MessageTooLarge, "big", 10, 3);
        yield return new Fetch(id, 1, 99, 1024, 500, 5);
        yield return new FetchResult(id, 1, 5, ErrorCode.None, null, 100, 2, [Batch(), Batch()]);
        yield return new GetPartitionStatus(id, 4);
        yield return new PartitionStatus(id, 4, ErrorCode.None, null, 1, 2, "127.0.0.1:9192", 300, 12);
        yield return new RestartPartition(id, 4);
        yield return new FindOffsetForTimestamp(id, 4, 1234);
        yield return new OffsetForTimestamp(id, 4, ErrorCode.None, null, 99);
        yield return new DeletePartition(id, 4);
        yield return new WakePartition(id, 4);
        yield return new ApplyTopicConfig(id, 4, new TopicConfig(1, 2, 3, "delete"));
        yield return new ApplyTopicConfig(id, 4, new TopicConfig(1, 2, 3, "delete") { MessageTimestampAfterMaxMs = 5000 });
        yield return new DeleteRecordsBefore(id, 4, 123);
        yield return new DeleteRecordsResult(id, 4, ErrorCode.OffsetOutOfRange, "beyond", 7);
        yield return new RecordBatchAppended(Batch());
        yield return new LogStartAdvanced(10, 20);
        yield return new PartitionSnapshot(1, 2, [new Segment(1, 2, 3, 4, 5, 6)],
            [new ProducerState(77, 0, 1_700_000_000_000, [new ProducerBatch(0, 9, 100), new ProducerBatch(10, 19, 110)])]);
        var tp = new TopicPartition("t", 1);
        var committed = new CommittedOffset("t", 1, 42, "meta", 1000);
        yield return new JoinGroup("g", "m", "i", "consumer", [new GroupProtocol("range", [1, 2])], 10000, 30000, "client", "host", null, true);
        yield return new JoinGroupResult(ErrorCode.None, null, 3, "consumer", "range", "leader", "m", [new JoinGroupMember("m", null, [3])]);
        yield return new SyncGroup("g", "m", 3, null, [new SyncGroupAssignment("m", [4])]);
        yield return new SyncGroupResult(ErrorCode.None, null, "range", [5, 6]);
        yield return new Heartbeat("g", "m", 3, "i");
        yield return new HeartbeatResult(ErrorCode.RebalanceInProgress, "rebalancing");
        yield return new LeaveGroup("g", "m", null);
        yield return new LeaveGroupResult(ErrorCode.None, null);
        yield return new OffsetCommit("g", "m", 3, null, [new OffsetCommitEntry("t", 1, 42, "meta"), new OffsetCommitEntry("t", 2, 7, null)]);
        yield return new OffsetCommitResult(ErrorCode.None, null, [new PartitionError("t", 1, ErrorCode.UnknownTopicOrPartition)]);
        yield return new OffsetFetch("g", [tp]);
        yield return new OffsetFetch("g", null);
        yield return new OffsetFetchResult(ErrorCode.None, null, [committed]);
        yield return new DescribeGroup("g");
        yield return new GroupDescription("g", ErrorCode.None, null, "Stable", "consumer", "range", 3, [new GroupMemberDescription("m", "i", "c", "h", [tp], [7, 8], [9])]);
        yield return new DeleteGroup("g");
        yield return new DeleteGroupResult(ErrorCode.NonEmptyGroup, "busy");
        yield return ListGroups.Instance;
        yield return new GroupList(["a", "b"]);
        yield return new ListGroupStates(["Stable", "Empty"]);
        yield return new ListedGroups([new ListedGroup("g", "consumer", "Stable"), new ListedGroup("h", "", "Empty")]);
        yield return new GroupStateChanged("g", "CompletingRebalance", "consumer");
        yield return new RegisterGroup("g");
        yield return new GroupRegistrationConfirmed("g");
        yield return new UnregisterGroup("g");
        yield return new OffsetsCommitted([committed]);
        yield return new OffsetsRemoved([tp]);
        yield return new GroupSnapshot([committed], 77);
        yield return new CoordinatorFenced("akka.tcp://platform@127.0.0.1:4053", 1_700_000_000_000);
        yield return new GroupRegistered("g");
        yield return new GroupUnregistered("g");
        yield return new GroupDirectorySnapshot(["g"]);
        yield return AllocateProducerId.Instance;
        yield return GetProducerIdBound.Instance;
        yield return new ProducerIdBound(123_456);
        yield return new ProducerIdAllocated(ErrorCode.None, null, 4242, 0);
        yield return new ProducerIdAllocated(ErrorCode.KafkaStorageError, "journal down", -1, -1);
        yield return new ProducerIdBlockReserved(3000, 4000);
        yield return new ProducerIdAllocatorSnapshot(4000);
        yield return GetClusterStatus.Instance;
        yield return new ClusterStatus("a:1", [new ClusterMemberStatus("a:1", "Up", ["broker"], true, 12, 3)]);
        yield return new StorageProbed(1_700_000_000_000);
        yield return GetClusterId.Instance;
        yield return new ClusterIdIs("MkU3OEVBNTcwNTJENDM2Qk");
        yield return new ClusterIdIs(null);
        yield return new ClusterIdCreated("MkU3OEVBNTcwNTJENDM2Qk");
    }

    [Fact]
    public void Every_platform_message_type_has_a_sample_and_a_binary_format()
    {
        var implementations = typeof(IPlatformMessage).Assembly.GetTypes()
            .Where(t => typeof(IPlatformMessage).IsAssignableFrom(t) && t is { IsInterface: false, IsAbstract: false })
            .ToHashSet();
        Assert.Equal(implementations.OrderBy(t => t.Name), PlatformSerializer.SupportedTypes.OrderBy(t => t.Name));
        Assert.Equal(implementations.OrderBy(t => t.Name), Samples().Select(s => s.GetType()).Distinct().OrderBy(t => t.Name));
    }

    [Fact]
    public void Every_message_goes_through_the_platform_serializer_and_round_trips()
    {
        foreach (var sample in Samples())
        {
            var serializer = _system.Serialization.FindSerializerFor(sample);
            Assert.IsType<PlatformSerializer>(serializer);
            var platform = (PlatformSerializer)serializer;
            var bytes = platform.ToBinary(sample);
            var back = platform.FromBinary(bytes, platform.Manifest(sample));
            AssertEquivalent(sample, back);
        }
    }

    [Fact]
    public void A_message_without_a_binding_cannot_fall_back_to_json()
    {
        var unbound = new { Hello = "world" };
        var e = Assert.ThrowsAny<Exception>(() => _system.Serialization.FindSerializerFor(unbound).ToBinary(unbound));
        Assert.Contains("JSON", e.Message);
    }

    [Fact]
    public void Unknown_versions_and_truncated_payloads_are_refused_not_misread()
    {
        var serializer = (PlatformSerializer)_system.Serialization.FindSerializerFor(new DeleteTopic("t"));
        var bytes = serializer.ToBinary(new DeleteTopic("topic"));
        bytes[0] = 9;
        Assert.Throws<InvalidDataException>(() => serializer.FromBinary(bytes, "TD"));
        var good = serializer.ToBinary(new DeleteTopic("topic"));
        Assert.Throws<InvalidDataException>(() => serializer.FromBinary(good[..^2], "TD"));
    }

    [Fact]
    public void A_snapshot_written_before_idempotent_producers_reads_as_one_without_producer_state()
    {
        var serializer = (PlatformSerializer)_system.Serialization.FindSerializerFor(new PartitionSnapshot(0, 0, []));
        var current = serializer.ToBinary(new PartitionSnapshot(5, 9, [new Segment(5, 9, 1, 2, 100, 7)], []));
        var older = current[..^4]; // the first format ended after the segments; the producer count came later
        var read = (PartitionSnapshot)serializer.FromBinary(older, serializer.Manifest(new PartitionSnapshot(0, 0, [])));
        Assert.Equal((5L, 9L, 1), (read.LogStartOffset, read.LogEndOffset, read.Segments.Count));
        Assert.Empty(read.Producers!);
    }

    [Fact]
    public void A_group_description_written_before_member_bytes_reads_with_empty_metadata_and_assignment()
    {
        var description = new GroupDescription("g", ErrorCode.None, null, "Stable", "consumer", "range", 3,
            [new GroupMemberDescription("m", null, "c", "h", [new TopicPartition("t", 0)], [1, 2], [3])]);
        var serializer = (PlatformSerializer)_system.Serialization.FindSerializerFor(description);
        var current = serializer.ToBinary(description);
        var older = current[..^(4 + 4 + 2 + 4 + 1)]; // the first format ended after the members; their bytes came later
        var read = (GroupDescription)serializer.FromBinary(older, serializer.Manifest(description));
        Assert.Equal(("m", "t"), (read.Members[0].MemberId, read.Members[0].Assignment[0].Topic));
        Assert.Empty(read.Members[0].MemberMetadata);
        Assert.Empty(read.Members[0].MemberAssignment);
    }

    [Fact]
    public void A_join_group_carries_the_member_actor_and_reads_it_back_as_the_same_actor()
    {
        var member = _system.ActorOf(Props.Empty, "member");
        var join = new JoinGroup("g", "m", null, "consumer", [new GroupProtocol("range", [1])], 10000, 30000, "client", "host", member, false);
        var serializer = (PlatformSerializer)_system.Serialization.FindSerializerFor(join);
        var read = (JoinGroup)serializer.FromBinary(serializer.ToBinary(join), serializer.Manifest(join));
        Assert.Equal(member, read.MemberRef);
    }

    [Fact]
    public void Create_and_create_partitions_from_a_node_without_validate_only_read_as_real_changes()
    {
        var serializer = (PlatformSerializer)_system.Serialization.FindSerializerFor(new DeleteTopic("t"));
        var create = new CreateTopic("t", 3, new Dictionary<string, string>(), ValidateOnly: true);
        var older = serializer.ToBinary(create)[..^1];
        Assert.False(((CreateTopic)serializer.FromBinary(older, serializer.Manifest(create))).ValidateOnly);
        var grow = new CreatePartitions("t", 4, ValidateOnly: true);
        Assert.False(((CreatePartitions)serializer.FromBinary(serializer.ToBinary(grow)[..^1], serializer.Manifest(grow))).ValidateOnly);
    }

    internal static void AssertEquivalent(object expected, object actual)
    {
        Assert.Equal(expected.GetType(), actual.GetType());
        // Records compare collections by reference; compare their serialized forms field by field instead.
        foreach (var property in expected.GetType().GetProperties())
        {
            var e = property.GetValue(expected);
            var a = property.GetValue(actual);
            switch (e)
            {
                case byte[] eb:
                    Assert.Equal(eb, (byte[])a!);
                    break;
                case IReadOnlyDictionary<string, string> ed:
                    Assert.Equal(ed.OrderBy(kv => kv.Key), ((IReadOnlyDictionary<string, string>)a!).OrderBy(kv => kv.Key));
                    break;
                case System.Collections.IEnumerable ee and not string:
                    var el = ee.Cast<object>().ToList();
                    var al = ((System.Collections.IEnumerable)a!).Cast<object>().ToList();
                    Assert.Equal(el.Count, al.Count);
                    for (var i = 0; i < el.Count; i++)
                    {
                        if (el[i] is byte[] b) Assert.Equal(b, (byte[])al[i]);
                        else if (el[i].GetType().GetProperties().Any(p => p.PropertyType == typeof(byte[]) || p.PropertyType.IsGenericType))
                            AssertEquivalent(el[i], al[i]);
                        else Assert.Equal(el[i], al[i]);
                    }
                    break;
                default:
                    Assert.Equal(e, a);
                    break;
            }
        }
    }

    public void Dispose() => _system.Terminate().Wait(TimeSpan.FromSeconds(10));
}
