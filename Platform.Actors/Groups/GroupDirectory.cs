using System.Collections.Immutable;
using Akka.Actor;
using Akka.Persistence;

namespace Platform.Actors.Groups;

/// <summary>
/// Which groups exist, for <c>groups list</c> and Kafka's ListGroups: coordinators are sharded entities that
/// only run while used, so a persistent singleton keeps their names. Coordinators register on their first
/// member or commit and unregister when deleted. Their state and protocol type are kept in memory only,
/// as the coordinators report them; the directory watches each reporting coordinator, and a coordinator that
/// stops (passivated, or its node gone) takes its members with it, so its group shows as Empty again.
/// It is also the gate for every group request that must not create a group (see <see cref="GroupRouter"/>):
/// it forwards those for a group it knows to the group shard region and answers the others itself.
/// A coordinator registers before it answers the join or commit that created its group, so a member's
/// next request finds it here (the registration crosses one hop, the member's next request at least two).
/// </summary>
internal sealed class GroupDirectory : ReceivePersistentActor
{
    private static readonly (string State, string ProtocolType) Unreported = (nameof(GroupStateName.Empty), "");

    private ImmutableSortedSet<string> _groups = ImmutableSortedSet.Create<string>(StringComparer.Ordinal);
    private readonly Dictionary<string, (string State, string ProtocolType)> _states = new();
    private readonly Dictionary<IActorRef, string> _coordinators = new();

    private readonly IActorRef _groupRegion;

    public GroupDirectory(IActorRef groupRegion)
    {
        _groupRegion = groupRegion;
        Recover<SnapshotOffer>(o =>
        {
            if (o.Snapshot is GroupDirectorySnapshot s) _groups = s.GroupIds.ToImmutableSortedSet(StringComparer.Ordinal);
        });
        Recover<GroupRegistered>(e => _groups = _groups.Add(e.GroupId));
        Recover<GroupUnregistered>(e => _groups = _groups.Remove(e.GroupId));

        Command<RegisterGroup>(r =>
        {
            var confirmTo = Sender;
            if (_groups.Contains(r.GroupId))
            {
                confirmTo.Tell(new GroupRegistrationConfirmed(r.GroupId));
                return;
            }
            Persist(new GroupRegistered(r.GroupId), e =>
            {
                Applied(_groups.Add(e.GroupId));
                confirmTo.Tell(new GroupRegistrationConfirmed(e.GroupId));
            });
        });
        Command<UnregisterGroup>(r =>
        {
            if (_groups.Contains(r.GroupId)) Persist(new GroupUnregistered(r.GroupId), e => Applied(_groups.Remove(e.GroupId)));
            _states.Remove(r.GroupId);
        });
        Command<GroupStateChanged>(changed =>
        {
            if (!_groups.Contains(changed.GroupId)) return;
            // Protocol type survives the coordinator (Kafka keeps it for an empty group with offsets).
            _states[changed.GroupId] = (changed.GroupState, changed.ProtocolType);
            if (_coordinators.TryAdd(Sender, changed.GroupId)) Context.Watch(Sender);
        });
        Command<Terminated>(t =>
        {
            // A newer incarnation of the coordinator may have reported already.
            if (!_coordinators.Remove(t.ActorRef, out var groupId) || _coordinators.ContainsValue(groupId)) return;
            if (_states.TryGetValue(groupId, out var last)) _states[groupId] = (nameof(GroupStateName.Empty), last.ProtocolType);
        });
        Command<IGroupMessage>(request =>
        {
            if (_groups.Contains(request.GroupId)) _groupRegion.Forward(request);
            else Sender.Tell(GroupReplies.Absent(request));
        });
        Command<ListGroups>(_ => Sender.Tell(new GroupList(_groups.ToList())));
        Command<ListGroupStates>(list => Sender.Tell(new ListedGroups(_groups
            .Select(g => (Id: g, Status: _states.GetValueOrDefault(g, Unreported)))
            .Where(g => list.StatesFilter.Count == 0 || list.StatesFilter.Contains(g.Status.State, StringComparer.OrdinalIgnoreCase))
            .Select(g => new ListedGroup(g.Id, g.Status.ProtocolType, g.Status.State))
            .ToList())));
        Command<SaveSnapshotSuccess>(s => DeleteSnapshots(new SnapshotSelectionCriteria(s.Metadata.SequenceNr - 1)));
        Command<SaveSnapshotFailure>(_ => { });
        Command<DeleteSnapshotsSuccess>(_ => { });
        Command<DeleteSnapshotsFailure>(_ => { });
    }

    // "groups" cannot collide with a coordinator's "group-<id>".
    public override string PersistenceId => "groups";

    /// <param name="groupRegion">The group shard region, where requests for known groups go on.</param>
    public static Props Props(IActorRef groupRegion) => Akka.Actor.Props.Create(() => new GroupDirectory(groupRegion));

    private void Applied(ImmutableSortedSet<string> groups)
    {
        _groups = groups;
        if (LastSequenceNr % 500 == 0) SaveSnapshot(new GroupDirectorySnapshot(_groups.ToList()));
    }
}
