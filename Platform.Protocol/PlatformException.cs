namespace Platform.Protocol;

/// <summary>
/// A request that the broker answered with a Kafka error code. Clients throw it so that callers can
/// branch on <see cref="Code"/> rather than parse messages.
/// </summary>
public sealed class PlatformException(ErrorCode code, string message) : Exception($"{code}: {message}")
{
    public ErrorCode Code { get; } = code;

    /// <summary>The broker's explanation without the code prefix.</summary>
    public string Reason { get; } = message;
}
