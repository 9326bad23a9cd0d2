using System.Globalization;

namespace Platform.Actors.Topics;

/// <summary>
/// The per-topic settings Platform honours, under Kafka's names. Values not given at creation come from
/// <c>platform.topic-defaults</c>, and the resolved values are stored with the topic, so that changing a
/// node's defaults later never silently changes an existing topic.
/// </summary>
internal sealed record TopicConfig(long RetentionMs, long RetentionBytes, int MaxMessageBytes, string CleanupPolicy)
{
    public const string RetentionMsKey = "retention.ms";
    public const string RetentionBytesKey = "retention.bytes";
    public const string MaxMessageBytesKey = "max.message.bytes";
    public const string CleanupPolicyKey = "cleanup.policy";

    public static readonly IReadOnlyList<string> Keys = [RetentionMsKey, RetentionBytesKey, MaxMessageBytesKey, CleanupPolicyKey];

    /// <summary>Whether a key holds a comma-separated list (Kafka's ConfigDef.Type.LIST), which APPEND and SUBTRACT apply to.</summary>
    public static bool IsList(string key) => key == CleanupPolicyKey;

    /// <summary>
    /// Applies user-supplied overrides; any unknown key or unparsable value is an InvalidConfig error,
    /// never silently ignored.
    /// </summary>
    public static (TopicConfig? Config, string? Error) Parse(IReadOnlyDictionary<string, string> overrides, TopicConfig defaults)
    {
        var config = defaults;
        foreach (var (key, raw) in overrides)
        {
            switch (key)
            {
                case RetentionMsKey:
                    if (!long.TryParse(raw, NumberStyles.Integer, CultureInfo.InvariantCulture, out var ms) || ms < -1)
                        return (null, $"Invalid value '{raw}' for {key}: expected -1 (unlimited) or a non-negative number of milliseconds");
                    config = config with { RetentionMs = ms };
                    break;
                case RetentionBytesKey:
                    if (!long.TryParse(raw, NumberStyles.Integer, CultureInfo.InvariantCulture, out var bytes) || bytes < -1)
                        return (null, $"Invalid value '{raw}' for {key}: expected -1 (unlimited) or a non-negative number of bytes");
                    config = config with { RetentionBytes = bytes };
                    break;
                case MaxMessageBytesKey:
                    if (!int.TryParse(raw, NumberStyles.Integer, CultureInfo.InvariantCulture, out var max) || max < 0)
                        return (null, $"Invalid value '{raw}' for {key}: expected a non-negative number of bytes");
                    config = config with { MaxMessageBytes = max };
                    break;
                case CleanupPolicyKey:
                    if (raw != "delete")
                        return (null, $"Invalid value '{raw}' for {key}: only 'delete' is supported");
                    config = config with { CleanupPolicy = raw };
                    break;
                default:
                    return (null, $"Unknown topic config '{key}' (supported: {string.Join(", ", Keys)})");
            }
        }
        return (config, null);
    }

    public IReadOnlyDictionary<string, string> ToDictionary() => new Dictionary<string, string>
    {
        [RetentionMsKey] = RetentionMs.ToString(CultureInfo.InvariantCulture),
        [RetentionBytesKey] = RetentionBytes.ToString(CultureInfo.InvariantCulture),
        [MaxMessageBytesKey] = MaxMessageBytes.ToString(CultureInfo.InvariantCulture),
        [CleanupPolicyKey] = CleanupPolicy,
    };
}
