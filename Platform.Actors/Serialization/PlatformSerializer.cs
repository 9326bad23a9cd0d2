using Akka.Actor;
using System.Runtime.Serialization;
using Akka.Serialization;
using Platform.Actors.Gateway;
using Platform.Actors.Groups;
using Platform.Protocol.Groups;
using Platform.Actors.Log;
using Platform.Protocol.Records;
using Platform.Actors.Partitions;
using Platform.Actors.Producers;
using Platform.Actors.Topics;

namespace Platform.Actors.Serialization;

/// <summary>
/// The binary serializer for every <see cref="IPlatformMessage"/>: network messages, journal events and
/// snapshots. Manifests are short and never reused. Each payload starts with a format version byte so a
/// node can refuse what it cannot read instead of misreading it; the one exception is
/// <see cref="RecordBatchAppended"/>, stored as the bare RecordBatch v2, whose magic byte is its version.
/// </summary>
public sealed class PlatformSerializer(ExtendedActorSystem actorSystem) : SerializerWithStringManifest(actorSystem)
{
    private const byte Version1 = 1;

    private delegate object Reader(ref WireReader reader);

    private sealed record Format(string Manifest, Action<WireWriter, object> Write, Reader Read);

    // Manifests are part of the storage format: add new ones, never rename or reuse.
    private static readonly Dictionary<Type, Format> ByType = new()
    {
        [typeof(CreateTopic)] = new("TC", (w, o) =>
        {
            var m = (CreateTopic)o;
            w.String(m.Name);
            w.Int32(m.Partitions);
            WriteMap(w, m.Configs);
            w.Bool(m.ValidateOnly);
        }, (ref WireReader r) => new CreateTopic(r.String(), r.Int32(), ReadMap(ref r), r.Remaining > 0 && r.Bool())),
        [typeof(DeleteTopic)] = new("TD", (w, o) => w.String(((DeleteTopic)o).Name), (ref WireReader r) => new DeleteTopic(r.String())),
        [typeof(CreatePartitions)] = new("TP", (w, o) =>
        {
            var m = (CreatePartitions)o;
            w.String(m.Name);
            w.Int32(m.TotalCount);
            // Appended after the first release: an older node's request reads as a real change.
            w.Bool(m.ValidateOnly);
        }, (ref WireReader r) => new CreatePartitions(r.String(), r.Int32(), r.Remaining > 0 && r.Bool())),
        [typeof(AlterTopicConfig)] = new("TA", (w, o) =>
        {
            var m = (AlterTopicConfig)o;
            w.String(m.Name);
            w.List(m.Operations, (x, op) =>
            {
                x.String(op.Key);
                x.Byte((byte)op.Operation);
                x.NullableString(op.Value);
            });
            w.Bool(m.Replace);
            w.Bool(m.ValidateOnly);
        }, (ref WireReader r) =>
        {
            var name = r.String();
            var operations = new TopicConfigOperation[r.Count()];
            for (var i = 0; i < operations.Length; i++) operations[i] = new TopicConfigOperation(r.String(), (ConfigOperation)r.Byte(), r.NullableString());
            return new AlterTopicConfig(name, operations, r.Bool(), r.Bool());
        }),
        [typeof(TopicCommandResult)] = new("TR", (w, o) =>
        {
            var m = (TopicCommandResult)o;
            w.Int16((short)m.Error);
            w.NullableString(m.ErrorMessage);
            WriteOptionalTopic(w, m.Topic);
        }, (ref WireReader r) => new TopicCommandResult((ErrorCode)r.Int16(), r.NullableString(), ReadOptionalTopic(ref r))),
        [typeof(GetTopics)] = new("TG", (w, o) =>
        {
            var m = (GetTopics)o;
            w.List(m.Names, (x, n) => x.String(n));
            w.Bool(m.AllowAutoCreate);
        }, (ref WireReader r) =>
        {
            var names = new string[r.Count()];
            for (var i = 0; i < names.Length; i++) names[i] = r.String();
            return new GetTopics(names, r.Bool());
        }),
        [typeof(TopicsResult)] = new("TL", (w, o) => w.List(((TopicsResult)o).Topics, (x, t) =>
        {
            x.String(t.Name);
            x.Int16((short)t.Error);
            x.NullableString(t.ErrorMessage);
            WriteOptionalTopic(x, t.Topic);
        }), (ref WireReader r) =>
        {
            var topics = new TopicLookup[r.Count()];
            for (var i = 0; i < topics.Length; i++)
                topics[i] = new TopicLookup(r.String(), (ErrorCode)r.Int16(), r.NullableString(), ReadOptionalTopic(ref r));
            return new TopicsResult(topics);
        }),
        [typeof(GetTopicById)] = new("TI", (w, o) => w.Guid(((GetTopicById)o).TopicId), (ref WireReader r) => new GetTopicById(r.Guid())),
        [typeof(TopicByIdResult)] = new("TJ", (w, o) =>
        {
            var m = (TopicByIdResult)o;
            w.Guid(m.TopicId);
            WriteOptionalTopic(w, m.Topic);
        }, (ref WireReader r) => new TopicByIdResult(r.Guid(), ReadOptionalTopic(ref r))),
        [typeof(SubscribeTopics)] = new("TS", (_, _) => { }, (ref WireReader _) => SubscribeTopics.Instance),
        [typeof(TopicsChanged)] = new("TX", (w, o) => WriteTopics(w, ((TopicsChanged)o).Topics),
            (ref WireReader r) => new TopicsChanged(ReadTopics(ref r))),
        [typeof(TopicCreated)] = new("E-TC", (w, o) => WriteTopic(w, ((TopicCreated)o).Topic),
            (ref WireReader r) => new TopicCreated(ReadTopic(ref r))),
        [typeof(TopicPartitionsIncreased)] = new("E-TP", (w, o) =>
        {
            var m = (TopicPartitionsIncreased)o;
            w.Guid(m.TopicId);
            w.Int32(m.PartitionCount);
        }, (ref WireReader r) => new TopicPartitionsIncreased(r.Guid(), r.Int32())),
        [typeof(TopicDeleted)] = new("E-TD", (w, o) => w.Guid(((TopicDeleted)o).TopicId), (ref WireReader r) => new TopicDeleted(r.Guid())),
        [typeof(TopicConfigChanged)] = new("E-TK", (w, o) =>
        {
            var m = (TopicConfigChanged)o;
            w.Guid(m.TopicId);
            WriteConfig(w, m.Config);
        }, (ref WireReader r) => new TopicConfigChanged(r.Guid(), ReadConfig(ref r))),
        [typeof(TopicRegistrySnapshot)] = new("S-TR", (w, o) => WriteTopics(w, ((TopicRegistrySnapshot)o).Topics),
            (ref WireReader r) => new TopicRegistrySnapshot(ReadTopics(ref r))),

        [typeof(Produce)] = new("PP", (w, o) =>
        {
            var m = (Produce)o;
            w.Guid(m.TopicId);
            w.Int32(m.Partition);
            w.Int64(m.CorrelationId);
            w.Bytes(m.Batch);
        }, (ref WireReader r) =>
        {
            var (topic, partition, correlation) = (r.Guid(), r.Int32(), r.Int64());
            return new Produce(topic, partition, r.Bytes(), correlation);
        }),
        [typeof(ProduceResult)] = new("PR", (w, o) =>
        {
            var m = (ProduceResult)o;
            w.Guid(m.TopicId);
            w.Int32(m.Partition);
            w.Int64(m.CorrelationId);
            w.Int16((short)m.Error);
            w.NullableString(m.ErrorMessage);
            w.Int64(m.BaseOffset);
            w.Int64(m.LogStartOffset);
        }, (ref WireReader r) => new ProduceResult(r.Guid(), r.Int32(), r.Int64(), (ErrorCode)r.Int16(), r.NullableString(), r.Int64(), r.Int64())),
        [typeof(Fetch)] = new("PF", (w, o) =>
        {
            var m = (Fetch)o;
            w.Guid(m.TopicId);
            w.Int32(m.Partition);
            w.Int64(m.Offset);
            w.Int32(m.MaxBytes);
            w.Int32(m.MaxWaitMs);
            w.Int64(m.CorrelationId);
        }, (ref WireReader r) => new Fetch(r.Guid(), r.Int32(), r.Int64(), r.Int32(), r.Int32(), r.Int64())),
        [typeof(FetchResult)] = new("PG", (w, o) =>
        {
            var m = (FetchResult)o;
            w.Guid(m.TopicId);
            w.Int32(m.Partition);
            w.Int64(m.CorrelationId);
            w.Int16((short)m.Error);
            w.NullableString(m.ErrorMessage);
            w.Int64(m.HighWatermark);
            w.Int64(m.LogStartOffset);
            w.List(m.Batches, (x, b) => x.Bytes(b));
        }, (ref WireReader r) =>
        {
            var (topic, partition, correlation, error, message, hw, start) =
                (r.Guid(), r.Int32(), r.Int64(), (ErrorCode)r.Int16(), r.NullableString(), r.Int64(), r.Int64());
            var batches = new byte[r.Count()][];
            for (var i = 0; i < batches.Length; i++) batches[i] = r.Bytes();
            return new FetchResult(topic, partition, correlation, error, message, hw, start, batches);
        }),
        [typeof(GetPartitionStatus)] = new("PS", (w, o) => WriteTopicPartition(w, (IPartitionMessage)o),
            (ref WireReader r) => new GetPartitionStatus(r.Guid(), r.Int32())),
        [typeof(PartitionStatus)] = new("PT", (w, o) =>
        {
            var m = (PartitionStatus)o;
            w.Guid(m.TopicId);
            w.Int32(m.Partition);
            w.Int16((short)m.Error);
            w.NullableString(m.ErrorMessage);
            w.Int64(m.LogStartOffset);
            w.Int64(m.HighWatermark);
            w.String(m.Leader);
            w.Int64(m.SizeBytes);
            w.Int64(m.LastRecoveryMs);
        }, (ref WireReader r) => new PartitionStatus(r.Guid(), r.Int32(), (ErrorCode)r.Int16(), r.NullableString(), r.Int64(), r.Int64(), r.String(), r.Int64(), r.Int64())),
        [typeof(FindOffsetForTimestamp)] = new("PO", (w, o) =>
        {
            var m = (FindOffsetForTimestamp)o;
            WriteTopicPartition(w, m);
            w.Int64(m.Timestamp);
        }, (ref WireReader r) => new FindOffsetForTimestamp(r.Guid(), r.Int32(), r.Int64())),
        [typeof(OffsetForTimestamp)] = new("PQ", (w, o) =>
        {
            var m = (OffsetForTimestamp)o;
            w.Guid(m.TopicId);
            w.Int32(m.Partition);
            WriteError(w, m.Error, m.ErrorMessage);
            w.Int64(m.Offset);
        }, (ref WireReader r) => new OffsetForTimestamp(r.Guid(), r.Int32(), (ErrorCode)r.Int16(), r.NullableString(), r.Int64())),
        [typeof(RestartPartition)] = new("PX", (w, o) => WriteTopicPartition(w, (IPartitionMessage)o),
            (ref WireReader r) => new RestartPartition(r.Guid(), r.Int32())),
        [typeof(DeletePartition)] = new("PD", (w, o) => WriteTopicPartition(w, (IPartitionMessage)o),
            (ref WireReader r) => new DeletePartition(r.Guid(), r.Int32())),
        [typeof(WakePartition)] = new("PW", (w, o) => WriteTopicPartition(w, (IPartitionMessage)o),
            (ref WireReader r) => new WakePartition(r.Guid(), r.Int32())),
        [typeof(ApplyTopicConfig)] = new("PC", (w, o) =>
        {
            var m = (ApplyTopicConfig)o;
            WriteTopicPartition(w, m);
            WriteConfig(w, m.Config);
        }, (ref WireReader r) => new ApplyTopicConfig(r.Guid(), r.Int32(), ReadConfig(ref r))),
        [typeof(DeleteRecordsBefore)] = new("PE", (w, o) =>
        {
            var m = (DeleteRecordsBefore)o;
            WriteTopicPartition(w, m);
            w.Int64(m.Offset);
        }, (ref WireReader r) => new DeleteRecordsBefore(r.Guid(), r.Int32(), r.Int64())),
        [typeof(DeleteRecordsResult)] = new("PH", (w, o) =>
        {
            var m = (DeleteRecordsResult)o;
            w.Guid(m.TopicId);
            w.Int32(m.Partition);
            WriteError(w, m.Error, m.ErrorMessage);
            w.Int64(m.LowWatermark);
        }, (ref WireReader r) => new DeleteRecordsResult(r.Guid(), r.Int32(), (ErrorCode)r.Int16(), r.NullableString(), r.Int64())),
        [typeof(LogStartAdvanced)] = new("E-LS", (w, o) =>
        {
            var m = (LogStartAdvanced)o;
            w.Int64(m.LogStartOffset);
            w.Int64(m.DeletedToSequenceNr);
        }, (ref WireReader r) => new LogStartAdvanced(r.Int64(), r.Int64())),
        [typeof(PartitionSnapshot)] = new("S-P", (w, o) =>
        {
            var m = (PartitionSnapshot)o;
            w.Int64(m.LogStartOffset);
            w.Int64(m.LogEndOffset);
            w.List(m.Segments, (x, s) =>
            {
                x.Int64(s.BaseOffset);
                x.Int64(s.NextOffset);
                x.Int64(s.FirstSequenceNr);
                x.Int64(s.LastSequenceNr);
                x.Int64(s.Bytes);
                x.Int64(s.MaxTimestamp);
            });
            // Appended after the first release: readers of older snapshots find no bytes left and no producers.
            w.List(m.Producers ?? [], (x, p) =>
            {
                x.Int64(p.ProducerId);
                x.Int16(p.Epoch);
                x.Int64(p.LastTimestamp);
                x.List(p.Batches, (y, b) =>
                {
                    y.Int32(b.FirstSequence);
                    y.Int32(b.LastSequence);
                    y.Int64(b.BaseOffset);
                });
            });
        }, (ref WireReader r) =>
        {
            var (start, end) = (r.Int64(), r.Int64());
            var segments = new Segment[r.Count()];
            for (var i = 0; i < segments.Length; i++)
                segments[i] = new Segment(r.Int64(), r.Int64(), r.Int64(), r.Int64(), r.Int64(), r.Int64());
            var producers = new ProducerState[r.Remaining > 0 ? r.Count() : 0];
            for (var i = 0; i < producers.Length; i++)
            {
                var (id, epoch, timestamp) = (r.Int64(), r.Int16(), r.Int64());
                var batches = new ProducerBatch[r.Count()];
                for (var j = 0; j < batches.Length; j++) batches[j] = new ProducerBatch(r.Int32(), r.Int32(), r.Int64());
                producers[i] = new ProducerState(id, epoch, timestamp, batches);
            }
            return new PartitionSnapshot(start, end, segments, producers);
        }),

        [typeof(JoinGroup)] = new(JoinGroupManifest, (w, o) =>
        {
            var m = (JoinGroup)o;
            w.String(m.GroupId);
            w.String(m.MemberId);
            w.NullableString(m.GroupInstanceId);
            w.String(m.ProtocolType);
            w.List(m.Protocols, (x, p) =>
            {
                x.String(p.Name);
                x.Bytes(p.Metadata);
            });
            w.Int32(m.SessionTimeoutMs);
            w.Int32(m.RebalanceTimeoutMs);
            w.String(m.ClientId);
            w.String(m.ClientHost);
            w.NullableString(m.MemberRef is null ? null : Akka.Serialization.Serialization.SerializedActorPath(m.MemberRef));
            w.Bool(m.ServerAssignment);
        }, null!),
        [typeof(JoinGroupResult)] = new("GK", (w, o) =>
        {
            var m = (JoinGroupResult)o;
            w.Int16((short)m.Error);
            w.NullableString(m.ErrorMessage);
            w.Int32(m.GenerationId);
            w.NullableString(m.ProtocolType);
            w.NullableString(m.ProtocolName);
            w.String(m.LeaderId);
            w.String(m.MemberId);
            w.List(m.Members, (x, j) =>
            {
                x.String(j.MemberId);
                x.NullableString(j.GroupInstanceId);
                x.Bytes(j.Metadata);
            });
        }, (ref WireReader r) =>
        {
            var (error, message, generation, type, name, leader, member) =
                ((ErrorCode)r.Int16(), r.NullableString(), r.Int32(), r.NullableString(), r.NullableString(), r.String(), r.String());
            var members = new JoinGroupMember[r.Count()];
            for (var i = 0; i < members.Length; i++) members[i] = new JoinGroupMember(r.String(), r.NullableString(), r.Bytes());
            return new JoinGroupResult(error, message, generation, type, name, leader, member, members);
        }),
        [typeof(SyncGroup)] = new("GS", (w, o) =>
        {
            var m = (SyncGroup)o;
            w.String(m.GroupId);
            w.String(m.MemberId);
            w.Int32(m.GenerationId);
            w.NullableString(m.GroupInstanceId);
            w.List(m.Assignments, (x, a) =>
            {
                x.String(a.MemberId);
                x.Bytes(a.Assignment);
            });
        }, (ref WireReader r) =>
        {
            var (group, member, generation, instance) = (r.String(), r.String(), r.Int32(), r.NullableString());
            var assignments = new SyncGroupAssignment[r.Count()];
            for (var i = 0; i < assignments.Length; i++) assignments[i] = new SyncGroupAssignment(r.String(), r.Bytes());
            return new SyncGroup(group, member, generation, instance, assignments);
        }),
        [typeof(SyncGroupResult)] = new("GT", (w, o) =>
        {
            var m = (SyncGroupResult)o;
            w.Int16((short)m.Error);
            w.NullableString(m.ErrorMessage);
            w.NullableString(m.ProtocolName);
            w.Bytes(m.Assignment);
        }, (ref WireReader r) => new SyncGroupResult((ErrorCode)r.Int16(), r.NullableString(), r.NullableString(), r.Bytes())),
        [typeof(Heartbeat)] = new("GH", (w, o) =>
        {
            var m = (Heartbeat)o;
            w.String(m.GroupId);
            w.String(m.MemberId);
            w.Int32(m.GenerationId);
            w.NullableString(m.GroupInstanceId);
        }, (ref WireReader r) => new Heartbeat(r.String(), r.String(), r.Int32(), r.NullableString())),
        [typeof(HeartbeatResult)] = new("GI", (w, o) => WriteError(w, ((HeartbeatResult)o).Error, ((HeartbeatResult)o).ErrorMessage),
            (ref WireReader r) => new HeartbeatResult((ErrorCode)r.Int16(), r.NullableString())),
        [typeof(LeaveGroup)] = new("GL", (w, o) =>
        {
            var m = (LeaveGroup)o;
            w.String(m.GroupId);
            w.String(m.MemberId);
            w.NullableString(m.GroupInstanceId);
        }, (ref WireReader r) => new LeaveGroup(r.String(), r.String(), r.NullableString())),
        [typeof(LeaveGroupResult)] = new("GM", (w, o) => WriteError(w, ((LeaveGroupResult)o).Error, ((LeaveGroupResult)o).ErrorMessage),
            (ref WireReader r) => new LeaveGroupResult((ErrorCode)r.Int16(), r.NullableString())),
        [typeof(OffsetCommit)] = new("GC", (w, o) =>
        {
            var m = (OffsetCommit)o;
            w.String(m.GroupId);
            w.String(m.MemberId);
            w.Int32(m.GenerationId);
            w.NullableString(m.GroupInstanceId);
            w.List(m.Offsets, (x, e) =>
            {
                x.String(e.Topic);
                x.Int32(e.Partition);
                x.Int64(e.Offset);
                x.NullableString(e.Metadata);
            });
        }, (ref WireReader r) =>
        {
            var (group, member, generation, instance) = (r.String(), r.String(), r.Int32(), r.NullableString());
            var offsets = new OffsetCommitEntry[r.Count()];
            for (var i = 0; i < offsets.Length; i++) offsets[i] = new OffsetCommitEntry(r.String(), r.Int32(), r.Int64(), r.NullableString());
            return new OffsetCommit(group, member, generation, instance, offsets);
        }),
        [typeof(OffsetCommitResult)] = new("GD", (w, o) =>
        {
            var m = (OffsetCommitResult)o;
            WriteError(w, m.Error, m.ErrorMessage);
            w.List(m.Partitions, (x, p) =>
            {
                x.String(p.Topic);
                x.Int32(p.Partition);
                x.Int16((short)p.Error);
            });
        }, (ref WireReader r) =>
        {
            var (error, message) = ((ErrorCode)r.Int16(), r.NullableString());
            var partitions = new PartitionError[r.Count()];
            for (var i = 0; i < partitions.Length; i++) partitions[i] = new PartitionError(r.String(), r.Int32(), (ErrorCode)r.Int16());
            return new OffsetCommitResult(error, message, partitions);
        }),
        [typeof(OffsetFetch)] = new("GF", (w, o) =>
        {
            var m = (OffsetFetch)o;
            w.String(m.GroupId);
            w.Bool(m.Partitions is not null);
            if (m.Partitions is not null) w.List(m.Partitions, WriteTopicPartitionId);
        }, (ref WireReader r) =>
        {
            var group = r.String();
            return new OffsetFetch(group, r.Bool() ? ReadTopicPartitionIds(ref r) : null);
        }),
        [typeof(OffsetFetchResult)] = new("GG", (w, o) =>
        {
            var m = (OffsetFetchResult)o;
            WriteError(w, m.Error, m.ErrorMessage);
            w.List(m.Offsets, WriteCommitted);
        }, (ref WireReader r) =>
        {
            var (error, message) = ((ErrorCode)r.Int16(), r.NullableString());
            return new OffsetFetchResult(error, message, ReadCommittedList(ref r));
        }),
        [typeof(DescribeGroup)] = new("GN", (w, o) => w.String(((DescribeGroup)o).GroupId), (ref WireReader r) => new DescribeGroup(r.String())),
        [typeof(GroupDescription)] = new("GO", (w, o) =>
        {
            var m = (GroupDescription)o;
            w.String(m.GroupId);
            WriteError(w, m.Error, m.ErrorMessage);
            w.String(m.State);
            w.String(m.ProtocolType);
            w.String(m.ProtocolName);
            w.Int32(m.GenerationId);
            w.List(m.Members, (x, d) =>
            {
                x.String(d.MemberId);
                x.NullableString(d.GroupInstanceId);
                x.String(d.ClientId);
                x.String(d.ClientHost);
                x.List(d.Assignment, WriteTopicPartitionId);
            });
            // Added later, after the members, so that either side reads the other's format.
            w.List(m.Members, (x, d) =>
            {
                x.Bytes(d.MemberMetadata);
                x.Bytes(d.MemberAssignment);
            });
        }, (ref WireReader r) =>
        {
            var (group, error, message, state, type, name, generation) =
                (r.String(), (ErrorCode)r.Int16(), r.NullableString(), r.String(), r.String(), r.String(), r.Int32());
            var members = new GroupMemberDescription[r.Count()];
            for (var i = 0; i < members.Length; i++)
                members[i] = new GroupMemberDescription(r.String(), r.NullableString(), r.String(), r.String(), ReadTopicPartitionIds(ref r), [], []);
            if (r.Remaining > 0)
            {
                var count = r.Count();
                for (var i = 0; i < count; i++)
                {
                    var (metadata, assignment) = (r.Bytes(), r.Bytes());
                    if (i < members.Length) members[i] = members[i] with { MemberMetadata = metadata, MemberAssignment = assignment };
                }
            }
            return new GroupDescription(group, error, message, state, type, name, generation, members);
        }),
        [typeof(DeleteGroup)] = new("GX", (w, o) => w.String(((DeleteGroup)o).GroupId), (ref WireReader r) => new DeleteGroup(r.String())),
        [typeof(DeleteGroupResult)] = new("GY", (w, o) => WriteError(w, ((DeleteGroupResult)o).Error, ((DeleteGroupResult)o).ErrorMessage),
            (ref WireReader r) => new DeleteGroupResult((ErrorCode)r.Int16(), r.NullableString())),
        [typeof(RebalanceStarted)] = new("GQ", (w, o) =>
        {
            w.String(((RebalanceStarted)o).GroupId);
            w.Int32(((RebalanceStarted)o).GenerationId);
        }, (ref WireReader r) => new RebalanceStarted(r.String(), r.Int32())),
        [typeof(ListGroups)] = new("GA", (_, _) => { }, (ref WireReader _) => ListGroups.Instance),
        [typeof(GroupList)] = new("GB", (w, o) => w.List(((GroupList)o).GroupIds, (x, g) => x.String(g)), (ref WireReader r) =>
        {
            var ids = new string[r.Count()];
            for (var i = 0; i < ids.Length; i++) ids[i] = r.String();
            return new GroupList(ids);
        }),
        [typeof(ListGroupStates)] = new("GV", (w, o) => w.List(((ListGroupStates)o).StatesFilter, (x, f) => x.String(f)), (ref WireReader r) =>
        {
            var states = new string[r.Count()];
            for (var i = 0; i < states.Length; i++) states[i] = r.String();
            return new ListGroupStates(states);
        }),
        [typeof(ListedGroups)] = new("GW", (w, o) => w.List(((ListedGroups)o).Groups, (x, g) =>
        {
            x.String(g.GroupId);
            x.String(g.ProtocolType);
            x.String(g.GroupState);
        }), (ref WireReader r) =>
        {
            var groups = new ListedGroup[r.Count()];
            for (var i = 0; i < groups.Length; i++) groups[i] = new ListedGroup(r.String(), r.String(), r.String());
            return new ListedGroups(groups);
        }),
        [typeof(GroupStateChanged)] = new("GZ", (w, o) =>
        {
            var m = (GroupStateChanged)o;
            w.String(m.GroupId);
            w.String(m.GroupState);
            w.String(m.ProtocolType);
        }, (ref WireReader r) => new GroupStateChanged(r.String(), r.String(), r.String())),
        [typeof(RegisterGroup)] = new("GR", (w, o) => w.String(((RegisterGroup)o).GroupId), (ref WireReader r) => new RegisterGroup(r.String())),
        [typeof(UnregisterGroup)] = new("GU", (w, o) => w.String(((UnregisterGroup)o).GroupId), (ref WireReader r) => new UnregisterGroup(r.String())),
        [typeof(OffsetsCommitted)] = new("E-OC", (w, o) => w.List(((OffsetsCommitted)o).Offsets, WriteCommitted),
            (ref WireReader r) => new OffsetsCommitted(ReadCommittedList(ref r))),
        [typeof(OffsetsRemoved)] = new("E-OR", (w, o) => w.List(((OffsetsRemoved)o).Partitions, WriteTopicPartitionId),
            (ref WireReader r) => new OffsetsRemoved(ReadTopicPartitionIds(ref r))),
        [typeof(GroupSnapshot)] = new("S-G", (w, o) =>
        {
            var m = (GroupSnapshot)o;
            w.List(m.Offsets, WriteCommitted);
            w.Int64(m.EmptySinceMs);
        }, (ref WireReader r) => new GroupSnapshot(ReadCommittedList(ref r), r.Int64())),
        [typeof(GroupRegistered)] = new("E-GR", (w, o) => w.String(((GroupRegistered)o).GroupId), (ref WireReader r) => new GroupRegistered(r.String())),
        [typeof(GroupUnregistered)] = new("E-GU", (w, o) => w.String(((GroupUnregistered)o).GroupId), (ref WireReader r) => new GroupUnregistered(r.String())),
        [typeof(GroupDirectorySnapshot)] = new("S-GD", (w, o) => w.List(((GroupDirectorySnapshot)o).GroupIds, (x, g) => x.String(g)), (ref WireReader r) =>
        {
            var ids = new string[r.Count()];
            for (var i = 0; i < ids.Length; i++) ids[i] = r.String();
            return new GroupDirectorySnapshot(ids);
        }),

        [typeof(AllocateProducerId)] = new("IA", (_, _) => { }, (ref WireReader _) => AllocateProducerId.Instance),
        [typeof(ProducerIdAllocated)] = new("IB", (w, o) =>
        {
            var m = (ProducerIdAllocated)o;
            WriteError(w, m.Error, m.ErrorMessage);
            w.Int64(m.ProducerId);
            w.Int16(m.ProducerEpoch);
        }, (ref WireReader r) => new ProducerIdAllocated((ErrorCode)r.Int16(), r.NullableString(), r.Int64(), r.Int16())),
        [typeof(ProducerIdBlockReserved)] = new("E-IB", (w, o) =>
        {
            var m = (ProducerIdBlockReserved)o;
            w.Int64(m.FirstProducerId);
            w.Int64(m.EndProducerId);
        }, (ref WireReader r) => new ProducerIdBlockReserved(r.Int64(), r.Int64())),
        [typeof(ProducerIdAllocatorSnapshot)] = new("S-I", (w, o) => w.Int64(((ProducerIdAllocatorSnapshot)o).ReservedUpTo),
            (ref WireReader r) => new ProducerIdAllocatorSnapshot(r.Int64())),
        [typeof(GetClusterStatus)] = new("NC", (_, _) => { }, (ref WireReader _) => GetClusterStatus.Instance),
        [typeof(SubscribeMembership)] = new("NM", (_, _) => { }, (ref WireReader _) => SubscribeMembership.Instance),
        [typeof(MemberLeft)] = new("NL", (w, o) => w.String(((MemberLeft)o).Address), (ref WireReader r) => new MemberLeft(r.String())),
        [typeof(ClusterStatus)] = new("ND", (w, o) =>
        {
            var m = (ClusterStatus)o;
            w.String(m.Leader);
            w.List(m.Members, (x, c) =>
            {
                x.String(c.Address);
                x.String(c.Status);
                x.List(c.Roles, (y, r) => y.String(r));
                x.Bool(c.Reachable);
                x.Int32(c.Partitions);
                x.Int32(c.Groups);
            });
        }, (ref WireReader r) =>
        {
            var leader = r.String();
            var members = new ClusterMemberStatus[r.Count()];
            for (var i = 0; i < members.Length; i++)
            {
                var address = r.String();
                var status = r.String();
                var roles = new string[r.Count()];
                for (var j = 0; j < roles.Length; j++) roles[j] = r.String();
                members[i] = new ClusterMemberStatus(address, status, roles, r.Bool(), r.Int32(), r.Int32());
            }
            return new ClusterStatus(leader, members);
        }),
        [typeof(GetNodeStats)] = new("NS", (_, _) => { }, (ref WireReader _) => GetNodeStats.Instance),
        [typeof(NodeStats)] = new("NT", (w, o) =>
        {
            var m = (NodeStats)o;
            w.String(m.Address);
            w.Int64(m.WorkingSetBytes);
            w.Int64(m.PeakWorkingSetBytes);
            w.Int64(m.ManagedHeapBytes);
            w.Int64(m.TailCacheBytes);
        }, (ref WireReader r) => new NodeStats(r.String(), r.Int64(), r.Int64(), r.Int64(), r.Int64())),
    };

    private const string BatchManifest = "E-RB";
    private const string JoinGroupManifest = "GJ";

    /// <summary>JoinGroup carries the member's actor, which only the ActorSystem can resolve.</summary>
    private JoinGroup ReadJoinGroup(ref WireReader r)
    {
        var (group, member, instance, type) = (r.String(), r.String(), r.NullableString(), r.String());
        var protocols = new GroupProtocol[r.Count()];
        for (var i = 0; i < protocols.Length; i++) protocols[i] = new GroupProtocol(r.String(), r.Bytes());
        var (session, rebalance, client, host, path) = (r.Int32(), r.Int32(), r.String(), r.String(), r.NullableString());
        var memberRef = path is null ? null : system.Provider.ResolveActorRef(path);
        return new JoinGroup(group, member, instance, type, protocols, session, rebalance, client, host, memberRef, r.Bool());
    }

    private static readonly Dictionary<string, Format> ByManifest = ByType.Values.ToDictionary(f => f.Manifest);

    /// <summary>Every message type this serializer handles; the specs round-trip each one.</summary>
    public static IEnumerable<Type> SupportedTypes => ByType.Keys.Append(typeof(RecordBatchAppended));

    public override string Manifest(object o) => o switch
    {
        RecordBatchAppended => BatchManifest,
        _ when ByType.TryGetValue(o.GetType(), out var format) => format.Manifest,
        _ => throw new ArgumentException($"{nameof(PlatformSerializer)} has no format for {o.GetType()}"),
    };

    public override byte[] ToBinary(object obj)
    {
        if (obj is RecordBatchAppended appended) return appended.Batch;
        if (!ByType.TryGetValue(obj.GetType(), out var format))
            throw new ArgumentException($"{nameof(PlatformSerializer)} has no format for {obj.GetType()}");
        var writer = new WireWriter();
        writer.Byte(Version1);
        format.Write(writer, obj);
        return writer.ToArray();
    }

    public override object FromBinary(byte[] bytes, string manifest)
    {
        if (manifest == BatchManifest)
        {
            if (RecordBatch.Validate(bytes) is var error and not BatchError.None)
                throw new InvalidDataException($"Stored record batch is unreadable: {error}");
            return new RecordBatchAppended(bytes);
        }
        if (!ByManifest.TryGetValue(manifest, out var format))
            throw new SerializationException($"Unknown manifest '{manifest}' for {nameof(PlatformSerializer)}");
        var reader = new WireReader(bytes);
        reader.ExpectVersion(Version1, manifest);
        return manifest == JoinGroupManifest ? ReadJoinGroup(ref reader) : format.Read(ref reader);
    }

    private static void WriteError(WireWriter w, ErrorCode error, string? message)
    {
        w.Int16((short)error);
        w.NullableString(message);
    }

    private static void WriteTopicPartitionId(WireWriter w, TopicPartitionId tp)
    {
        w.String(tp.Topic);
        w.Int32(tp.Partition);
    }

    private static TopicPartitionId[] ReadTopicPartitionIds(ref WireReader r)
    {
        var list = new TopicPartitionId[r.Count()];
        for (var i = 0; i < list.Length; i++) list[i] = new TopicPartitionId(r.String(), r.Int32());
        return list;
    }

    private static void WriteCommitted(WireWriter w, CommittedOffset o)
    {
        w.String(o.Topic);
        w.Int32(o.Partition);
        w.Int64(o.Offset);
        w.NullableString(o.Metadata);
        w.Int64(o.CommitTimestamp);
    }

    private static CommittedOffset[] ReadCommittedList(ref WireReader r)
    {
        var list = new CommittedOffset[r.Count()];
        for (var i = 0; i < list.Length; i++) list[i] = new CommittedOffset(r.String(), r.Int32(), r.Int64(), r.NullableString(), r.Int64());
        return list;
    }

    private static void WriteTopicPartition(WireWriter w, IPartitionMessage m)
    {
        w.Guid(m.TopicId);
        w.Int32(m.Partition);
    }

    private static void WriteMap(WireWriter w, IReadOnlyDictionary<string, string> map) =>
        w.List(map.ToList(), (x, kv) =>
        {
            x.String(kv.Key);
            x.String(kv.Value);
        });

    private static Dictionary<string, string> ReadMap(ref WireReader r)
    {
        var count = r.Count();
        var map = new Dictionary<string, string>(count);
        for (var i = 0; i < count; i++) map[r.String()] = r.String();
        return map;
    }

    private static void WriteTopic(WireWriter w, TopicInfo t)
    {
        w.String(t.Name);
        w.Guid(t.TopicId);
        w.Int32(t.PartitionCount);
        WriteConfig(w, t.Config);
    }

    private static TopicInfo ReadTopic(ref WireReader r) => new(r.String(), r.Guid(), r.Int32(), ReadConfig(ref r));

    private static void WriteConfig(WireWriter w, TopicConfig c)
    {
        w.Int64(c.RetentionMs);
        w.Int64(c.RetentionBytes);
        w.Int32(c.MaxMessageBytes);
        w.String(c.CleanupPolicy);
    }

    private static TopicConfig ReadConfig(ref WireReader r) => new(r.Int64(), r.Int64(), r.Int32(), r.String());

    private static void WriteOptionalTopic(WireWriter w, TopicInfo? t)
    {
        w.Bool(t is not null);
        if (t is not null) WriteTopic(w, t);
    }

    private static TopicInfo? ReadOptionalTopic(ref WireReader r) => r.Bool() ? ReadTopic(ref r) : null;

    private static void WriteTopics(WireWriter w, IReadOnlyList<TopicInfo> topics) => w.List(topics, WriteTopic);

    private static TopicInfo[] ReadTopics(ref WireReader r)
    {
        var topics = new TopicInfo[r.Count()];
        for (var i = 0; i < topics.Length; i++) topics[i] = ReadTopic(ref r);
        return topics;
    }
}
