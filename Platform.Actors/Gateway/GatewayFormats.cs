using Platform.Actors.Serialization;

namespace Platform.Actors.Gateway;

/// <summary>
/// Binary formats of the gateway's cluster status messages, written under <see cref="PlatformSerializer"/>.
/// Manifests are part of the storage format: add new ones, never rename or reuse.
/// </summary>
internal static class GatewayFormats
{
    public static void AddTo(MessageFormats formats)
    {
        formats.Add<GetClusterStatus>("NC", (_, _) => { }, (ref WireReader _) => GetClusterStatus.Instance);
        formats.Add<ClusterStatus>("ND", (w, m) =>
        {
            w.String(m.Leader);
            w.List(m.Members, (x, c) =>
            {
                x.String(c.Address);
                x.String(c.Status);
                x.List(c.Roles, (y, role) => y.String(role));
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
        });
        // Retired with the Akka.Remote client, which alone sent them: the Kafka protocol's clients learn of a
        // member leaving from their broken connection, and `bench` no longer asks a node for its memory.
        formats.Reserve("NM", "SubscribeMembership");
        formats.Reserve("NL", "MemberLeft");
        formats.Reserve("NS", "GetNodeStats");
        formats.Reserve("NT", "NodeStats");
    }
}
