namespace Platform.Actors.Groups.Assignors;

/// <summary>The server-side assignors by Kafka protocol name.</summary>
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
