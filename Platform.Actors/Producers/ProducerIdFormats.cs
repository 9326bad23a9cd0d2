using Platform.Actors.Serialization;

namespace Platform.Actors.Producers;

/// <summary>
/// Binary formats of the producer id allocator's messages, event ("E-IB") and snapshot ("S-I"), written under
/// <see cref="PlatformSerializer"/>. Manifests are part of the storage format: add new ones, never rename or reuse.
/// </summary>
internal static class ProducerIdFormats
{
    public static void AddTo(MessageFormats formats)
    {
        formats.Add<AllocateProducerId>("IA", (_, _) => { }, (ref WireReader _) => AllocateProducerId.Instance);
        formats.Add<ProducerIdAllocated>("IB", (w, m) =>
        {
            w.Error(m.Error, m.ErrorMessage);
            w.Int64(m.ProducerId);
            w.Int16(m.ProducerEpoch);
        }, (ref WireReader r) => new ProducerIdAllocated((ErrorCode)r.Int16(), r.NullableString(), r.Int64(), r.Int16()));
        formats.Add<GetProducerIdBound>("IC", (_, _) => { }, (ref WireReader _) => GetProducerIdBound.Instance);
        formats.Add<ProducerIdBound>("ID", (w, m) => w.Int64(m.HandedOutUpTo), (ref WireReader r) => new ProducerIdBound(r.Int64()));
        formats.Add<ProducerIdBlockReserved>("E-IB", (w, m) =>
        {
            w.Int64(m.FirstProducerId);
            w.Int64(m.EndProducerId);
        }, (ref WireReader r) => new ProducerIdBlockReserved(r.Int64(), r.Int64()));
        formats.Add<ProducerIdAllocatorSnapshot>("S-I", (w, m) => w.Int64(m.ReservedUpTo), (ref WireReader r) => new ProducerIdAllocatorSnapshot(r.Int64()));
    }
}
