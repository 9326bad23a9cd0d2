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

    /// <param name="maxPartitions">The node's bound on a topic's partitions: each is an actor, so a count is a cost.</param>
    public Decision Decide(CreateTopic command, TopicConfig defaults, Guid newId, int maxPartitions)
    {
        if (TopicNames.Validate(command.Name) is { } invalid)
            return Decision.Reject(ErrorCode.InvalidTopicException, invalid);
        if (ByName.ContainsKey(command.Name))
            return Decision.Reject(ErrorCode.TopicAlreadyExists, $"Topic '{command.Name}' already exists");
        if (command.Partitions < 1)
            return Decision.Reject(ErrorCode.InvalidPartitions, $"Number of partitions must be at least 1, got {command.Partitions}");
        if (command.Partitions > maxPartitions)
            return Decision.Reject(ErrorCode.InvalidPartitions,
                $"Number of partitions {command.Partitions} exceeds this cluster's limit of {maxPartitions} per topic (platform.node.max-partitions-per-topic)");
        var (config, error) = TopicConfig.Parse(command.Configs, defaults);
        if (config is null)
            return Decision.Reject(ErrorCode.InvalidConfig, error!);
        return Decision.Accept(new TopicCreated(new TopicInfo(command.Name, newId, command.Partitions, config)));
    }

    public Decision Decide(CreatePartitions command, int maxPartitions)
    {
        if (Find(command.Name) is not { } topic)
            return Decision.Reject(ErrorCode.UnknownTopicOrPartition, $"Topic '{command.Name}' does not exist");
        if (command.TotalCount < topic.PartitionCount)
            return Decision.Reject(ErrorCode.InvalidPartitions,
                $"Topic '{command.Name}' has {topic.PartitionCount} partitions; the count can only grow, not go down to {command.TotalCount}");
        if (command.TotalCount > maxPartitions)
            return Decision.Reject(ErrorCode.InvalidPartitions,
                $"Number of partitions {command.TotalCount} exceeds this cluster's limit of {maxPartitions} per topic (platform.node.max-partitions-per-topic)");
        if (command.TotalCount == topic.PartitionCount)
            return Decision.Reject(ErrorCode.InvalidPartitions,
                $"Topic '{command.Name}' already has {topic.PartitionCount} partitions");
        return Decision.Accept(new TopicPartitionsIncreased(topic.TopicId, command.TotalCount));
    }

    public Decision Decide(DeleteTopic command) =>
        Find(command.Name) is { } topic
            ? Decision.Accept(new TopicDeleted(topic.TopicId))
            : Decision.Reject(ErrorCode.UnknownTopicOrPartition, $"Topic '{command.Name}' does not exist");

    public Decision Decide(AlterTopicConfig command, TopicConfig defaults)
    {
        if (Find(command.Name) is not { } topic)
            return Decision.Reject(ErrorCode.UnknownTopicOrPartition, $"Topic '{command.Name}' does not exist");
        var values = new Dictionary<string, string>(command.Replace ? defaults.ToDictionary() : topic.Config.ToDictionary());
        var defaultValues = defaults.ToDictionary();
        foreach (var (key, operation, value) in command.Operations)
        {
            if (!defaultValues.TryGetValue(key, out var defaultValue))
                return Decision.Reject(ErrorCode.InvalidConfig, $"Unknown topic config '{key}' (supported: {string.Join(", ", TopicConfig.Keys)})");
            if (operation != ConfigOperation.Delete && value is null)
                return Decision.Reject(ErrorCode.InvalidRequest, $"Null value not supported for {operation} of {key}");
            switch (operation)
            {
                case ConfigOperation.Set:
                    values[key] = value!;
                    break;
                case ConfigOperation.Delete:
                    values[key] = defaultValue;
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
        var (config, error) = TopicConfig.Parse(values, defaults);
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
