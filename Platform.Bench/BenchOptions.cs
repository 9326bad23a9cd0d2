using Akka.Configuration;

namespace Platform.Bench;

// What `platform bench` hands each benchmark: the Host parses and checks the command line, a benchmark only measures.
// ClientConfig is the configuration every connection of a benchmark starts from (the Host's: Akka quiet, so that
// standard output carries the figures alone).

/// <summary><c>platform bench</c>: produce N records, consume them back (<see cref="ThroughputBench"/>).
/// <paramref name="ConnectionPerProducer"/> gives every producer a connection of its own, as separate processes
/// would have (a curve over producers measures the node's connections, not one client's batching);
/// <paramref name="ResetPeak"/> reports the node's peak memory of this run alone (each step of a curve).</summary>
public sealed record BenchOptions(
    string BootstrapServer,
    Config ClientConfig,
    long Records,
    int RecordSize,
    int Partitions,
    int Producers,
    long? Rate,
    int BatchSize,
    int LingerMs,
    long WarmupRecords,
    bool Keep,
    int? NodePid = null,
    bool ConnectionPerProducer = false,
    bool ResetPeak = false);

/// <summary><c>platform bench --curve</c> (<see cref="CurveBench"/>): <paramref name="Step"/> is the run every step
/// repeats, with the partitions (or producers) of the curve's step in place of its own.</summary>
public sealed record CurveBenchOptions(BenchOptions Step, string Curve, IReadOnlyList<int> Steps);

/// <summary><c>platform bench --recovery N</c> (<see cref="RecoveryBench"/>): <paramref name="Platform"/> is the
/// command that runs this executable, to start the node it fills, kills and restarts in <paramref name="DataDir"/>
/// with its Kafka listener on <paramref name="KafkaPort"/>.</summary>
public sealed record RecoveryBenchOptions(
    Config ClientConfig,
    IReadOnlyList<string> Platform,
    long Records,
    int RecordSize,
    int BatchSize,
    int LingerMs,
    string DataDir,
    int KafkaPort);

/// <summary><c>platform bench --groups</c> (<see cref="GroupBench"/>). <paramref name="Platform"/> is the command
/// that runs this platform executable (<c>platform</c>, or <c>dotnet platform.dll</c>): the crashed member is a
/// <c>platform consume --group</c> process started with it.</summary>
public sealed record GroupBenchOptions(
    string BootstrapServer,
    Config ClientConfig,
    IReadOnlyList<string> Platform,
    int Members,
    int Partitions,
    int InitialRebalanceDelayMs);

/// <summary><c>platform bench --streams</c> (<see cref="StreamsBench"/>).</summary>
public sealed record StreamsBenchOptions(
    string BootstrapServer,
    Config ClientConfig,
    long Records,
    int RecordSize,
    int Partitions,
    int BatchSize,
    int LingerMs,
    long WarmupRecords,
    int Rounds,
    int? Parallelism,
    bool Keep);

/// <summary><c>platform bench --kafka</c> (<see cref="KafkaBench"/>); <paramref name="Compression"/> is one that
/// <see cref="KafkaBench.IsCompression"/> accepts.</summary>
public sealed record KafkaBenchOptions(
    string BootstrapServer,
    long Records,
    int RecordSize,
    int Partitions,
    long? Rate,
    int LingerMs,
    int BatchSize,
    bool Idempotent,
    string Compression,
    long WarmupRecords,
    bool Keep,
    int? NodePid = null);
