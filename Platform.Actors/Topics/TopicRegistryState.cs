using System.Collections.Immutable;

namespace Platform.Actors.Topics;

/// <summary>
/// The registry's logic without an actor: decide whether a command is valid and which event records it,
/// and apply events. The actor only persists what <c>Decide</c> returns, so these rules are unit-tested
/// directly.
/// </summary>
internal sealed class TopicRegistryState
{
    public static readonly TopicRegistryState Empty = new(ImmutableSortedDictionary.Create<string, TopicInfo>(StringComparer.Ordinal));

    private TopicRegistryState(ImmutableSortedDictionary<string, TopicInfo> byName) => ByName = byName;

    public ImmutableSortedDictionary<string, TopicInfo> ByName { get; }

    public IEnumerable<TopicInfo> Topics => ByName.Values;

    public TopicInfo? Find(string name) => ByName.GetValueOrDefault(name);

    public TopicInfo? FindById(Guid id) => ByName.Values.FirstOrDefault(t => t.TopicId == id);

    /// <summary>
    /// A result of deciding: either an event to persist or a Kafka error explaining the refusal.
    /// </summary>
    public readonly record struct Decision(object? Event, ErrorCode Error, string? Message)
    {
        public static Decision Accept(object @event) => new(@event, ErrorCode.None, null);
        public static Decision Reject(ErrorCode error, string message) => new(null, error, message);
    }

    /// <summary>Partitions of every topic together, which <see cref="TopicLimits.MaxPartitions"/> bounds.</summary>
    public long PartitionCount => ByName.Values.Sum(t => (long)t.PartitionCount);

    /// <summary>
    /// An existing topic whose name differs from <paramref name="name"/> only in '.' against '_'. Kafka refuses such a
    /// pair because its metric names replace '.' by '_', so the two would report as one.
    /// </summary>
    public TopicInfo? Colliding(string name)
    {
        if (!name.Contains('.') && !name.Contains('_')) return null;
        var unified = name.Replace('.', '_');
        return ByName.Values.FirstOrDefault(t => t.Name != name && t.Name.Replace('.', '_') == unified);
    }

    public Decision Decide(CreateTopic command, TopicConfig defaults, Guid newId, TopicLimits limits)
    {
        if (TopicNames.Validate(command.Name) is { } invalid)
            return Decision.Reject(ErrorCode.InvalidTopicException, invalid);
        if (ByName.ContainsKey(command.Name))
            return Decision.Reject(ErrorCode.TopicAlreadyExists, $"Topic '{command.Name}' already exists");
        // Kafka's controller words it so (ReplicationControlManager), after the name itself and before anything else.
        if (Colliding(command.Name) is { } colliding)
            return Decision.Reject(ErrorCode.InvalidTopicException, $"Topic '{command.Name}' collides with existing topic: {colliding.Name}");
        if (command.Partitions < 1)
            return Decision.Reject(ErrorCode.InvalidPartitions, $"Number of partitions must be at least 1, got {command.Partitions}");
        if (command.Partitions > limits.MaxPartitionsPerTopic)
            return TooManyPartitionsPerTopic(command.Partitions, limits);
        if (ByName.Count >= limits.MaxTopics)
            return Decision.Reject(ErrorCode.PolicyViolation,
                $"The cluster has {ByName.Count} topics, its limit (platform.node.max-topics = {limits.MaxTopics}); delete one first");
        if (TooManyPartitions(command.Partitions, limits) is { } tooMany) return tooMany;
        var (config, error) = TopicConfig.Parse(command.Configs, defaults, limits.MaxMessageBytes);
        if (config is null)
            return Decision.Reject(ErrorCode.InvalidConfig, error!);
        return Decision.Accept(new TopicCreated(new TopicInfo(command.Name, newId, command.Partitions, config)));
    }

    public Decision Decide(CreatePartitions command, TopicLimits limits)
    {
        if (Find(command.Name) is not { } topic)
            return Decision.Reject(ErrorCode.UnknownTopicOrPartition, $"Topic '{command.Name}' does not exist");
        if (command.TotalCount < topic.PartitionCount)
            return Decision.Reject(ErrorCode.InvalidPartitions,
                $"Topic '{command.Name}' has {topic.PartitionCount} partitions; the count can only grow, not go down to {command.TotalCount}");
        if (command.TotalCount > limits.MaxPartitionsPerTopic)
            return TooManyPartitionsPerTopic(command.TotalCount, limits);
        if (command.TotalCount == topic.PartitionCount)
            return Decision.Reject(ErrorCode.InvalidPartitions,
                $"Topic '{command.Name}' already has {topic.PartitionCount} partitions");
        if (TooManyPartitions(command.TotalCount - topic.PartitionCount, limits) is { } tooMany) return tooMany;
        return Decision.Accept(new TopicPartitionsIncreased(topic.TopicId, command.TotalCount));
    }

    private static Decision TooManyPartitionsPerTopic(int count, TopicLimits limits) =>
        Decision.Reject(ErrorCode.InvalidPartitions,
            $"Number of partitions {count} exceeds this cluster's limit of {limits.MaxPartitionsPerTopic} per topic (platform.node.max-partitions-per-topic)");

    private Decision? TooManyPartitions(int added, TopicLimits limits)
    {
        var now = PartitionCount;
        return now + added <= limits.MaxPartitions ? null
            : Decision.Reject(ErrorCode.PolicyViolation,
                $"{added} more partitions would take the cluster from {now} to {now + added}, beyond its limit (platform.node.max-partitions = {limits.MaxPartitions})");
    }

    public Decision Decide(DeleteTopic command) =>
        Find(command.Name) is { } topic
            ? Decision.Accept(new TopicDeleted(topic.TopicId))
            : Decision.Reject(ErrorCode.UnknownTopicOrPartition, $"Topic '{command.Name}' does not exist");

    public Decision Decide(AlterTopicConfig command, TopicConfig defaults, TopicLimits limits)
    {
        if (Find(command.Name) is not { } topic)
            return Decision.Reject(ErrorCode.UnknownTopicOrPartition, $"Topic '{command.Name}' does not exist");
        // Every key with a value: a key left out falls back to the defaults (an override to the node's setting).
        var values = new Dictionary<string, string>(command.Replace ? defaults.ToDictionary() : topic.Config.ToDictionary());
        foreach (var (key, operation, value) in command.Operations)
        {
            if (!TopicConfig.Keys.Contains(key))
                return Decision.Reject(ErrorCode.InvalidConfig, $"Unknown topic config '{key}' (supported: {string.Join(", ", TopicConfig.Keys)})");
            if (operation != ConfigOperation.Delete && value is null)
                return Decision.Reject(ErrorCode.InvalidRequest, $"Null value not supported for {operation} of {key}");
            switch (operation)
            {
                case ConfigOperation.Set:
                    values[key] = value!;
                    break;
                case ConfigOperation.Delete:
                    values.Remove(key);
                    break;
                case ConfigOperation.Append or ConfigOperation.Subtract when !TopicConfig.IsList(key):
                    return Decision.Reject(ErrorCode.InvalidConfig, $"{operation} is only allowed for list configs, and {key} is not one");
                case ConfigOperation.Append:
                    values[key] = string.Join(",", ListItems(values[key]).Union(ListItems(value!)));
                    break;
                case ConfigOperation.Subtract:
                    values[key] = string.Join(",", ListItems(values[key]).Except(ListItems(value!)));
                    break;
                default:
                    return Decision.Reject(ErrorCode.InvalidRequest, $"Unknown config operation {(byte)operation} for {key}");
            }
        }
        var (config, error) = TopicConfig.Parse(values, defaults, limits.MaxMessageBytes);
        return config is null
            ? Decision.Reject(ErrorCode.InvalidConfig, error!)
            : Decision.Accept(new TopicConfigChanged(topic.TopicId, config));
    }

    private static IEnumerable<string> ListItems(string list) =>
        list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>The topic an event creates or changes, as it is once the event is applied (for replies, and for validate-only previews).</summary>
    public TopicInfo? TopicAfter(object @event) => @event switch
    {
        TopicCreated e => e.Topic,
        TopicPartitionsIncreased e => Apply(e).FindById(e.TopicId),
        TopicConfigChanged e => Apply(e).FindById(e.TopicId),
        TopicDeleted e => FindById(e.TopicId),
        _ => null,
    };

    public TopicRegistryState Apply(object @event) => @event switch
    {
        TopicConfigChanged e when FindById(e.TopicId) is { } t => new(ByName.SetItem(t.Name, t with { Config = e.Config })),
        TopicCreated e => new(ByName.SetItem(e.Topic.Name, e.Topic)),
        TopicPartitionsIncreased e when FindById(e.TopicId) is { } t => new(ByName.SetItem(t.Name, t with { PartitionCount = e.PartitionCount })),
        TopicDeleted e when FindById(e.TopicId) is { } t => new(ByName.Remove(t.Name)),
        _ => this,
    };

    public TopicRegistrySnapshot ToSnapshot() => new(ByName.Values.ToList());

    public static TopicRegistryState FromSnapshot(TopicRegistrySnapshot snapshot) =>
        new(snapshot.Topics.ToImmutableSortedDictionary(t => t.Name, t => t, StringComparer.Ordinal));
}
