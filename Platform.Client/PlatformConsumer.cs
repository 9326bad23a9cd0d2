using System.Text.RegularExpressions;
using System.Threading.Channels;
using Platform.Actors;
using Platform.Actors.Log;
using Platform.Protocol.Records;
using Platform.Actors.Partitions;
using Platform.Actors.Topics;

namespace Platform.Client;

/// <summary>
/// Reads assigned partitions from any position. Each assigned partition has a fetch loop that long-polls
/// its partition and feeds a bounded buffer, so a slow application stops the fetching instead of filling
/// memory. Positions advance only as the application consumes records. Consumer groups
/// (<c>Subscribe</c>) build on this same loop in a later step.
/// </summary>
public sealed partial class PlatformConsumer : IAsyncDisposable
{
    /// <summary>A fetched record or a partition's error, tagged with the assignment epoch it belongs to.</summary>
    private sealed record Item(TopicPartition Partition, long Epoch, ConsumeResult? Record, PlatformException? Error);

    private sealed class PartitionAssignment(TopicPartition partition, long epoch, CancellationTokenSource stop)
    {
        public TopicPartition Partition { get; } = partition;
        public long Epoch { get; } = epoch;
        public CancellationTokenSource Stop { get; } = stop;
        public long Position { get; set; } = -1;
    }

    private readonly PlatformConnection _connection;
    private readonly ClientSettings _settings;
    private readonly AutoOffsetReset _reset;
    private readonly Channel<Item> _buffer;
    private readonly object _lock = new();
    private readonly Dictionary<TopicPartition, PartitionAssignment> _assignments = new();
    private long _nextEpoch;

    private readonly ConsumerGroupSettings? _group;
    private GroupMembership? _membership;

    /// <summary>A consumer in a group: <see cref="Subscribe(IEnumerable{string})"/> lets the group assign partitions,
    /// and commits go to the group's coordinator.</summary>
    public PlatformConsumer(PlatformConnection connection, ConsumerGroupSettings group, AutoOffsetReset autoOffsetReset = AutoOffsetReset.Latest,
        ClientSettings? settings = null)
        : this(connection, autoOffsetReset, settings)
    {
        _group = group;
    }

    public PlatformConsumer(PlatformConnection connection, AutoOffsetReset autoOffsetReset = AutoOffsetReset.Latest, ClientSettings? settings = null)
    {
        _connection = connection;
        _settings = settings ?? connection.Settings;
        _reset = autoOffsetReset;
        _buffer = Channel.CreateBounded<Item>(new BoundedChannelOptions(_settings.BufferedRecords)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
    }

    /// <summary>Raised after the group assigned partitions to this consumer (Kafka's onPartitionsAssigned).</summary>
    public event Action<IReadOnlyList<TopicPartition>>? PartitionsAssigned;

    /// <summary>Raised before partitions are taken away in a rebalance, after their positions were committed
    /// (with auto-commit); Kafka's onPartitionsRevoked.</summary>
    public event Action<IReadOnlyList<TopicPartition>>? PartitionsRevoked;

    /// <summary>
    /// Awaited before partitions are taken away in a rebalance, while this member may still commit them:
    /// the place to finish work on them and commit (Kafka's onPartitionsRevoked, asynchronous).
    /// </summary>
    public Func<IReadOnlyList<TopicPartition>, Task>? RevokingAsync { get; set; }

    /// <summary>Joins the group for these topics; the coordinator assigns partitions and moves them as members come and go.</summary>
    public void Subscribe(IEnumerable<string> topics) => StartMembership(topics.ToList(), null);

    /// <summary>Subscribes to every topic matching <paramref name="pattern"/>, now and as topics are created or deleted.</summary>
    public void Subscribe(Regex pattern) => StartMembership(null, pattern);

    private void StartMembership(IReadOnlyList<string>? topics, Regex? pattern)
    {
        if (_group is null) throw new InvalidOperationException("Subscribe needs a consumer created with ConsumerGroupSettings (a group id)");
        if (_membership is not null) throw new InvalidOperationException("The consumer is already subscribed");
        _membership = new GroupMembership(_connection, this, _group, topics, pattern);
    }

    /// <summary>The group generation of the current assignment, once joined.</summary>
    public int? GenerationId => _membership is { GenerationId: >= 0 } m ? m.GenerationId : null;

    /// <summary>The member id the coordinator issued, once joined.</summary>
    public string? MemberId => _membership?.MemberId is { Length: > 0 } id ? id : null;

    /// <summary>
    /// Commits the positions of every assigned partition (the offset of the next record to consume), as a
    /// group member, or as a standalone consumer of the group when not subscribed.
    /// </summary>
    public Task CommitAsync(CancellationToken cancellationToken = default) => CommitAsync(Positions(), cancellationToken);

    /// <summary>Commits the given offsets (each the next offset to consume).</summary>
    public async Task CommitAsync(IReadOnlyList<TopicPartitionOffset> offsets, CancellationToken cancellationToken = default)
    {
        if (_group is null) throw new InvalidOperationException("Committing needs a consumer created with ConsumerGroupSettings (a group id)");
        if (_membership is not null)
        {
            await _membership.CommitAsync(offsets, cancellationToken);
            return;
        }
        await new PlatformAdmin(_connection).CommitOffsetsAsync(_group.GroupId, offsets);
    }

    /// <summary>The group's committed offsets for the partitions (null where none is committed).</summary>
    public async Task<IReadOnlyDictionary<TopicPartition, long?>> CommittedAsync(IEnumerable<TopicPartition> partitions)
    {
        if (_group is null) throw new InvalidOperationException("Committed offsets need a consumer created with ConsumerGroupSettings (a group id)");
        var offsets = await new PlatformAdmin(_connection).FetchOffsetsAsync(_group.GroupId, partitions.ToList());
        return offsets.ToDictionary(o => new TopicPartition(o.Topic, o.Partition), o => o.Offset >= 0 ? o.Offset : (long?)null);
    }

    /// <summary>Positions of the assigned partitions that have one.</summary>
    internal IReadOnlyList<TopicPartitionOffset> Positions()
    {
        lock (_lock)
            return _assignments.Values.Where(a => a.Position >= 0)
                .Select(a => new TopicPartitionOffset(a.Partition.Topic, a.Partition.Partition, a.Position)).ToList();
    }

    /// <summary>The group assigned these partitions: start each at the committed offset, or auto.offset.reset without one.</summary>
    internal async Task TakeAssignmentAsync(IReadOnlyList<TopicPartition> partitions, CancellationToken token)
    {
        var committed = partitions.Count == 0
            ? new Dictionary<TopicPartition, long?>()
            : await CommittedAsync(partitions);
        if (_reset == AutoOffsetReset.None && partitions.FirstOrDefault(p => committed.GetValueOrDefault(p) is null) is { Topic: not null } missing)
        {
            // Kafka's NoOffsetForPartitionException: with auto.offset.reset=none, guessing is not allowed.
            FailGroup(new PlatformException(ErrorCode.OffsetOutOfRange,
                $"No committed offset for {missing} in group {_group!.GroupId} and auto.offset.reset is none"));
            return;
        }
        var positions = partitions.Select(p => committed.GetValueOrDefault(p) is { } offset
            ? new TopicPartitionOffset(p.Topic, p.Partition, offset)
            : new TopicPartitionOffset(p.Topic, p.Partition, _reset == AutoOffsetReset.Earliest ? TopicPartitionOffset.Beginning : TopicPartitionOffset.End)).ToList();
        token.ThrowIfCancellationRequested();
        Assign(positions);
        PartitionsAssigned?.Invoke(partitions);
    }

    internal void ReleaseAssignment(IReadOnlyList<TopicPartition> partitions)
    {
        PartitionsRevoked?.Invoke(partitions);
        Assign(Array.Empty<TopicPartition>());
    }

    /// <summary>A group error that retrying cannot fix (e.g. InvalidSessionTimeout) surfaces from ConsumeAsync.</summary>
    internal void FailGroup(PlatformException error) => _buffer.Writer.TryWrite(new Item(default, GroupErrorEpoch, null, error));

    private const long GroupErrorEpoch = -1;

    public IReadOnlyCollection<TopicPartition> Assignment
    {
        get
        {
            lock (_lock) return _assignments.Keys.ToList();
        }
    }

    /// <summary>Replaces the assignment; new partitions start at auto.offset.reset unless sought.</summary>
    public void Assign(IEnumerable<TopicPartition> partitions)
    {
        var wanted = partitions.ToHashSet();
        lock (_lock)
        {
            foreach (var gone in _assignments.Keys.Where(p => !wanted.Contains(p)).ToList())
            {
                _assignments[gone].Stop.Cancel();
                _assignments.Remove(gone);
            }
            foreach (var partition in wanted.Where(p => !_assignments.ContainsKey(p)))
                Start(partition, _reset == AutoOffsetReset.Earliest ? TopicPartitionOffset.Beginning : TopicPartitionOffset.End, _reset == AutoOffsetReset.None);
        }
    }

    /// <summary>Assigns the partitions at the given offsets (or <see cref="TopicPartitionOffset.Beginning"/>/<see cref="TopicPartitionOffset.End"/>).</summary>
    public void Assign(IEnumerable<TopicPartitionOffset> positions)
    {
        var list = positions.ToList();
        Assign(list.Select(p => p.TopicPartition));
        foreach (var position in list) Seek(position);
    }

    /// <summary>Moves a partition's position; records fetched from the old position are dropped.</summary>
    public void Seek(TopicPartitionOffset position)
    {
        lock (_lock)
        {
            if (!_assignments.Remove(position.TopicPartition, out var current))
                throw new InvalidOperationException($"{position.TopicPartition} is not assigned to this consumer");
            current.Stop.Cancel();
            Start(position.TopicPartition, position.Offset, failOutOfRange: false);
        }
    }

    public void SeekToBeginning(IEnumerable<TopicPartition> partitions)
    {
        foreach (var p in partitions) Seek(new TopicPartitionOffset(p.Topic, p.Partition, TopicPartitionOffset.Beginning));
    }

    public void SeekToEnd(IEnumerable<TopicPartition> partitions)
    {
        foreach (var p in partitions) Seek(new TopicPartitionOffset(p.Topic, p.Partition, TopicPartitionOffset.End));
    }

    /// <summary>The offset of the next record the application will get from the partition, once known.</summary>
    public long? Position(TopicPartition partition)
    {
        lock (_lock) return _assignments.TryGetValue(partition, out var a) && a.Position >= 0 ? a.Position : null;
    }

    /// <summary>The next record, or null when <paramref name="timeout"/> passes without one.</summary>
    public async Task<ConsumeResult?> ConsumeAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(timeout);
        try
        {
            return await ConsumeAsync(cts.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return null;
        }
    }

    /// <summary>The next record; waits until one arrives. A partition's error is thrown as a <see cref="PlatformException"/>.</summary>
    public async Task<ConsumeResult> ConsumeAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var item = await _buffer.Reader.ReadAsync(cancellationToken);
            if (item.Epoch == GroupErrorEpoch) throw item.Error!;
            lock (_lock)
            {
                if (!_assignments.TryGetValue(item.Partition, out var assignment) || assignment.Epoch != item.Epoch)
                    continue; // fetched before a seek or an unassign
                if (item.Error is { } error) throw error;
                assignment.Position = item.Record!.Offset + 1;
                return item.Record;
            }
        }
    }

    // Called under _lock.
    private void Start(TopicPartition partition, long offset, bool failOutOfRange)
    {
        var assignment = new PartitionAssignment(partition, ++_nextEpoch, new CancellationTokenSource());
        _assignments[partition] = assignment;
        _ = FetchLoop(assignment, offset, failOutOfRange);
    }

    private async Task FetchLoop(PartitionAssignment assignment, long start, bool failOutOfRange)
    {
        var token = assignment.Stop.Token;
        var (topic, partition) = (assignment.Partition.Topic, assignment.Partition.Partition);
        var records = new List<Record>();
        TopicInfo? info = null;
        var offset = start;
        try
        {
            while (!token.IsCancellationRequested)
            {
                try
                {
                    if (info is null)
                    {
                        info = await _connection.GetTopicAsync(topic, allowAutoCreate: false, token);
                        if (partition < 0 || partition >= info.PartitionCount)
                            throw new PlatformException(ErrorCode.UnknownTopicOrPartition, $"Topic '{topic}' has no partition {partition}");
                    }
                    if (offset < 0)
                    {
                        offset = await Resolve(info, partition, offset, token);
                        lock (_lock)
                        {
                            if (assignment.Position < 0) assignment.Position = offset;
                        }
                    }
                    offset = await FetchOnceAsync(assignment, info, offset, failOutOfRange, records, token);
                }
                catch (PlatformException error) when (error.Code.IsRetriable() && !token.IsCancellationRequested)
                {
                    // The node went away or the partition is moving: ask again, through the next node if need be.
                    await Task.Delay(_settings.RetryBackoff, token);
                }
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
        }
        catch (ChannelClosedException)
        {
            // the consumer was disposed
        }
        catch (PlatformException error) when (_membership is not null && error.Code == ErrorCode.UnknownTopicOrPartition)
        {
            // A subscribed topic was deleted: the group takes the partition away at its next rebalance.
        }
        catch (PlatformException error)
        {
            _buffer.Writer.TryWrite(new Item(assignment.Partition, assignment.Epoch, null, error));
        }
        catch (Exception error) when (error is InvalidDataException or NotSupportedException)
        {
            _buffer.Writer.TryWrite(new Item(assignment.Partition, assignment.Epoch, null,
                new PlatformException(ErrorCode.CorruptMessage, error.Message)));
        }
    }

    /// <summary>One long-poll fetch from <paramref name="offset"/>; hands its records to the buffer and returns the next offset.</summary>
    private async Task<long> FetchOnceAsync(PartitionAssignment assignment, TopicInfo info, long offset, bool failOutOfRange,
        List<Record> records, CancellationToken token)
    {
        var (topic, partition) = (info.Name, assignment.Partition.Partition);
        var wait = _settings.FetchMaxWait;
        var result = await _connection.RequestAsync<FetchResult>(
            new Fetch(info.TopicId, partition, offset, _settings.MaxPartitionFetchBytes, (int)wait.TotalMilliseconds, 0),
            wait + _settings.FetchTimeout, token);
        if (result.Error == ErrorCode.OffsetOutOfRange && !failOutOfRange && _reset != AutoOffsetReset.None)
        {
            // Kafka's auto.offset.reset: a position outside the log (e.g. deleted by retention) restarts at its edge.
            return _reset == AutoOffsetReset.Earliest || offset < result.LogStartOffset ? result.LogStartOffset : result.HighWatermark;
        }
        if (result.Error != ErrorCode.None)
            throw new PlatformException(result.Error, result.ErrorMessage ?? result.Error.ToString());
        foreach (var batch in result.Batches)
        {
            records.Clear();
            RecordBatch.Decode(batch, records);
            foreach (var record in records)
            {
                if (record.Offset < offset) continue;
                var consumed = new ConsumeResult(topic, partition, record.Offset, record.Key, record.Value, record.Headers,
                    DateTimeOffset.FromUnixTimeMilliseconds(record.Timestamp));
                await _buffer.Writer.WriteAsync(new Item(assignment.Partition, assignment.Epoch, consumed, null), token);
                offset = record.Offset + 1;
            }
        }
        return offset;
    }

    private async Task<long> Resolve(TopicInfo info, int partition, long spec, CancellationToken token)
    {
        var status = await _connection.RequestWithRetriesAsync<PartitionStatus>(new GetPartitionStatus(info.TopicId, partition), token);
        if (status.Error != ErrorCode.None) throw new PlatformException(status.Error, status.ErrorMessage ?? status.Error.ToString());
        return spec == TopicPartitionOffset.Beginning ? status.LogStartOffset : status.HighWatermark;
    }

    public async ValueTask DisposeAsync()
    {
        if (_membership is not null) await _membership.DisposeAsync();
        lock (_lock)
        {
            foreach (var assignment in _assignments.Values) assignment.Stop.Cancel();
            _assignments.Clear();
        }
        _buffer.Writer.TryComplete();
    }
}
