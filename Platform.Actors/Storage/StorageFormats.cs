using Platform.Actors.Serialization;

namespace Platform.Actors.Storage;

/// <summary>
/// Binary formats of the cluster identity's messages ("CI", "CJ") and event ("E-CI"), written under
/// <see cref="PlatformSerializer"/>. Manifests are part of the storage format: add new ones, never rename or reuse.
/// </summary>
internal static class StorageFormats
{
    public static void AddTo(MessageFormats formats)
    {
        formats.Add<GetClusterId>("CI", (_, _) => { }, (ref WireReader _) => GetClusterId.Instance);
        formats.Add<ClusterIdIs>("CJ", (w, m) => w.NullableString(m.ClusterId), (ref WireReader r) => new ClusterIdIs(r.NullableString()));
        formats.Add<ClusterIdCreated>("E-CI", (w, m) => w.String(m.ClusterId), (ref WireReader r) => new ClusterIdCreated(r.String()));
    }
}
