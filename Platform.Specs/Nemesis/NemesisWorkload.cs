using System.Text;
using Platform.Client;
using Platform.Client.Kafka;
using Platform.Protocol;
using Platform.Protocol.Messages;

namespace Platform.Specs.Nemesis;

/// <summary>
/// The load a nemesis run puts on the cluster and records in a <see cref="NemesisHistory"/>: idempotent
/// producers, each key owned by one of them and counting up with several records in flight (so the producer's
/// ordering is what keeps per-key order), keys spread evenly over the partitions; and a group of consumers that
/// commit what they read every second and when a partition is revoked (a clean hand-over).
/// </summary>
public sealed class NemesisWorkload : IAsyncDisposable
{
    public const string Topic = "nemesis";
    public const string Group = "nemesis-group";
    private const int InFlightPerKey = 4;

    private readonly NemesisHistory _history;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<PlatformConnection> _connections = [];
    private readonly List<PlatformProducer> _producers = [];
    private readonly List<Task> _tasks = [];

    private NemesisWorkload(NemesisHistory history) => _history = history;

    /// <summary>
    /// Starts <paramref name="producers"/> producers writing <paramref name="keys"/> keys at about
    /// <paramref name="recordsPerSecond"/> in all, and <paramref name="consumers"/> group consumers.
    /// </summary>
    public static async Task<NemesisWorkload> StartAsync(string bootstrap, NemesisHistory history, int partitions, int keys = 24,
        int producers = 2, int consumers = 2, int recordsPerSecond = 300)
    {
        var workload = new NemesisWorkload(history);
        for (var i = 0; i < producers; i++)
        {
            var connection = await PlatformConnection.ConnectAsync(bootstrap);
            workload._connections.Add(connection);
            workload._producers.Add(new PlatformProducer(connection));
        }
        var pause = TimeSpan.FromSeconds((double)keys / recordsPerSecond);
        for (var k = 0; k < keys; k++)
            workload._tasks.Add(workload.ProduceKeyAsync($"k{k}", k % partitions, workload._producers[k % producers], pause));
        for (var c = 0; c < consumers; c++)
        {
            var connection = await PlatformConnection.ConnectAsync(bootstrap);
            workload._connections.Add(connection);
            workload._tasks.Add(workload.ConsumeAsync($"c{c}", connection));
        }
        return workload;
    }

    /// <summary>One key's records, counting up, with up to <see cref="InFlightPerKey"/> awaiting their acknowledgement.</summary>
    private async Task ProduceKeyAsync(string key, int partition, PlatformProducer producer, TimeSpan pause)
    {
        using var window = new SemaphoreSlim(InFlightPerKey);
        var pending = new List<Task>();
        for (long counter = 0; !_stop.IsCancellationRequested; counter++)
        {
            try
            {
                await window.WaitAsync(_stop.Token);
            }
            catch (OperationCanceledException)
            {
                break;
            }
            var value = new KeyedValue(key, counter);
            pending.Add(Record(producer.ProduceAsync(Topic, new Message(Encoding.UTF8.GetBytes(key), Encoding.UTF8.GetBytes(counter.ToString())), partition), value, window));
            pending.RemoveAll(t => t.IsCompleted);
            await Task.Delay(pause);
        }
        await Task.WhenAll(pending);
    }

    private async Task Record(Task<DeliveryResult> produce, KeyedValue value, SemaphoreSlim window)
    {
        try
        {
            var delivery = await produce;
            _history.Acknowledgements.Enqueue(new Acknowledged(value, delivery.Partition, delivery.Offset, _history.Now));
        }
        catch (Exception e)
        {
            _history.Unacknowledged.Enqueue(value);
            _history.Notes.Enqueue($"{_history.Now:N1} s produce of {value} failed: {e.Message}");
        }
        finally
        {
            window.Release();
        }
    }

    /// <summary>A group member: reads, commits every second and on revoke, and notes the first offset of each new assignment.</summary>
    private async Task ConsumeAsync(string name, PlatformConnection connection)
    {
        var settings = ConsumerGroupSettings.Create(Group, Akka.Configuration.ConfigurationFactory.ParseString("platform.client.consumer.group.auto-commit = off"))
            .WithClientId(name);
        await using var consumer = new PlatformConsumer(connection, settings, AutoOffsetReset.Earliest);
        var positions = new Dictionary<int, long>();
        var awaitingFirst = new Dictionary<int, double>();
        var gate = new SemaphoreSlim(1);
        async Task CommitAsync(IEnumerable<int>? only)
        {
            await gate.WaitAsync();
            try
            {
                var offsets = positions.Where(p => only is null || only.Contains(p.Key))
                    .Select(p => new TopicPartitionOffset(Topic, p.Key, p.Value)).ToList();
                if (offsets.Count == 0) return;
                var sentAt = _history.Now;
                try
                {
                    await consumer.CommitAsync(offsets);
                    foreach (var offset in offsets)
                        _history.Commits.Enqueue(new CommitAcknowledged(name, offset.Partition, offset.Offset, sentAt, _history.Now));
                }
                catch (Exception e) when (e is PlatformException or TimeoutException or OperationCanceledException)
                {
                    Interlocked.Increment(ref _history.CommitFailures);
                }
            }
            finally
            {
                gate.Release();
            }
        }
        // The partitions this member holds: a record handed out just before a revoke may reach the loop below after
        // the revoke committed and forgot its partition; recording its position then made this member commit a
        // partition it no longer held every second, going back behind its new owner's commits (774 commits gone back
        // in the 100-fault run). Positions are kept, and so committed, only for partitions held.
        var held = new HashSet<int>();
        consumer.RevokingAsync = async revoked =>
        {
            await gate.WaitAsync();
            lock (held) held.ExceptWith(revoked.Select(p => p.Partition));
            gate.Release();
            await CommitAsync(revoked.Select(p => p.Partition).ToList());
            await gate.WaitAsync();
            foreach (var partition in revoked) positions.Remove(partition.Partition);
            gate.Release();
        };
        consumer.PartitionsAssigned += assigned =>
        {
            lock (held) held.UnionWith(assigned.Select(p => p.Partition));
            lock (awaitingFirst)
                foreach (var partition in assigned) awaitingFirst[partition.Partition] = _history.Now;
        };
        consumer.Subscribe([Topic]);
        var lastCommit = _history.Now;
        while (!_stop.IsCancellationRequested)
        {
            ConsumeResult? record;
            try
            {
                record = await consumer.ConsumeAsync(TimeSpan.FromSeconds(1), _stop.Token);
            }
            catch (OperationCanceledException)
            {
                break;
            }
            catch (PlatformException e)
            {
                _history.Notes.Enqueue($"{_history.Now:N1} s consumer {name}: {e.Message}");
                continue;
            }
            if (record is not null)
            {
                Interlocked.Increment(ref _history.Consumed);
                lock (awaitingFirst)
                    if (awaitingFirst.Remove(record.Partition, out var assignedAt))
                        _history.Assignments.Enqueue(new FirstAfterAssignment(name, record.Partition, record.Offset, assignedAt));
                await gate.WaitAsync();
                lock (held)
                    if (held.Contains(record.Partition)) positions[record.Partition] = record.Offset + 1;
                gate.Release();
            }
            if (_history.Now - lastCommit >= 1)
            {
                await CommitAsync(null);
                lastCommit = _history.Now;
            }
        }
    }

    /// <summary>Stops producing and consuming; waits for what is in flight to be acknowledged or to fail.</summary>
    public async Task StopAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_tasks).WaitAsync(TimeSpan.FromMinutes(3));
    }

    /// <summary>
    /// Reads every partition from its beginning to its log end: the log the checker judges. The end is asked of
    /// every node (ListOffsets latest, each node's answer comes from the incarnation its own shard region routes
    /// to), retried while partitions are still moving, and asked again after the read until two rounds agree, so
    /// a stale answer (a node whose view of a partition's home lags, or an incarnation that should be gone) is
    /// seen and noted instead of silently shortening the log. Where the nodes disagree the highest end is read.
    /// </summary>
    public static async Task<IReadOnlyList<Stored>> ReadLogAsync(string bootstrap, int partitions, NemesisHistory history)
    {
        await using var connection = await PlatformConnection.ConnectAsync(bootstrap);
        await using var reader = new PlatformConsumer(connection, AutoOffsetReset.Earliest);
        reader.Assign(Enumerable.Range(0, partitions).Select(p => new TopicPartitionOffset(Topic, p, TopicPartitionOffset.Beginning)));
        var log = new List<Stored>();
        var read = new Dictionary<int, long>();
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(3);
        var end = await LogEndsAsync(connection, partitions, history);
        while (DateTime.UtcNow < deadline)
        {
            while (end.Any(p => read.GetValueOrDefault(p.Key) < p.Value) && DateTime.UtcNow < deadline)
            {
                if (await reader.ConsumeAsync(TimeSpan.FromSeconds(1)) is not { } record) continue;
                var key = Encoding.UTF8.GetString(record.Key!);
                log.Add(new Stored(record.Partition, record.Offset, new KeyedValue(key, long.Parse(Encoding.UTF8.GetString(record.Value!)))));
                read[record.Partition] = record.Offset + 1;
            }
            var again = await LogEndsAsync(connection, partitions, history);
            if (again.All(p => p.Value == end[p.Key])) break;
            history.Notes.Enqueue($"{history.Now:N1} s final read: the log ends moved from {Render(end)} to {Render(again)}; reading on");
            end = again;
        }
        var shortOf = end.Where(p => read.GetValueOrDefault(p.Key) < p.Value).ToList();
        if (shortOf.Count > 0)
            history.Notes.Enqueue($"final read: stopped at its deadline below the log end on partitions {string.Join(", ", shortOf.Select(p => $"{p.Key} ({read.GetValueOrDefault(p.Key)} of {p.Value})"))}");
        return log;
    }

    private static string Render(IReadOnlyDictionary<int, long> ends) => string.Join(" ", ends.OrderBy(p => p.Key).Select(p => $"{p.Key}:{p.Value}"));

    /// <summary>
    /// Every partition's log end (ListOffsets latest) as each node answers it, retried for up to a minute while a
    /// node fails to answer; differences between nodes are noted. Returns the highest end per partition.
    /// </summary>
    private static async Task<IReadOnlyDictionary<int, long>> LogEndsAsync(PlatformConnection connection, int partitions, NemesisHistory history)
    {
        var tps = Enumerable.Range(0, partitions).Select(p => new TopicPartition(Topic, p)).ToList();
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(1);
        while (true)
        {
            try
            {
                await connection.Cluster.RefreshAsync([Topic]);
                var answers = new Dictionary<int, IReadOnlyDictionary<int, long>>();
                foreach (var broker in connection.Cluster.Brokers.Keys.Order())
                    answers[broker] = await ListOffsetsOfAsync(connection, broker, tps);
                var highest = Enumerable.Range(0, partitions).ToDictionary(p => p, p => answers.Values.Max(a => a[p]));
                if (answers.Values.Any(a => a.Any(p => p.Value != highest[p.Key])))
                    history.Notes.Enqueue($"{history.Now:N1} s final read: the nodes answer different log ends: " +
                                          string.Join("; ", answers.Select(a => $"node {a.Key}: {Render(a.Value)}")));
                return highest;
            }
            catch (Exception e) when (e is PlatformException or TimeoutException && DateTime.UtcNow < deadline)
            {
                await Task.Delay(TimeSpan.FromSeconds(1));
            }
        }
    }

    /// <summary>ListOffsets latest sent to one node, whichever partitions it leads: it answers through its own shard region.</summary>
    private static async Task<IReadOnlyDictionary<int, long>> ListOffsetsOfAsync(PlatformConnection connection, int broker,
        IReadOnlyList<TopicPartition> tps)
    {
        var node = await connection.Cluster.NodeAsync(broker);
        var request = new ListOffsetsRequest
        {
            ReplicaId = -1,
            Topics =
            [
                new ListOffsetsRequest.ListOffsetsTopic
                {
                    Name = Topic,
                    Partitions = tps.Select(tp => new ListOffsetsRequest.ListOffsetsPartition
                        { PartitionIndex = tp.Partition, Timestamp = -1, CurrentLeaderEpoch = -1 }).ToList(),
                },
            ],
        };
        var response = await node.RequestAsync<ListOffsetsResponse>(ApiKey.ListOffsets, 7, request,
            TimeSpan.FromSeconds(10), minVersion: 1);
        var ends = new Dictionary<int, long>();
        foreach (var partition in response.Topics.SelectMany(t => t.Partitions))
        {
            if (partition.ErrorCode != 0)
                throw new PlatformException((ErrorCode)partition.ErrorCode, $"ListOffsets of partition {partition.PartitionIndex} at node {broker} failed");
            ends[partition.PartitionIndex] = partition.Offset;
        }
        return ends;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stop.IsCancellationRequested) await _stop.CancelAsync();
        foreach (var producer in _producers) await producer.DisposeAsync();
        foreach (var connection in _connections) await connection.DisposeAsync();
    }
}
