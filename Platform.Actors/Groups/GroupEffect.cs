using Platform.Actors.Serialization;

namespace Platform.Actors.Groups;

/// <summary>What the coordinator actor must do after the state machine decided: reply, or (un)watch a member.</summary>
internal abstract record GroupEffect;

internal sealed record ReplyTo(object Target, IPlatformMessage Message) : GroupEffect;

internal sealed record WatchMember(object Ref) : GroupEffect;

internal sealed record UnwatchMember(object Ref) : GroupEffect;
