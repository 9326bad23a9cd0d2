using Platform.Protocol.Groups;
using Platform.Actors.Serialization;

namespace Platform.Actors.Groups;

/// <summary>
/// Binary formats of the group coordinators' and the group directory's messages, events ("E-O*", "E-G*") and
/// snapshots ("S-G", "S-GD"), written under <see cref="PlatformSerializer"/>. Manifests are part of the storage
/// format: add new ones, never rename or reuse.
/// </summary>
internal static class GroupFormats
{
    public static void AddTo(MessageFormats formats)
    {
        formats.Add<JoinGroup>("GJ", (w, m) =>
        {
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
            w.NullableActorRef(m.MemberRef);
            w.Bool(m.ServerAssignment);
        }, (ref WireReader r) =>
        {
            var (group, member, instance, type) = (r.String(), r.String(), r.NullableString(), r.String());
            var protocols = new GroupProtocol[r.Count()];
            for (var i = 0; i < protocols.Length; i++) protocols[i] = new GroupProtocol(r.String(), r.Bytes());
            var (session, rebalance, client, host, memberRef) = (r.Int32(), r.Int32(), r.String(), r.String(), r.NullableActorRef());
            return new JoinGroup(group, member, instance, type, protocols, session, rebalance, client, host, memberRef, r.Bool());
        });
        formats.Add<JoinGroupResult>("GK", (w, m) =>
        {
            w.Error(m.Error, m.ErrorMessage);
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
        });
        formats.Add<SyncGroup>("GS", (w, m) =>
        {
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
        });
        formats.Add<SyncGroupResult>("GT", (w, m) =>
        {
            w.Error(m.Error, m.ErrorMessage);
            w.NullableString(m.ProtocolName);
            w.Bytes(m.Assignment);
        }, (ref WireReader r) => new SyncGroupResult((ErrorCode)r.Int16(), r.NullableString(), r.NullableString(), r.Bytes()));
        formats.Add<Heartbeat>("GH", (w, m) =>
        {
            w.String(m.GroupId);
            w.String(m.MemberId);
            w.Int32(m.GenerationId);
            w.NullableString(m.GroupInstanceId);
        }, (ref WireReader r) => new Heartbeat(r.String(), r.String(), r.Int32(), r.NullableString()));
        formats.Add<HeartbeatResult>("GI", (w, m) => w.Error(m.Error, m.ErrorMessage),
            (ref WireReader r) => new HeartbeatResult((ErrorCode)r.Int16(), r.NullableString()));
        formats.Add<LeaveGroup>("GL", (w, m) =>
        {
            w.String(m.GroupId);
            w.String(m.MemberId);
            w.NullableString(m.GroupInstanceId);
        }, (ref WireReader r) => new LeaveGroup(r.String(), r.String(), r.NullableString()));
        formats.Add<LeaveGroupResult>("GM", (w, m) => w.Error(m.Error, m.ErrorMessage),
            (ref WireReader r) => new LeaveGroupResult((ErrorCode)r.Int16(), r.NullableString()));
        formats.Add<OffsetCommit>("GC", (w, m) =>
        {
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
        });
        formats.Add<OffsetCommitResult>("GD", (w, m) =>
        {
            w.Error(m.Error, m.ErrorMessage);
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
        });
        formats.Add<OffsetFetch>("GF", (w, m) =>
        {
            w.String(m.GroupId);
            w.Bool(m.Partitions is not null);
            if (m.Partitions is not null) w.List(m.Partitions, WriteTopicPartition);
        }, (ref WireReader r) =>
        {
            var group = r.String();
            return new OffsetFetch(group, r.Bool() ? ReadTopicPartitions(ref r) : null);
        });
        formats.Add<OffsetFetchResult>("GG", (w, m) =>
        {
            w.Error(m.Error, m.ErrorMessage);
            w.List(m.Offsets, WriteCommitted);
        }, (ref WireReader r) =>
        {
            var (error, message) = ((ErrorCode)r.Int16(), r.NullableString());
            return new OffsetFetchResult(error, message, ReadCommittedList(ref r));
        });
        formats.Add<DescribeGroup>("GN", (w, m) => w.String(m.GroupId), (ref WireReader r) => new DescribeGroup(r.String()));
        formats.Add<GroupDescription>("GO", WriteDescription, ReadDescription);
        formats.Add<DeleteGroup>("GX", (w, m) => w.String(m.GroupId), (ref WireReader r) => new DeleteGroup(r.String()));
        formats.Add<DeleteGroupResult>("GY", (w, m) => w.Error(m.Error, m.ErrorMessage),
            (ref WireReader r) => new DeleteGroupResult((ErrorCode)r.Int16(), r.NullableString()));
        // Pushed to the Akka.Remote client's members when a rebalance started; the Kafka protocol's members
        // learn of it from their next heartbeat (REBALANCE_IN_PROGRESS), and a connection's actor ignored it.
        formats.Reserve("GQ", "RebalanceStarted");
        formats.Add<ListGroups>("GA", (_, _) => { }, (ref WireReader _) => ListGroups.Instance);
        formats.Add<GroupList>("GB", (w, m) => w.List(m.GroupIds, (x, g) => x.String(g)), (ref WireReader r) => new GroupList(ReadStrings(ref r)));
        formats.Add<ListGroupStates>("GV", (w, m) => w.List(m.StatesFilter, (x, f) => x.String(f)),
            (ref WireReader r) => new ListGroupStates(ReadStrings(ref r)));
        formats.Add<ListedGroups>("GW", (w, m) => w.List(m.Groups, (x, g) =>
        {
            x.String(g.GroupId);
            x.String(g.ProtocolType);
            x.String(g.GroupState);
        }), (ref WireReader r) =>
        {
            var groups = new ListedGroup[r.Count()];
            for (var i = 0; i < groups.Length; i++) groups[i] = new ListedGroup(r.String(), r.String(), r.String());
            return new ListedGroups(groups);
        });
        formats.Add<GroupStateChanged>("GZ", (w, m) =>
        {
            w.String(m.GroupId);
            w.String(m.GroupState);
            w.String(m.ProtocolType);
        }, (ref WireReader r) => new GroupStateChanged(r.String(), r.String(), r.String()));
        formats.Add<RegisterGroup>("GR", (w, m) => w.String(m.GroupId), (ref WireReader r) => new RegisterGroup(r.String()));
        formats.Add<GroupRegistrationConfirmed>("GRC", (w, m) => w.String(m.GroupId), (ref WireReader r) => new GroupRegistrationConfirmed(r.String()));
        formats.Add<UnregisterGroup>("GU", (w, m) => w.String(m.GroupId), (ref WireReader r) => new UnregisterGroup(r.String()));

        formats.Add<OffsetsCommitted>("E-OC", (w, m) => w.List(m.Offsets, WriteCommitted), (ref WireReader r) => new OffsetsCommitted(ReadCommittedList(ref r)));
        formats.Add<OffsetsRemoved>("E-OR", (w, m) => w.List(m.Partitions, WriteTopicPartition),
            (ref WireReader r) => new OffsetsRemoved(ReadTopicPartitions(ref r)));
        formats.Add<CoordinatorFenced>("E-GF", (w, m) =>
        {
            w.String(m.Node);
            w.Int64(m.AtMs);
        }, (ref WireReader r) => new CoordinatorFenced(r.String(), r.Int64()));
        formats.Add<GroupSnapshot>("S-G", (w, m) =>
        {
            w.List(m.Offsets, WriteCommitted);
            w.Int64(m.EmptySinceMs);
        }, (ref WireReader r) => new GroupSnapshot(ReadCommittedList(ref r), r.Int64()));
        formats.Add<GroupRegistered>("E-GR", (w, m) => w.String(m.GroupId), (ref WireReader r) => new GroupRegistered(r.String()));
        formats.Add<GroupUnregistered>("E-GU", (w, m) => w.String(m.GroupId), (ref WireReader r) => new GroupUnregistered(r.String()));
        formats.Add<GroupDirectorySnapshot>("S-GD", (w, m) => w.List(m.GroupIds, (x, g) => x.String(g)),
            (ref WireReader r) => new GroupDirectorySnapshot(ReadStrings(ref r)));
    }

    private static void WriteDescription(WireWriter w, GroupDescription m)
    {
        w.String(m.GroupId);
        w.Error(m.Error, m.ErrorMessage);
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
            x.List(d.Assignment, WriteTopicPartition);
        });
        // Added later, after the members, so that either side reads the other's format.
        w.List(m.Members, (x, d) =>
        {
            x.Bytes(d.MemberMetadata);
            x.Bytes(d.MemberAssignment);
        });
    }

    private static GroupDescription ReadDescription(ref WireReader r)
    {
        var (group, error, message, state, type, name, generation) =
            (r.String(), (ErrorCode)r.Int16(), r.NullableString(), r.String(), r.String(), r.String(), r.Int32());
        var members = new GroupMemberDescription[r.Count()];
        for (var i = 0; i < members.Length; i++)
            members[i] = new GroupMemberDescription(r.String(), r.NullableString(), r.String(), r.String(), ReadTopicPartitions(ref r), [], []);
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
    }

    private static string[] ReadStrings(ref WireReader r)
    {
        var strings = new string[r.Count()];
        for (var i = 0; i < strings.Length; i++) strings[i] = r.String();
        return strings;
    }

    private static void WriteTopicPartition(WireWriter w, TopicPartition tp)
    {
        w.String(tp.Topic);
        w.Int32(tp.Partition);
    }

    private static TopicPartition[] ReadTopicPartitions(ref WireReader r)
    {
        var list = new TopicPartition[r.Count()];
        for (var i = 0; i < list.Length; i++) list[i] = new TopicPartition(r.String(), r.Int32());
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
}
