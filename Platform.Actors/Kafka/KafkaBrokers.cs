using System.Globalization;
using System.Text;
using Akka.Actor;
using Akka.Cluster;

namespace Platform.Actors.Kafka;

/// <summary>One broker as Kafka clients see it: a stable node id and the address they connect to.</summary>
internal sealed record KafkaBroker(int NodeId, string Host, int Port, Address Member);

/// <summary>
/// The cluster's members as Kafka brokers. Each node announces its advertised Kafka endpoint as a cluster
/// role (<c>kafka=host:port</c>), so membership gossip doubles as Kafka's broker registration and every node
/// answers Metadata for the whole cluster with the same ids. A node id is derived from the member's
/// address (FNV-1a), the same on every node and across restarts on that address, because clients cache ids.
/// </summary>
internal sealed class KafkaBrokers(Cluster cluster)
{
    public const string RolePrefix = "kafka=";

    public static string Role(string host, int port) => string.Create(CultureInfo.InvariantCulture, $"{RolePrefix}{host}:{port}");

    public static int NodeId(Address address) => NodeId($"{address.Host}:{address.Port}");

    /// <summary>The node id of the member whose cluster address is <paramref name="hostPort"/>.</summary>
    public static int NodeId(string hostPort)
    {
        var hash = 2166136261u;
        foreach (var b in Encoding.UTF8.GetBytes(hostPort))
        {
            hash ^= b;
            hash *= 16777619u;
        }
        return (int)(hash & 0x7fffffff);
    }

    public int SelfNodeId => NodeId(cluster.SelfAddress);

    /// <summary>Reachable Up members that serve Kafka clients, ordered by node id (the same list on every node).</summary>
    public IReadOnlyList<KafkaBroker> Current()
    {
        var brokers = new List<KafkaBroker>();
        var state = cluster.State;
        foreach (var member in state.Members)
        {
            // An unreachable member is left out at once: clients then send its partitions' requests to a live
            // node, which forwards them through sharding once the member is downed and its shards have moved.
            // So is a leaving one: its Kafka listener closes first thing in its shutdown, and it turns Leaving
            // only after its shards were handed off; named as a leader then, it only cost clients refused
            // connections until the next placement refresh (part of a rolling restart's pause).
            if (member.Address != cluster.SelfAddress &&
                (member.Status != MemberStatus.Up || state.Unreachable.Contains(member))) continue;
            if (FromMember(member) is { } broker) brokers.Add(broker);
        }
        if (brokers.All(b => b.Member != cluster.SelfAddress) && FromMember(cluster.SelfMember) is { } self) brokers.Add(self);
        brokers.Sort((a, b) => a.NodeId.CompareTo(b.NodeId));
        return brokers;
    }

    /// <summary>The node id of the member at <paramref name="address"/>, or this node's when unknown.</summary>
    public int NodeIdOf(Address? address) => address is null ? SelfNodeId : NodeId(address);

    /// <summary>The cluster's leader stands in for Kafka's controller; any member would do for clients.</summary>
    public int ControllerId => cluster.State.Leader is { } leader ? NodeId(leader) : SelfNodeId;

    private static KafkaBroker? FromMember(Member member)
    {
        foreach (var role in member.Roles)
        {
            if (!role.StartsWith(RolePrefix, StringComparison.Ordinal)) continue;
            var endpoint = role[RolePrefix.Length..];
            var colon = endpoint.LastIndexOf(':');
            if (colon <= 0 || !int.TryParse(endpoint[(colon + 1)..], NumberStyles.Integer, CultureInfo.InvariantCulture, out var port)) continue;
            return new KafkaBroker(NodeId(member.Address), endpoint[..colon], port, member.Address);
        }
        return null;
    }
}
