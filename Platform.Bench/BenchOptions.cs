using Akka.Configuration;

namespace Platform.Bench;

// What `platform bench` hands each benchmark: the Host parses and checks the command line, a benchmark only measures.
// ClientConfig is the configuration every connection of a benchmark starts from (the Host's: Akka quiet, so that
// standard output carries the figures alone).

/// <summary><c>platform bench</c>: produce N records, consume them back (<see cref="ThroughputBench"/>).</summary>
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
    int? NodePid = null);

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
