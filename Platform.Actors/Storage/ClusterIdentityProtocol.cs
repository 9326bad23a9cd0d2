using Platform.Actors.Serialization;

namespace Platform.Actors.Storage;

// Messages and the journal event of the cluster identity (see ClusterIdentity). GetClusterId and its answer cross
// the network: a starting node asks its seeds before it joins them.

/// <summary>Asks a node's cluster identity for the cluster id its journal holds.</summary>
internal sealed record GetClusterId : IPlatformMessage
{
    public static readonly GetClusterId Instance = new();
}

/// <summary>The cluster id the answering node's journal holds; null until it has read or written it.</summary>
internal sealed record ClusterIdIs(string? ClusterId) : IPlatformMessage;

/// <summary>Journal event: the first node on this journal chose <paramref name="ClusterId"/>. Written once; the first one stored wins.</summary>
internal sealed record ClusterIdCreated(string ClusterId) : IPlatformMessage;
