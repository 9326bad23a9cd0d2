using System.Threading.Channels;
using Platform.Actors;
using Platform.Actors.Log;
using Platform.Actors.Partitions;
using Platform.Actors.Topics;

namespace Platform.Client;

/// <summary>
/// Reads assigned partitions from any position. Each assigned partition has a fetch loop that long-polls
/// its partition and feeds a bounded buffer, so a slow application stops the fetching instead of filling
/// memory. Positions advance only as the application consumes records. Consumer groups
/// (<c>Subscribe</c>) build on this same loop in a later step.
/// </summary>
public sealed class PlatformConsumer : IAsyncDisposable
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
        try
        {
            var info = await _connection.GetTopicAsync(topic, allowAutoCreate: false, token);
            if (partition < 0 || partition >= info.PartitionCount)
                throw new PlatformException(ErrorCode.UnknownTopicOrPartition, $"Topic '{topic}' has no partition {partition}");
            var offset = start >= 0 ? start : await Resolve(info, partition, start, token);
            lock (_lock)
            {
                if (assignment.Position < 0) assignment.Position = offset;
            }
            while (!token.IsCancellationRequested)
            {
                var wait = _settings.FetchMaxWait;
                var result = await _connection.RequestAsync<FetchResult>(
                    new Fetch(info.TopicId, partition, offset, _settings.MaxPartitionFetchBytes, (int)wait.TotalMilliseconds, 0),
                    wait + _settings.RequestTimeout, token);
                if (result.Error == ErrorCode.OffsetOutOfRange && !failOutOfRange && _reset != AutoOffsetReset.None)
                {
                    // Kafka's auto.offset.reset: a position outside the log (e.g. deleted by retention) restarts at its edge.
                    offset = _reset == AutoOffsetReset.Earliest || offset < result.LogStartOffset ? result.LogStartOffset : result.HighWatermark;
                    continue;
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
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
        }
        catch (ChannelClosedException)
        {
            // the consumer was disposed
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

    private async Task<long> Resolve(TopicInfo info, int partition, long spec, CancellationToken token)
    {
        var status = await _connection.RequestAsync<PartitionStatus>(new GetPartitionStatus(info.TopicId, partition), cancellationToken: token);
        if (status.Error != ErrorCode.None) throw new PlatformException(status.Error, status.ErrorMessage ?? status.Error.ToString());
        return spec == TopicPartitionOffset.Beginning ? status.LogStartOffset : status.HighWatermark;
    }

    public ValueTask DisposeAsync()
    {
        lock (_lock)
        {
            foreach (var assignment in _assignments.Values) assignment.Stop.Cancel();
            _assignments.Clear();
        }
        _buffer.Writer.TryComplete();
        return ValueTask.CompletedTask;
    }
}
