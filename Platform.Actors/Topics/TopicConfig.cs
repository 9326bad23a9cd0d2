using System.Globalization;

namespace Platform.Actors.Topics;

/// <summary>
/// The per-topic settings Platform honours, under Kafka's names. Values not given at creation come from
/// <c>platform.topic-defaults</c>, and the resolved values are stored with the topic, so that changing a
/// node's defaults later never silently changes an existing topic. The message timestamp settings are
/// overrides instead, as in Kafka: a topic that does not set one follows the node's
/// message timestamp settings under <c>platform.partition</c> (Kafka's <c>log.message.timestamp.*</c>), so a topic stored
/// before they existed keeps the behaviour it had.
/// </summary>
internal sealed record TopicConfig(long RetentionMs, long RetentionBytes, int MaxMessageBytes, string CleanupPolicy)
{
    public const string RetentionMsKey = "retention.ms";
    public const string RetentionBytesKey = "retention.bytes";
    public const string MaxMessageBytesKey = "max.message.bytes";
    public const string CleanupPolicyKey = "cleanup.policy";
    public const string MessageTimestampTypeKey = "message.timestamp.type";
    public const string MessageTimestampBeforeMaxMsKey = "message.timestamp.before.max.ms";
    public const string MessageTimestampAfterMaxMsKey = "message.timestamp.after.max.ms";

    public const string CreateTime = "CreateTime";
    public const string LogAppendTime = "LogAppendTime";

    /// <summary>Keys every topic holds a value for.</summary>
    public static readonly IReadOnlyList<string> ValueKeys = [RetentionMsKey, RetentionBytesKey, MaxMessageBytesKey, CleanupPolicyKey];

    /// <summary>Keys a topic may override; unset, the node's setting applies.</summary>
    public static readonly IReadOnlyList<string> OverrideKeys = [MessageTimestampTypeKey, MessageTimestampBeforeMaxMsKey, MessageTimestampAfterMaxMsKey];

    public static readonly IReadOnlyList<string> Keys = [.. ValueKeys, .. OverrideKeys];

    /// <summary>Kafka's message.timestamp.type for this topic, or null for the node's.</summary>
    public string? MessageTimestampType { get; init; }

    /// <summary>Kafka's message.timestamp.before.max.ms for this topic, or null for the node's.</summary>
    public long? MessageTimestampBeforeMaxMs { get; init; }

    /// <summary>Kafka's message.timestamp.after.max.ms for this topic, or null for the node's.</summary>
    public long? MessageTimestampAfterMaxMs { get; init; }

    /// <summary>Whether a key holds a comma-separated list (Kafka's ConfigDef.Type.LIST), which APPEND and SUBTRACT apply to.</summary>
    public static bool IsList(string key) => key == CleanupPolicyKey;

    /// <summary>
    /// Applies user-supplied overrides; any unknown key or a value outside its range is an InvalidConfig error,
    /// never silently ignored.
    /// </summary>
    /// <param name="maxMessageBytesLimit">The largest max.message.bytes a topic may have: a batch must fit in a request
    /// frame (<c>platform.kafka.socket-request-max-bytes</c>), or no client could ever produce it.</param>
    public static (TopicConfig? Config, string? Error) Parse(IReadOnlyDictionary<string, string> overrides, TopicConfig defaults, int maxMessageBytesLimit)
    {
        var config = defaults;
        foreach (var (key, raw) in overrides)
        {
            switch (key)
            {
                case RetentionMsKey:
                    if (!TryLong(raw, -1, out var ms))
                        return (null, Invalid(key, raw, "-1 (unlimited) or a non-negative number of milliseconds"));
                    config = config with { RetentionMs = ms };
                    break;
                case RetentionBytesKey:
                    if (!TryLong(raw, -1, out var bytes))
                        return (null, Invalid(key, raw, "-1 (unlimited) or a non-negative number of bytes"));
                    config = config with { RetentionBytes = bytes };
                    break;
                case MaxMessageBytesKey:
                    if (!int.TryParse(raw, NumberStyles.Integer, CultureInfo.InvariantCulture, out var max) || max < 1 || max > maxMessageBytesLimit)
                        return (null, Invalid(key, raw,
                            $"a number of bytes from 1 to {maxMessageBytesLimit} (a batch must fit in a request frame: platform.kafka.socket-request-max-bytes)"));
                    config = config with { MaxMessageBytes = max };
                    break;
                case CleanupPolicyKey:
                    if (raw != "delete")
                        return (null, Invalid(key, raw, "'delete', the only policy supported ('compact' is not)"));
                    config = config with { CleanupPolicy = raw };
                    break;
                case MessageTimestampTypeKey:
                    if (raw is not (CreateTime or LogAppendTime))
                        return (null, Invalid(key, raw, $"{CreateTime} or {LogAppendTime}"));
                    config = config with { MessageTimestampType = raw };
                    break;
                case MessageTimestampBeforeMaxMsKey:
                    if (!TryLong(raw, 0, out var before))
                        return (null, Invalid(key, raw, "a non-negative number of milliseconds"));
                    config = config with { MessageTimestampBeforeMaxMs = before };
                    break;
                case MessageTimestampAfterMaxMsKey:
                    if (!TryLong(raw, 0, out var after))
                        return (null, Invalid(key, raw, "a non-negative number of milliseconds"));
                    config = config with { MessageTimestampAfterMaxMs = after };
                    break;
                default:
                    return (null, $"Unknown topic config '{key}' (supported: {string.Join(", ", Keys)})");
            }
        }
        return (config, null);
    }

    private static bool TryLong(string raw, long least, out long value) =>
        long.TryParse(raw, NumberStyles.Integer, CultureInfo.InvariantCulture, out value) && value >= least;

    private static string Invalid(string key, string raw, string expected) => $"Invalid value '{raw}' for {key}: expected {expected}";

    /// <summary>Every key with a value: all <see cref="ValueKeys"/>, and the <see cref="OverrideKeys"/> the topic sets.</summary>
    public IReadOnlyDictionary<string, string> ToDictionary()
    {
        var values = new Dictionary<string, string>
        {
            [RetentionMsKey] = RetentionMs.ToString(CultureInfo.InvariantCulture),
            [RetentionBytesKey] = RetentionBytes.ToString(CultureInfo.InvariantCulture),
            [MaxMessageBytesKey] = MaxMessageBytes.ToString(CultureInfo.InvariantCulture),
            [CleanupPolicyKey] = CleanupPolicy,
        };
        foreach (var (key, value) in Overrides()) values[key] = value;
        return values;
    }

    /// <summary>The <see cref="OverrideKeys"/> this topic sets, with their values.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Overrides()
    {
        var overrides = new List<KeyValuePair<string, string>>();
        if (MessageTimestampType is { } type) overrides.Add(new(MessageTimestampTypeKey, type));
        if (MessageTimestampBeforeMaxMs is { } before) overrides.Add(new(MessageTimestampBeforeMaxMsKey, before.ToString(CultureInfo.InvariantCulture)));
        if (MessageTimestampAfterMaxMs is { } after) overrides.Add(new(MessageTimestampAfterMaxMsKey, after.ToString(CultureInfo.InvariantCulture)));
        return overrides;
    }

    /// <summary>
    /// This config with stored overrides applied (as <see cref="Overrides"/> wrote them). A key this version does
    /// not know, written by a newer node, is skipped: the node then applies its own setting, as before the key existed.
    /// </summary>
    public TopicConfig WithStoredOverrides(IEnumerable<KeyValuePair<string, string>> overrides)
    {
        var config = this;
        foreach (var (key, value) in overrides)
        {
            if (!OverrideKeys.Contains(key)) continue;
            var (parsed, _) = Parse(new Dictionary<string, string> { [key] = value }, config, int.MaxValue);
            config = parsed ?? config;
        }
        return config;
    }
}
