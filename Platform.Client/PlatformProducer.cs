using System.Diagnostics;
using Platform.Client.Kafka;
using Platform.Protocol.Messages;
using Platform.Protocol.Records;
using Platform.Protocol.Wire;

namespace Platform.Client;

/// <summary>
/// Produces records over Kafka's protocol: gathers them per partition into RecordBatch v2 batches (cut at
/// batch size or after linger, compressed as the settings say), sends each as a Produce request (acks=all)
/// to the partition's leader, up to max-in-flight per partition, and completes each record's task when the
/// node has persisted its batch. Keyed records go where Kafka's partitioner puts them; keyless records
/// stick to one partition per batch, then move on (Kafka's sticky partitioner). With idempotence the
/// producer id comes from InitProducerId and each partition's batches carry consecutive sequence numbers,
/// so retries in order after a broker failure never duplicate a record. Thread-safe.
/// </summary>
public sealed partial class PlatformProducer : IAsyncDisposable
{
    /// <summary>A record's delivery and the timestamp its batch carries; the task's source itself, one object a record fewer.</summary>
    private sealed class Pending(long timestamp) : TaskCompletionSource<DeliveryResult>(TaskCreationOptions.RunContinuationsAsynchronously)
    {
        public long Timestamp { get; } = timestamp;
    }

    /// <summary>A record waiting for its batch; a struct, since the intake queue holds it by value.</summary>
    private readonly record struct Intake(string Topic, Message Message, int? Partition, int Size, Pending Pending);

    /// <summary>A topic's metadata, or the error of looking it up; guarded by the producer's lock.</summary>
    private sealed class MetadataEntry
    {
        public TopicRoute? Topic { get; set; }
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
    private sealed class PartitionBuffer(TopicRoute topic, int partition, CompressionType compression)
    {
        public TopicRoute Topic { get; set; } = topic;
        public int Partition { get; } = partition;
        public RecordBatchBuilder Builder { get; } = new(compression);
        /// <summary>The leader's connection batches go through; null while it is being looked up.</summary>
        public BrokerConnection? Leader { get; set; }
        public bool ResolvingLeader { get; set; }
        public List<Pending> Records { get; set; } = [];
        public long Bytes { get; set; }
        /// <summary>When the batch being gathered got its first record (Stopwatch ticks): its linger runs from there.</summary>
        public long FirstAdded { get; set; }
        /// <summary>Queued for the sender to seal and send (linger 0), so that records produced together leave together.</summary>
        public bool SendQueued { get; set; }
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
        /// <summary>
        /// The producer id and epoch this partition's batches carry: the producer's, until a gap it cannot
        /// fill makes this partition start again under a fresh id from InitProducerId at sequence 0.
        /// </summary>
        public long ProducerId { get; set; } = -1;
        public short Epoch { get; set; } = -1;
        /// <summary>Set when the partition keeps reporting a gap no unacknowledged batch can fill (see <see cref="Acknowledged"/>).</summary>
        public bool ResetSequences { get; set; }
        /// <summary>
        /// When the partition's answers became KAFKA_STORAGE_ERROR, for every batch, without another answer since;
        /// null otherwise. Per partition, not per batch: the batches queued behind one share its storage.
        /// </summary>
        public DateTime? StorageFailingSince { get; set; }
    }

    /// <summary>A RecordBatch v2 header's bytes: what a record alone in its batch costs beyond its own encoding.</summary>
    private const int RecordBatchOverhead = 61;

    private static readonly TimeSpan MetadataMaxAge = TimeSpan.FromSeconds(30);

    /// <summary>Kafka's rule: a partition remembers a producer's last five batches, so more in flight could make a retry unrecognisable.</summary>
    private const int MaxInFlightWithIdempotence = 5;

    private readonly PlatformConnection _connection;
    private readonly ClientSettings _settings;
    private readonly RetryPolicy _retry;
    private readonly object _lock = new();
    private readonly Dictionary<(string Topic, int Partition), PartitionBuffer> _buffers = new();
    private readonly Dictionary<string, int> _sticky = new();
    private readonly Dictionary<string, MetadataEntry> _metadata = new();
    private readonly Queue<Intake> _intake = new();
    /// <summary>
    /// Seals batches when their linger has passed. A thread of its own, as Kafka's sender thread, because .NET's
    /// timers (and Task.Delay) fire on a coarse clock: on Linux about 4 ms late, which made a 1 ms linger 3-7 ms.
    /// It waits on the producer's lock (Monitor.Wait), which wakes within a tenth of a millisecond of its timeout.
    /// Null with linger 0.
    /// </summary>
    private readonly Thread? _lingerThread;
    /// <summary>The earliest linger deadline of any partition (Stopwatch ticks); 0 while no batch is gathering.</summary>
    private long _lingerDue;
    private readonly long _lingerTicks;
    /// <summary>Partitions whose batch goes out on the sender's next turn (linger 0); guarded by the lock.</summary>
    private readonly List<PartitionBuffer> _sendQueue = [];
    /// <summary>The producer id and epoch from InitProducerId (idempotence only); -1 until it answered.</summary>
    private long _producerId = -1;
    private short _producerEpoch = -1;
    private PlatformException? _producerIdError;
    private bool _producerIdRequested;
    private long _bufferedBytes;
    private TaskCompletionSource _space = NewSignal();
    private bool _disposed;
    /// <summary>Stops the linger thread; guarded by the lock.</summary>
    private bool _closed;

    public PlatformProducer(PlatformConnection connection, ClientSettings? settings = null)
    {
        _connection = connection;
        _settings = settings ?? connection.Settings;
        _retry = _settings.Retry;
        if (_settings.EnableIdempotence && _settings.MaxInFlight > MaxInFlightWithIdempotence)
            throw new ArgumentException($"max-in-flight must be at most {MaxInFlightWithIdempotence} with idempotence on");
        _lingerTicks = (long)(_settings.Linger.TotalSeconds * Stopwatch.Frequency);
        if (_lingerTicks > 0)
        {
            _lingerThread = new Thread(SealLingering) { IsBackground = true, Name = "platform-producer-linger" };
            _lingerThread.Start();
        }
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
        // Kafka's producer checks max.request.size before anything is sent: a record no request may carry fails now.
        if (size + RecordBatchOverhead > _settings.MaxRequestSize)
            return Task.FromException<DeliveryResult>(new PlatformException(ErrorCode.MessageTooLarge,
                $"The record is {size + RecordBatchOverhead} bytes with its batch's header, more than the producer's max.request.size of {_settings.MaxRequestSize} bytes (platform.client.producer.max-request-size)"));
        var record = new Intake(topic, message, partition, size, new Pending((message.Timestamp ?? DateTimeOffset.UtcNow).ToUnixTimeMilliseconds()));
        if (cancellationToken.CanBeCanceled)
            cancellationToken.Register(() => record.Pending.TrySetCanceled(cancellationToken));
        lock (_lock)
        {
            _intake.Enqueue(record);
            Drain();
        }
        return record.Pending.Task;
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
        lock (_lock)
        {
            _closed = true;
            Monitor.Pulse(_lock);
        }
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
            if (record.Pending.Task.IsCompleted)
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
                record.Pending.TrySetException(error);
                continue;
            }
            if (_settings.EnableIdempotence && _producerId < 0)
            {
                if (_producerIdError is { } failed)
                {
                    _intake.Dequeue();
                    record.Pending.TrySetException(failed);
                    continue;
                }
                if (!_producerIdRequested) RequestProducerId();
                return;
            }
            if (_bufferedBytes > 0 && _bufferedBytes + record.Size > _settings.MaxBufferedBytes) return;
            _intake.Dequeue();
            Append(lookup.Topic!, record);
        }
    }

    /// <summary>
    /// InitProducerId without a transactional id: a fresh producer id at epoch 0 from the cluster's allocator,
    /// retried until the delivery timeout (the records waiting for it have that long: the allocator is a
    /// singleton, away while its node fails over).
    /// </summary>
    private Task<InitProducerIdResponse> InitProducerIdAsync() =>
        _retry.RunAsync(async () =>
        {
            var broker = await _connection.Cluster.AnyAsync();
            var response = await broker.RequestAsync<InitProducerIdResponse>(ApiKey.InitProducerId, 4,
                new InitProducerIdRequest { TransactionalId = null, TransactionTimeoutMs = int.MaxValue, ProducerId = -1, ProducerEpoch = -1 },
                _settings.RequestTimeout);
            if (response.ErrorCode != 0) throw KafkaRequests.Error(response.ErrorCode, null, "InitProducerId failed");
            return response;
        }, _settings.DeliveryTimeout);

    // Called under _lock.
    private void RequestProducerId()
    {
        _producerIdRequested = true;
        InitProducerIdAsync().ContinueWith(t =>
        {
            TaskCompletionSource signal;
            lock (_lock)
            {
                _producerIdRequested = false;
                if (t.IsCompletedSuccessfully) (_producerId, _producerEpoch) = (t.Result.ProducerId, t.Result.ProducerEpoch);
                else _producerIdError = t.Exception?.InnerException as PlatformException
                                        ?? new PlatformException(ErrorCode.UnknownServerError, t.Exception?.InnerException?.Message ?? "InitProducerId failed");
                Drain();
                _producerIdError = null; // the records waiting now failed with it; the next ones ask again
                signal = _space;
                _space = NewSignal();
            }
            signal.TrySetResult();
        }, TaskScheduler.Default);
    }

    private void LookUp(string topic)
    {
        var entry = new MetadataEntry();
        _metadata[topic] = entry;
        // Retried until the delivery timeout, not the request timeout: the records waiting for it have that long
        // (a Metadata request may fail retriably for a while when the topic registry's node dies).
        _retry.RunAsync(() => _connection.Cluster.TopicAsync(topic, AllowAutoCreateTopics, refresh: true), _settings.DeliveryTimeout).ContinueWith(t =>
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
    private void Append(TopicRoute info, Intake record)
    {
        var message = record.Message;
        var target = record.Partition ?? (message.Key is { } key ? Murmur2.PartitionForKey(key, info.PartitionCount) : StickyPartition(info));
        if (target < 0 || target >= info.PartitionCount)
        {
            record.Pending.TrySetException(new PlatformException(ErrorCode.UnknownTopicOrPartition,
                $"Topic '{info.Name}' has no partition {target} (it has {info.PartitionCount})"));
            return;
        }
        if (!_buffers.TryGetValue((info.Name, target), out var buffer))
        {
            _buffers[(info.Name, target)] = buffer = new PartitionBuffer(info, target, _settings.Compression)
            {
                ProducerId = _producerId, Epoch = _producerEpoch,
            };
        }
        buffer.Topic = info;
        if (buffer.Builder.Count > 0 && buffer.Builder.EstimatedSizeInBytes + record.Size > _settings.BatchSize) Seal(buffer);
        if (buffer.Builder.Count == 0)
        {
            buffer.FirstAdded = Stopwatch.GetTimestamp();
            if (_lingerTicks > 0) ArmLinger(buffer.FirstAdded + _lingerTicks);
        }
        buffer.Builder.Add(record.Pending.Timestamp, message.Key, message.Value, message.Headers);
        buffer.Records.Add(record.Pending);
        buffer.Bytes += record.Size;
        _bufferedBytes += record.Size;
        if (buffer.Builder.EstimatedSizeInBytes >= _settings.BatchSize) Seal(buffer);
        else if (SendNow(buffer)) QueueSend(buffer);
    }

    /// <summary>
    /// Linger 0: the batch leaves on the sender's next turn rather than inside this call, as Kafka's sender
    /// thread drains what the application appended meanwhile. Records produced in one burst then share a batch
    /// instead of taking every in-flight slot one record at a time and leaving the rest of the burst to wait for
    /// an acknowledgement. Called under _lock.
    /// </summary>
    private void QueueSend(PartitionBuffer buffer)
    {
        if (buffer.SendQueued) return;
        buffer.SendQueued = true;
        _sendQueue.Add(buffer);
        if (_sendQueue.Count == 1) ThreadPool.UnsafeQueueUserWorkItem(static producer => producer.SendQueued(), this, preferLocal: false);
    }

    private void SendQueued()
    {
        lock (_lock)
        {
            foreach (var buffer in _sendQueue)
            {
                buffer.SendQueued = false;
                if (SendNow(buffer)) Seal(buffer);
            }
            _sendQueue.Clear();
        }
    }

    /// <summary>
    /// With linger 0 a batch goes out as soon as the partition has room in flight; while it has none,
    /// records gather and leave together with the next acknowledgement (Kafka's natural batching).
    /// </summary>
    private bool SendNow(PartitionBuffer buffer) =>
        _settings.Linger == TimeSpan.Zero && buffer.Builder.Count > 0 && buffer.Ready.Count == 0 && buffer.InFlight < _settings.MaxInFlight;

    // Called under _lock.
    private int StickyPartition(TopicRoute topic)
    {
        if (!_sticky.TryGetValue(topic.Name, out var partition) || partition >= topic.PartitionCount)
            _sticky[topic.Name] = partition = Random.Shared.Next(topic.PartitionCount);
        return partition;
    }

    /// <summary>Wakes the linger thread if <paramref name="deadline"/> is earlier than what it waits for. Called under _lock.</summary>
    private void ArmLinger(long deadline)
    {
        if (_lingerDue != 0 && _lingerDue <= deadline) return;
        _lingerDue = deadline;
        Monitor.Pulse(_lock);
    }

    /// <summary>The linger thread: waits (releasing the lock) until the earliest deadline, seals what is due.</summary>
    private void SealLingering()
    {
        lock (_lock)
        {
            while (!_closed)
            {
                if (_lingerDue == 0)
                {
                    Monitor.Wait(_lock);
                    continue;
                }
                var now = Stopwatch.GetTimestamp();
                if (now < _lingerDue)
                {
                    // Rounded up, so it never wakes early and spins.
                    Monitor.Wait(_lock, (int)Math.Ceiling((_lingerDue - now) * 1000.0 / Stopwatch.Frequency));
                    continue;
                }
                _lingerDue = 0;
                var next = long.MaxValue;
                foreach (var buffer in _buffers.Values)
                {
                    if (buffer.Builder.Count == 0) continue;
                    if (now - buffer.FirstAdded >= _lingerTicks) Seal(buffer);
                    else next = Math.Min(next, buffer.FirstAdded + _lingerTicks);
                }
                if (next != long.MaxValue) _lingerDue = next;
            }
        }
    }

    // Called under _lock.
    private void Seal(PartitionBuffer buffer)
    {
        var count = buffer.Builder.Count;
        var bytes = _settings.EnableIdempotence
            ? buffer.Builder.Build(producerId: buffer.ProducerId, producerEpoch: buffer.Epoch, baseSequence: buffer.NextSequence)
            : buffer.Builder.Build();
        if (_settings.EnableIdempotence) buffer.NextSequence = NextSequence(buffer.NextSequence, count);
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
        if (buffer.Leader is null or { IsBroken: true })
        {
            buffer.Leader = null;
            if (buffer.Retry.Count > 0 || buffer.Ready.Count > 0) ResolveLeader(buffer);
            return;
        }
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
            // Sent under the lock: the connection queues the frame before SendAsync first yields, so a
            // partition's batches leave in order on the leader's one connection.
            var sent = Send(buffer.Leader, buffer, batch);
            if (sent.IsCompleted) _ = Task.Run(() => Acknowledged(buffer, batch, sent.Result)); // not re-entered under this lock
            else sent.ContinueWith(t => Acknowledged(buffer, batch, t.Result), TaskContinuationOptions.ExecuteSynchronously);
        }
    }

    /// <summary>Looks the partition's leader up (once at a time) and pumps when it is known.</summary>
    private void ResolveLeader(PartitionBuffer buffer)
    {
        if (buffer.ResolvingLeader) return;
        buffer.ResolvingLeader = true;
        var topic = buffer.Topic.Name;
        _ = Task.Run(async () =>
        {
            BrokerConnection? leader = null;
            PlatformException? error = null;
            // A partition without a leader (its node left, its shard is moving) is looked up again until the
            // batches' delivery timeout, as Kafka's producer waits for metadata.
            try
            {
                leader = await _retry.RunAsync(() => _connection.Cluster.LeaderAsync(topic, buffer.Partition), _settings.DeliveryTimeout,
                    onRetry: _ => _connection.Cluster.Invalidate(topic));
            }
            catch (PlatformException e)
            {
                error = e;
            }
            catch (Exception e)
            {
                // Anything else would leave the partition marked as resolving for good and its records
                // waiting forever: they fail now, with what went wrong.
                error = new PlatformException(ErrorCode.UnknownServerError, $"Looking up the leader of {topic}-{buffer.Partition} failed: {e.Message}");
            }
            lock (_lock)
            {
                buffer.ResolvingLeader = false;
                if (leader is not null)
                {
                    buffer.Leader = leader;
                    Pump(buffer);
                    return;
                }
            }
            // No leader within the request timeout: the batches waiting fail as they would after their retries.
            FailWaiting(buffer, error!);
        });
    }

    private void FailWaiting(PartitionBuffer buffer, PlatformException error)
    {
        List<SealedBatch> failed;
        TaskCompletionSource signal;
        lock (_lock)
        {
            failed = [.. buffer.Retry, .. buffer.Ready];
            buffer.Retry.Clear();
            buffer.Ready.Clear();
            foreach (var batch in failed) _bufferedBytes -= batch.BufferedBytes;
            signal = _space;
            _space = NewSignal();
            if (error.Code == ErrorCode.UnknownTopicOrPartition) _metadata.Remove(buffer.Topic.Name);
        }
        signal.TrySetResult();
        foreach (var batch in failed)
        foreach (var record in batch.Records)
            record.TrySetException(error);
    }

    private readonly record struct ProduceOutcome(ErrorCode Error, long BaseOffset, string? Message);

    /// <summary>One Produce request (acks=all) with one batch; every failure becomes an outcome with Kafka's error code.</summary>
    private async Task<ProduceOutcome> Send(BrokerConnection leader, PartitionBuffer buffer, SealedBatch batch)
    {
        try
        {
            var version = leader.Version(ApiKey.Produce, 9, min: 3);
            var request = new ProduceRequest
            {
                Acks = -1,
                TimeoutMs = (int)_settings.ProduceTimeout.TotalMilliseconds,
                TopicData =
                [
                    new ProduceRequest.TopicProduceData
                    {
                        Name = buffer.Topic.Name,
                        PartitionData = [new ProduceRequest.PartitionProduceData { Index = buffer.Partition, Records = RecordSet.Of(batch.Bytes) }],
                    },
                ],
            };
            var response = await leader.SendAsync<ProduceResponse>(ApiKey.Produce, version, request, _settings.ProduceTimeout);
            var partition = response.Responses.SelectMany(t => t.PartitionResponses).FirstOrDefault();
            if (partition is null) return new ProduceOutcome(ErrorCode.UnknownServerError, -1, "The broker's Produce response has no partition");
            return new ProduceOutcome((ErrorCode)partition.ErrorCode, partition.BaseOffset, partition.ErrorMessage);
        }
        catch (PlatformException e)
        {
            return new ProduceOutcome(e.Code, -1, e.Reason);
        }
    }

    private void Acknowledged(PartitionBuffer buffer, SealedBatch batch, ProduceOutcome result)
    {
        TaskCompletionSource? signal = null;
        var retriable = RetryPolicy.IsRetriableProduce(result.Error);
        var now = DateTime.UtcNow;
        bool retry, storageGaveUp;
        DateTime? storageFailingSince;
        List<SealedBatch>? doomed = null;
        lock (_lock)
        {
            // A node's storage that keeps failing (a full disk, a read-only or lost database) is retried for
            // storage-error-timeout only, so a caller who asked for that learns it in seconds, not at the delivery
            // timeout; the batches queued behind this one would only meet the same storage, so they fail with it.
            storageFailingSince = buffer.StorageFailingSince;
            storageGaveUp = _retry.StorageGaveUp(result.Error, ref storageFailingSince);
            buffer.StorageFailingSince = storageFailingSince;
            retry = retriable && !storageGaveUp && batch.Attempts < _settings.Retries && now < batch.Deadline &&
                    !batch.Records.TrueForAll(r => r.Task.IsCompleted);
            if (storageGaveUp)
            {
                doomed = [.. buffer.Retry, .. buffer.Ready];
                buffer.Retry.Clear();
                buffer.Ready.Clear();
                foreach (var queued in doomed) _bufferedBytes -= queued.BufferedBytes;
                // Their sequence numbers are gone with them: what is produced next starts afresh under a new id.
                buffer.ResetSequences = true;
                buffer.Paused = true;
            }
            buffer.InFlight--;
            if (result.Error is ErrorCode.NotLeaderOrFollower or ErrorCode.LeaderNotAvailable or ErrorCode.NetworkException or ErrorCode.RequestTimedOut
                or ErrorCode.UnknownTopicOrPartition)
            {
                // The leader moved or its connection broke: look it up again before the next send.
                buffer.Leader = null;
                _connection.Cluster.Invalidate(buffer.Topic.Name);
            }
            if (retry)
            {
                batch.Attempts++;
                var at = buffer.Retry.FindIndex(b => b.Ordinal > batch.Ordinal);
                buffer.Retry.Insert(at < 0 ? buffer.Retry.Count : at, batch);
                buffer.Paused = true;
                // A gap that outlives several re-sends of the oldest unacknowledged batch cannot be filled by
                // this producer (what came before it was acknowledged); like Kafka's producer (KIP-360), start
                // the partition's sequence numbers afresh under a new epoch rather than fail forever.
                if ((result.Error == ErrorCode.OutOfOrderSequenceNumber && at == 0 && batch.Attempts >= 3) || result.Error == ErrorCode.UnknownProducerId)
                    buffer.ResetSequences = true;
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
                _ = ResumeAfterBackoffAsync(buffer, _retry.Backoff(buffer.Retry.Count > 0 ? buffer.Retry[0].Attempts : 1));
            }
            Pump(buffer);
            if (SendNow(buffer)) Seal(buffer);
            Drain();
        }
        if (retry) return;
        signal!.TrySetResult();

        if (result.Error != ErrorCode.None)
        {
            var error = new PlatformException(result.Error, result.Message ?? result.Error.ToString());
            // Retries ran out (delivery timeout or retries): say so, with the error last seen and the time it took.
            if (storageGaveUp)
            {
                error = _retry.StorageFailed(error, storageFailingSince!.Value, batch.Attempts + 1);
                foreach (var queued in doomed!)
                foreach (var record in queued.Records)
                    record.TrySetException(error);
            }
            else if (retriable) error = RetryPolicy.GaveUp(error, batch.Attempts + 1, now - (batch.Deadline - _settings.DeliveryTimeout), _settings.DeliveryTimeout);
            foreach (var record in batch.Records) record.TrySetException(error);
            return;
        }
        for (var i = 0; i < batch.Records.Count; i++)
        {
            var record = batch.Records[i];
            record.TrySetResult(new DeliveryResult(buffer.Topic.Name, buffer.Partition, result.BaseOffset + i,
                DateTimeOffset.FromUnixTimeMilliseconds(record.Timestamp)));
        }
    }

    /// <summary>
    /// After the retry backoff (growing with the oldest waiting batch's attempts), with nothing in flight: a partition whose sequence numbers cannot go on
    /// first gets a fresh producer id (InitProducerId), then its batches leave again in their order.
    /// </summary>
    private async Task ResumeAfterBackoffAsync(PartitionBuffer buffer, TimeSpan backoff)
    {
        await Task.Delay(backoff);
        InitProducerIdResponse? fresh = null;
        bool reset;
        lock (_lock) reset = buffer.ResetSequences;
        if (reset)
        {
            try
            {
                fresh = await InitProducerIdAsync();
            }
            catch (Exception)
            {
                // Any failure, not only Kafka's errors: the partition must not stay paused for good. It tries again
                // after the next failure; the batches keep their sequence numbers meanwhile.
            }
        }
        lock (_lock)
        {
            buffer.Paused = buffer.ResumeScheduled = false;
            if (fresh is not null) Resequence(buffer, fresh.ProducerId, fresh.ProducerEpoch);
            Pump(buffer);
        }
    }

    /// <summary>Kafka's sequence arithmetic: the sequence after <paramref name="count"/> records, wrapping from int.MaxValue to 0.</summary>
    internal static int NextSequence(int sequence, int count) => (int)(((long)sequence + count) % ((long)int.MaxValue + 1));

    /// <summary>
    /// Moves a partition to a fresh producer id with sequences from 0, and re-stamps every batch not yet
    /// acknowledged, in order (records still gathering get the new identity when sealed). Called under _lock
    /// with nothing in flight.
    /// </summary>
    private void Resequence(PartitionBuffer buffer, long producerId, short epoch)
    {
        buffer.ResetSequences = false;
        buffer.ProducerId = producerId;
        buffer.Epoch = epoch;
        buffer.NextSequence = 0;
        foreach (var batch in buffer.Retry.Concat(buffer.Ready))
        {
            RecordBatch.SetProducer(batch.Bytes, producerId, epoch, buffer.NextSequence);
            buffer.NextSequence = NextSequence(buffer.NextSequence, RecordBatch.RecordCount(batch.Bytes));
        }
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
