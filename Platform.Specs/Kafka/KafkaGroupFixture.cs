namespace Platform.Specs.Kafka;

/// <summary>
/// A Kafka node for consumer-group specs: the initial rebalance delay is short (Kafka's default of 3 s would
/// dominate every spec), but long enough for consumers started together to land in one generation.
/// </summary>
public sealed class KafkaGroupFixture() : KafkaNodeFixture("platform.group.initial-rebalance-delay = 500ms");
