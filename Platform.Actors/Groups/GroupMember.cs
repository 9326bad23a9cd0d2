namespace Platform.Actors.Groups;

/// <summary>
/// A member as the coordinator tracks it. Reply handles (<see cref="PendingJoin"/>, <see cref="PendingSync"/>)
/// and <see cref="Ref"/> are opaque to the state machine: the actor puts IActorRefs there, specs plain objects.
/// </summary>
internal sealed class GroupMember(string memberId, JoinGroup join)
{
    public string MemberId { get; set; } = memberId;
    public string? GroupInstanceId { get; } = join.GroupInstanceId;
    public string ClientId { get; set; } = join.ClientId;
    public string ClientHost { get; set; } = join.ClientHost;
    public int SessionTimeoutMs { get; set; } = join.SessionTimeoutMs;
    public int RebalanceTimeoutMs { get; set; } = join.RebalanceTimeoutMs;
    public IReadOnlyList<GroupProtocol> Protocols { get; set; } = join.Protocols;
    public bool ServerAssignment { get; set; } = join.ServerAssignment;
    public object? Ref { get; set; } = join.MemberRef;
    public byte[] Assignment { get; set; } = [];
    public long LastHeartbeatMs { get; set; }
    public object? PendingJoin { get; set; }
    public object? PendingSync { get; set; }

    public byte[] MetadataFor(string protocol) => Protocols.First(p => p.Name == protocol).Metadata;

    public bool SameProtocols(IReadOnlyList<GroupProtocol> other) =>
        Protocols.Count == other.Count && Protocols.Zip(other).All(p => p.Item1.Name == p.Item2.Name && p.Item1.Metadata.AsSpan().SequenceEqual(p.Item2.Metadata));
}
