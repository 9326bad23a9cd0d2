using System.Collections.Immutable;
using Akka.Actor;
using Akka.Persistence;

namespace Platform.Actors.Groups;

/// <summary>
/// Which groups exist, for <c>groups list</c>: coordinators are sharded entities that only run while used,
/// so a persistent singleton keeps their names. Coordinators register on their first member or commit and
/// unregister when deleted.
/// </summary>
public sealed class GroupDirectory : ReceivePersistentActor
{
    private ImmutableSortedSet<string> _groups = ImmutableSortedSet.Create<string>(StringComparer.Ordinal);

    public GroupDirectory()
    {
        Recover<SnapshotOffer>(o =>
        {
            if (o.Snapshot is GroupDirectorySnapshot s) _groups = s.GroupIds.ToImmutableSortedSet(StringComparer.Ordinal);
        });
        Recover<GroupRegistered>(e => _groups = _groups.Add(e.GroupId));
        Recover<GroupUnregistered>(e => _groups = _groups.Remove(e.GroupId));

        Command<RegisterGroup>(r =>
        {
            if (!_groups.Contains(r.GroupId)) Persist(new GroupRegistered(r.GroupId), e => Applied(_groups.Add(e.GroupId)));
        });
        Command<UnregisterGroup>(r =>
        {
            if (_groups.Contains(r.GroupId)) Persist(new GroupUnregistered(r.GroupId), e => Applied(_groups.Remove(e.GroupId)));
        });
        Command<ListGroups>(_ => Sender.Tell(new GroupList(_groups.ToList())));
        Command<SaveSnapshotSuccess>(s => DeleteSnapshots(new SnapshotSelectionCriteria(s.Metadata.SequenceNr - 1)));
        Command<SaveSnapshotFailure>(_ => { });
        Command<DeleteSnapshotsSuccess>(_ => { });
        Command<DeleteSnapshotsFailure>(_ => { });
    }

    // "groups" cannot collide with a coordinator's "group-<id>".
    public override string PersistenceId => "groups";

    public static Props Props() => Akka.Actor.Props.Create(() => new GroupDirectory());

    private void Applied(ImmutableSortedSet<string> groups)
    {
        _groups = groups;
        if (LastSequenceNr % 500 == 0) SaveSnapshot(new GroupDirectorySnapshot(_groups.ToList()));
    }
}
