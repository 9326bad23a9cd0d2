using Platform.Actors.Serialization;

namespace Platform.Actors.Health;

/// <summary>
/// Binary format of the storage probe's journal event, written under <see cref="PlatformSerializer"/>.
/// Manifests are part of the storage format: add new ones, never rename or reuse.
/// </summary>
internal static class HealthFormats
{
    public static void AddTo(MessageFormats formats) =>
        formats.Add<StorageProbed>("E-HP", (w, m) => w.Int64(m.TimestampMs), (ref WireReader r) => new StorageProbed(r.Int64()));
}
