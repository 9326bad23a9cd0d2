namespace Platform.Protocol.Groups;

/// <summary>The assignors by Kafka protocol name: what a group leader runs.</summary>
public static class PartitionAssignors
{
    public static IReadOnlyList<string> Names { get; } = ["range", "roundrobin", "sticky"];

    public static IPartitionAssignor? Find(string name) => name switch
    {
        "range" => new RangeAssignor(),
        "roundrobin" => new RoundRobinAssignor(),
        "sticky" => new StickyAssignor(),
        _ => null,
    };
}
