namespace Platform.Client;

/// <summary>
/// Where <see cref="PlatformAdmin.PlanOffsetResetAsync"/> moves a group's committed offsets, as
/// kafka-consumer-groups.sh --reset-offsets names the choices. One type for the CLI and the web console, so
/// both compute the same plan.
/// </summary>
public abstract record OffsetResetTarget
{
    private OffsetResetTarget() { }

    public static OffsetResetTarget Earliest { get; } = new ToEarliest();

    public static OffsetResetTarget Latest { get; } = new ToLatest();

    public static OffsetResetTarget Offset(long offset) => new ToOffset(offset);

    public static OffsetResetTarget Time(DateTimeOffset time) => new ToTime(time);

    public static OffsetResetTarget Shift(long by) => new ShiftBy(by);

    internal sealed record ToEarliest : OffsetResetTarget;

    internal sealed record ToLatest : OffsetResetTarget;

    internal sealed record ToOffset(long Value) : OffsetResetTarget;

    internal sealed record ToTime(DateTimeOffset Value) : OffsetResetTarget;

    internal sealed record ShiftBy(long Value) : OffsetResetTarget;
}
