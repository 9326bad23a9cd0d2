using Akka.Actor;
using Platform.Actors;
using Platform.Actors.Log;
using Platform.Protocol.Records;
using Platform.Actors.Partitions;
using Platform.Actors.Topics;

namespace Platform.Client;

/// <summary>
/// Produces records: gathers them per partition into RecordBatch v2 batches (cut at batch size or after
/// linger), sends up to max-in-flight batches per partition, and completes each record's task when the
/// node has persisted its batch. Keyed records go where Kafka's partitioner puts them; keyless records
/// stick to one partition per batch, then move on (Kafka's sticky partitioner). Thread-safe.
/// </summary>
public sealed partial class PlatformProducer : IAsyncDisposable
{
    private sealed record Pending(TaskCompletionSource<DeliveryResult> Completion, long Timestamp);

    private sealed record Intake(string Topic, Message Message, int? Partition, int Size, Pending Pending);

    /// <summary>A topic's metadata, or the error of looking it up; guarded by the producer's lock.</summary>
    private sealed class MetadataEntry
    {
        public TopicInfo? Topic { get; set; }
        public PlatformException? Error { get; set; }
        public bool IsCompleted { get; set; }
        public DateTime FetchedAt { get; set; }
    }

    /// <summary>A batch ready to go; <see cref="Ordinal"/> orders a partition's batches for re-sending.</summary>
    private sealed record SealedBatch(byte[] Bytes, List<Pending> Records, long BufferedBytes, long Ordinal, DateTime Deadline)
    {
        public int Attempts { get; set; }
    }

    /// <summary>Everything about one partition the producer writes to; guarded by the producer's lock.</summary>
    private sealed class PartitionBuffer(TopicInfo topic, int partition)
    {
        public TopicInfo Topic { get; } = topic;
        public int Partition { get; } = partition;
        public RecordBatchBuilder Builder { get; } = new();
        public List<Pending> Records { get; set; } = [];
        public long Bytes { get; set; }
        public DateTime FirstAdded { get; set; }
        public Queue<SealedBatch> Ready { get; } = new();
        /// <summary>Batches that failed retriably, oldest first; they leave again before anything in Ready.</summary>
        public List<SealedBatch> Retry { get; } = [];
        public int InFlight { get; set; }
        /// <summary>
        /// Set by a retriable failure: nothing more is sent until every batch in flight has answered and the
        /// retry backoff has passed, so the re-sent batches reach the partition in their original order.
        /// </summary>
        public bool Paused { get; set; }
        public bool ResumeScheduled { get; set; }
        public int NextSequence { get; set; }
        public long NextOrdinal { get; set; }
        /// <summary>This partition's epoch of the producer id; bumped when its sequence numbers restart.</summary>
        public short Epoch { get; set; }
        /// <summary>Set when the partition keeps reporting a gap no unacknowledged batch can fill (see <see cref="Acknowledged"/>).</summary>
        public bool ResetSequences { get; set; }
    }

    private static readonly TimeSpan MetadataMaxAge = TimeSpan.FromSeconds(30);

    private readonly PlatformConnection _connection;
    private readonly ClientSettings _settings;
    private readonly IActorRef _channel;
    private readonly object _lock = new();
    private readonly Dictionary<(Guid TopicId, int Partition), PartitionBuffer> _buffers = new();
    private readonly Dictionary<string, int> _sticky = new();
    private readonly Dictionary<string, MetadataEntry> _metadata = new();
    private readonly Queue<Intake> _intake = new();
    private readonly Timer _lingerTimer;
    /// <summary>Random rather than allocated by a node: 63 bits make a clash between live producers negligible.</summary>
    private readonly long _producerId = Random.Shared.NextInt64(1, long.MaxValue);
    private long _bufferedBytes;
    private TaskCompletionSource _space = NewSignal();
    private bool _disposed;

    public PlatformProducer(PlatformConnection connection, ClientSettings? settings = null)
    {
        _connection = connection;
        _settings = settings ?? connection.Settings;
        // Kafka's rule: a partition remembers a producer's last five batches, so more in flight could make a
        // retry unrecognisable.
        if (_settings.EnableIdempotence && _settings.MaxInFlight > ProducerStateTable.BatchesPerProducer)
            throw new ArgumentException($"max-in-flight must be at most {ProducerStateTable.BatchesPerProducer} with idempotence on");
        _channel = connection.System.ActorOf(ProducerChannel.Props(connection.Link, _settings.ProduceTimeout));
        var tick = _settings.Linger > TimeSpan.Zero ? _settings.Linger : TimeSpan.FromMilliseconds(1);
        _lingerTimer = new Timer(_ => SealLingering(), null, tick, tick);
    }

    /// <summary>Whether topics missing on the node may be created by this producer's lookups (if the node allows it).</summary>
    public bool AllowAutoCreateTopics { get; init; } = true;

    public Task<DeliveryResult> ProduceAsync(string topic, string? key, string value, CancellationToken cancellationToken = default) =>
        ProduceAsync(topic, new Message(key is null ? null : System.Text.Encoding.UTF8.GetBytes(key), System.Text.Encoding.UTF8.GetBytes(value)),
            cancellationToken: cancellationToken);

    /// <summary>
    /// Completes when the record's batch is in the node's journal; fails with a <see cref="PlatformException"/>
    /// carrying Kafka's error code otherwise. Records enter batches in call order (so two records with one
    /// key keep their order), waiting while topic metadata is looked up or max-buffered-bytes are outstanding.
    /// </summary>
    public Task<DeliveryResult> ProduceAsync(string topic, Message message, int? partition = null, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var size = (message.Key?.Length ?? 0) + (message.Value?.Length ?? 0) + 21 +
                   (message.Headers?.Sum(h => h.Key.Length + (h.Value?.Length ?? 0) + 4) ?? 0);
        var record = new Intake(topic, message, partition, size,
            new Pending(new TaskCompletionSource<DeliveryResult>(TaskCreationOptions.RunContinuationsAsynchronously),
                (message.Timestamp ?? DateTimeOffset.UtcNow).ToUnixTimeMilliseconds()));
        if (cancellationToken.CanBeCanceled)
            cancellationToken.Register(() => record.Pending.Completion.TrySetCanceled(cancellationToken));
        lock (_lock)
        {
            _intake.Enqueue(record);
            Drain();
        }
        return record.Pending.Completion.Task;
    }

    /// <summary>Sends everything gathered so far and waits until all of it is acknowledged or failed.</summary>
    public async Task FlushAsync(CancellationToken cancellationToken = default)
    {
        while (true)
        {
            Task signal;
            lock (_lock)
            {
                foreach (var buffer in _buffers.Values)
                    if (buffer.Builder.Count > 0) Seal(buffer);
                if (_bufferedBytes == 0 && _intake.Count == 0) return;
                signal = _space.Task;
            }
            await signal.WaitAsync(cancellationToken);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed) return;
        await FlushAsync();
        _disposed = true;
        await _lingerTimer.DisposeAsync();
        _connection.System.Stop(_channel);
    }

    /// <summary>
    /// Moves records from the intake queue into partition batches, strictly in call order. Stops at the
    /// first record whose topic metadata is not known yet (and starts the lookup) or for which there is no
    /// buffer space; the lookup's completion and every acknowledgement drain again. Called under _lock.
    /// </summary>
    private void Drain()
    {
        while (_intake.TryPeek(out var record))
        {
            if (record.Pending.Completion.Task.IsCompleted)
            {
                _intake.Dequeue(); // cancelled while waiting
                continue;
            }
            if (!_metadata.TryGetValue(record.Topic, out var lookup) || (lookup.IsCompleted && DateTime.UtcNow - lookup.FetchedAt > MetadataMaxAge))
            {
                LookUp(record.Topic);
                return;
            }
            if (!lookup.IsCompleted) return;
            if (lookup.Error is { } error)
            {
                _intake.Dequeue();
                _metadata.Remove(record.Topic); // the next record asks again
                record.Pending.Completion.TrySetException(error);
                continue;
            }
            if (_bufferedBytes > 0 && _bufferedBytes + record.Size > _settings.MaxBufferedBytes) return;
            _intake.Dequeue();
            Append(lookup.Topic!, record);
        }
    }

    private void LookUp(string topic)
    {
        var entry = new MetadataEntry();
        _metadata[topic] = entry;
        _connection.GetTopicAsync(topic, AllowAutoCreateTopics).ContinueWith(t =>
        {
            TaskCompletionSource signal;
            lock (_lock)
            {
                entry.FetchedAt = DateTime.UtcNow;
                if (t.IsCompletedSuccessfully) entry.Topic = t.Result;
                else entry.Error = t.Exception?.InnerException as PlatformException
                                   ?? new PlatformException(ErrorCode.UnknownServerError, t.Exception?.InnerException?.Message ?? "metadata lookup failed");
                entry.IsCompleted = true;
                Drain();
                signal = _space;
                _space = NewSignal();
            }
            signal.TrySetResult(); // wakes FlushAsync when the lookup failed and nothing else is pending
        }, TaskScheduler.Default);
    }

    // Called under _lock.
    private void Append(TopicInfo info, Intake record)
    {
        var message = record.Message;
        var target = record.Partition ?? (message.Key is { } key ? Murmur2.PartitionForKey(key, info.PartitionCount) : StickyPartition(info));
        if (target < 0 || target >= info.PartitionCount)
        {
            record.Pending.Completion.TrySetException(new PlatformException(ErrorCode.UnknownTopicOrPartition,
                $"Topic '{info.Name}' has no partition {target} (it has {info.PartitionCount})"));
            return;
        }
        if (!_buffers.TryGetValue((info.TopicId, target), out var buffer))
            _buffers[(info.TopicId, target)] = buffer = new PartitionBuffer(info, target);
        if (buffer.Builder.Count > 0 && buffer.Builder.EstimatedSizeInBytes + record.Size > _settings.BatchSize) Seal(buffer);
        if (buffer.Builder.Count == 0) buffer.FirstAdded = DateTime.UtcNow;
        buffer.Builder.Add(record.Pending.Timestamp, message.Key, message.Value, message.Headers);
        buffer.Records.Add(record.Pending);
        buffer.Bytes += record.Size;
        _bufferedBytes += record.Size;
        if (buffer.Builder.EstimatedSizeInBytes >= _settings.BatchSize || SendNow(buffer)) Seal(buffer);
    }

    /// <summary>
    /// With linger 0 a batch goes out as soon as the partition has room in flight; while it has none,
    /// records gather and leave together with the next acknowledgement (Kafka's natural batching).
    /// </summary>
    private bool SendNow(PartitionBuffer buffer) =>
        _settings.Linger == TimeSpan.Zero && buffer.Builder.Count > 0 && buffer.Ready.Count == 0 && buffer.InFlight < _settings.MaxInFlight;

    // Called under _lock.
    private int StickyPartition(TopicInfo topic)
    {
        if (!_sticky.TryGetValue(topic.Name, out var partition) || partition >= topic.PartitionCount)
            _sticky[topic.Name] = partition = Random.Shared.Next(topic.PartitionCount);
        return partition;
    }

    private void SealLingering()
    {
        lock (_lock)
        {
            var now = DateTime.UtcNow;
            foreach (var buffer in _buffers.Values)
                if (buffer.Builder.Count > 0 && now - buffer.FirstAdded >= _settings.Linger) Seal(buffer);
        }
    }

    // Called under _lock.
    private void Seal(PartitionBuffer buffer)
    {
        var count = buffer.Builder.Count;
        var bytes = _settings.EnableIdempotence
            ? buffer.Builder.Build(producerId: _producerId, producerEpoch: buffer.Epoch, baseSequence: buffer.NextSequence)
            : buffer.Builder.Build();
        if (_settings.EnableIdempotence) buffer.NextSequence = ProducerStateTable.LastSequence(buffer.NextSequence, count + 1);
        buffer.Ready.Enqueue(new SealedBatch(bytes, buffer.Records, buffer.Bytes, buffer.NextOrdinal++, DateTime.UtcNow + _settings.DeliveryTimeout));
        buffer.Builder.Clear();
        buffer.Records = [];
        buffer.Bytes = 0;
        // Kafka's sticky partitioner: a keyless stream moves to another partition with each new batch.
        if (_sticky.TryGetValue(buffer.Topic.Name, out var sticky) && sticky == buffer.Partition && buffer.Topic.PartitionCount > 1)
            _sticky[buffer.Topic.Name] = (sticky + 1 + Random.Shared.Next(buffer.Topic.PartitionCount - 1)) % buffer.Topic.PartitionCount;
        Pump(buffer);
    }

    // Called under _lock: sends batches to retry, then ready ones, in order while the in-flight limit allows.
    private void Pump(PartitionBuffer buffer)
    {
        while (!buffer.Paused && buffer.InFlight < _settings.MaxInFlight)
        {
            SealedBatch batch;
            if (buffer.Retry.Count > 0)
            {
                batch = buffer.Retry[0];
                buffer.Retry.RemoveAt(0);
            }
            else if (!buffer.Ready.TryDequeue(out batch!))
            {
                break;
            }
            buffer.InFlight++;
            var completion = new TaskCompletionSource<ProduceResult>(TaskCreationOptions.RunContinuationsAsynchronously);
            _channel.Tell(new ProducerChannel.Send(new Produce(buffer.Topic.TopicId, buffer.Partition, batch.Bytes, 0), completion));
            completion.Task.ContinueWith(t => Acknowledged(buffer, batch, t.Result), TaskContinuationOptions.ExecuteSynchronously);
        }
    }

    private void Acknowledged(PartitionBuffer buffer, SealedBatch batch, ProduceResult result)
    {
        TaskCompletionSource? signal = null;
        var retry = result.Error.IsRetriable() && batch.Attempts < _settings.Retries && DateTime.UtcNow < batch.Deadline &&
                    !batch.Records.TrueForAll(r => r.Completion.Task.IsCompleted);
        lock (_lock)
        {
            buffer.InFlight--;
            if (retry)
            {
                batch.Attempts++;
                var at = buffer.Retry.FindIndex(b => b.Ordinal > batch.Ordinal);
                buffer.Retry.Insert(at < 0 ? buffer.Retry.Count : at, batch);
                buffer.Paused = true;
                // A gap that outlives several re-sends of the oldest unacknowledged batch cannot be filled by
                // this producer (what came before it was acknowledged); like Kafka's producer (KIP-360), start
                // the partition's sequence numbers afresh under a new epoch rather than fail forever.
                if (result.Error == ErrorCode.OutOfOrderSequenceNumber && at == 0 && batch.Attempts >= 3) buffer.ResetSequences = true;
            }
            else
            {
                _bufferedBytes -= batch.BufferedBytes;
                signal = _space;
                _space = NewSignal();
                if (result.Error == ErrorCode.UnknownTopicOrPartition) _metadata.Remove(buffer.Topic.Name);
            }
            if (buffer.Paused && buffer.InFlight == 0 && !buffer.ResumeScheduled)
            {
                buffer.ResumeScheduled = true;
                _ = Task.Delay(_settings.RetryBackoff).ContinueWith(_ =>
                {
                    lock (_lock)
                    {
                        buffer.Paused = buffer.ResumeScheduled = false;
                        if (buffer.ResetSequences) Resequence(buffer);
                        Pump(buffer);
                    }
                }, TaskScheduler.Default);
            }
            Pump(buffer);
            if (SendNow(buffer)) Seal(buffer);
            Drain();
        }
        if (retry) return;
        signal!.TrySetResult();

        if (result.Error != ErrorCode.None)
        {
            var error = new PlatformException(result.Error, result.ErrorMessage ?? result.Error.ToString());
            foreach (var record in batch.Records) record.Completion.TrySetException(error);
            return;
        }
        for (var i = 0; i < batch.Records.Count; i++)
        {
            var record = batch.Records[i];
            record.Completion.TrySetResult(new DeliveryResult(buffer.Topic.Name, buffer.Partition, result.BaseOffset + i,
                DateTimeOffset.FromUnixTimeMilliseconds(record.Timestamp)));
        }
    }

    /// <summary>
    /// Moves a partition to the next epoch with sequences from 0, and re-stamps every batch not yet
    /// acknowledged, in order. Called under _lock with nothing in flight.
    /// </summary>
    private void Resequence(PartitionBuffer buffer)
    {
        buffer.ResetSequences = false;
        buffer.Epoch++;
        buffer.NextSequence = 0;
        foreach (var batch in buffer.Retry.Concat(buffer.Ready))
        {
            RecordBatch.SetProducer(batch.Bytes, _producerId, buffer.Epoch, buffer.NextSequence);
            buffer.NextSequence = ProducerStateTable.LastSequence(buffer.NextSequence, RecordBatch.RecordCount(batch.Bytes) + 1);
        }
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
