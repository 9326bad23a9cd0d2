using Platform.Actors.Serialization;

namespace Platform.Actors.Gateway;

/// <summary>Asks a node for its process figures; the benchmark reports the node's peak memory from it.</summary>
public sealed record GetNodeStats : IPlatformMessage
{
    public static readonly GetNodeStats Instance = new();
}

public sealed record NodeStats(string Address, long WorkingSetBytes, long PeakWorkingSetBytes, long ManagedHeapBytes, long TailCacheBytes) : IPlatformMessage;
