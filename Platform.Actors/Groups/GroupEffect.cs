using Platform.Actors.Serialization;

namespace Platform.Actors.Groups;

/// <summary>What the coordinator actor must do after the state machine decided: reply, or (un)watch a member.</summary>
public abstract record GroupEffect;

public sealed record ReplyTo(object Target, IPlatformMessage Message) : GroupEffect;

public sealed record WatchMember(object Ref) : GroupEffect;

public sealed record UnwatchMember(object Ref) : GroupEffect;
