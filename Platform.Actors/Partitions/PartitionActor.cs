using System.Diagnostics;
using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Sharding;
using Akka.Event;
using Akka.Persistence;
using Platform.Actors.Configuration;
using Platform.Actors.Log;
using Platform.Protocol.Records;
using Platform.Actors.Topics;

namespace Platform.Actors.Partitions;

/// <summary>
/// One partition's log: a sharded persistent actor whose home node is the partition's leader. It assigns
/// offsets, persists each batch as one journal event and acknowledges after the write; serves reads from
/// its in-memory tail, from the journal by sequence-number range (through a <see cref="JournalReader"/>
/// child), or parks them at the log end (long poll); and applies retention.
/// </summary>
public sealed class PartitionActor : ReceivePersistentActor, IWithTimers
{
    private sealed class RetentionTick
    {
        public static readonly RetentionTick Instance = new();
    }

    private sealed record ParkedFetchExpired(long Id);

    private sealed class AskTopicAgain
    {
        public static readonly AskTopicAgain Instance = new();
    }

    private readonly Guid _topicId;
    private readonly int _partition;
    private readonly IActorRef _registry;
    private readonly PartitionSettings _settings;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly PartitionLog _partitionLog;
    private readonly TailCache _tail;
    private readonly Dictionary<long, (Fetch Request, IActorRef ReplyTo)> _parked = new();
    /// <summary>Idempotent producers as of every batch accepted, written or not: what new batches are judged by.</summary>
    private readonly ProducerStateTable _producers = new();
    /// <summary>The same as of the batches in the journal only: what a snapshot may say.</summary>
    private readonly ProducerStateTable _writtenProducers = new();
    /// <summary>Produces accepted but not yet in the journal, oldest first: told of a failed write.</summary>
    private readonly Queue<(Produce Request, IActorRef ReplyTo)> _unwritten = new();
    private readonly Stopwatch _recoveryWatch = Stopwatch.StartNew();
    private readonly string _leader;
    private TopicConfig? _config;
    private long _nextOffset;
    private long _nextParkedId;
    private long _recoveryMs;
    private long _eventsSinceSnapshot;

    public PartitionActor(Guid topicId, int partition, IActorRef registry, PartitionSettings settings)
    {
        _topicId = topicId;
        _partition = partition;
        _registry = registry;
        _settings = settings;
        _partitionLog = new PartitionLog(settings.IndexIntervalBytes);
        _tail = new TailCache(TailCacheBudget.For(Context.System), settings.TailMaxBytesPerPartition);
        var self = Cluster.Get(Context.System).SelfAddress;
        _leader = $"{self.Host}:{self.Port}";
        PersistenceId = PartitionEntity.PersistenceId(topicId, partition);

        Recover<SnapshotOffer>(offer =>
        {
            if (offer.Snapshot is PartitionSnapshot s)
            {
                _partitionLog.Restore(s.LogStartOffset, s.LogEndOffset, s.Segments);
                _producers.Restore(s.Producers ?? []);
                _writtenProducers.Restore(s.Producers ?? []);
            }
        });
        Recover<RecordBatchAppended>(e =>
        {
            ApplyAppended(e.Batch, LastSequenceNr);
            RecordProducer(_producers, e.Batch);
            RecordProducer(_writtenProducers, e.Batch);
            _eventsSinceSnapshot++;
        });
        Recover<LogStartAdvanced>(e => ApplyLogStart(e.LogStartOffset));
        Recover<RecoveryCompleted>(_ =>
        {
            _nextOffset = _partitionLog.LogEndOffset;
            _recoveryMs = _recoveryWatch.ElapsedMilliseconds;
            _log.Debug("Partition {0}-{1} recovered at offset {2} in {3} ms", _topicId, _partition, _nextOffset, _recoveryMs);
        });

        AwaitingTopic();
    }

    public override string PersistenceId { get; }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(Guid topicId, int partition, IActorRef registry, PartitionSettings settings) =>
        Akka.Actor.Props.Create(() => new PartitionActor(topicId, partition, registry, settings));

    protected override void PreStart()
    {
        base.PreStart();
        // The reply is stashed by persistence until recovery is done, so the config is there right after.
        _registry.Tell(new GetTopicById(_topicId));
        Timers.StartPeriodicTimer("ask-topic", AskTopicAgain.Instance, TimeSpan.FromSeconds(2));
    }

    /// <summary>Until the registry says which topic this is (and its config), requests wait in the stash.</summary>
    private void AwaitingTopic()
    {
        Command<TopicByIdResult>(result =>
        {
            Timers.Cancel("ask-topic");
            if (result.Topic is { } topic && _partition < topic.PartitionCount)
            {
                _config = topic.Config;
                Become(Active);
                Timers.StartPeriodicTimer("retention", RetentionTick.Instance, _settings.RetentionCheckInterval);
            }
            else
            {
                Become(Deleted);
            }
            Stash.UnstashAll();
        });
        Command<AskTopicAgain>(_ => _registry.Tell(new GetTopicById(_topicId)));
        Command<StopPartition>(_ => Context.Stop(Self));
        CommandAny(_ => Stash.Stash());
    }

    private void Active()
    {
        Command<Produce>(HandleProduce);
        Command<Fetch>(HandleFetch);
        Command<GetPartitionStatus>(_ => Sender.Tell(Status()));
        Command<FindOffsetForTimestamp>(find => Sender.Tell(new OffsetForTimestamp(_topicId, _partition, ErrorCode.None, null,
            Math.Max(_partitionLog.LogStartOffset, _partitionLog.SegmentStartForTimestamp(find.Timestamp)))));
        Command<ParkedFetchExpired>(expired =>
        {
            if (_parked.Remove(expired.Id, out var parked)) parked.ReplyTo.Tell(Empty(parked.Request));
        });
        Command<RetentionTick>(_ => ApplyRetention());
        Command<RestartPartition>(_ =>
        {
            Sender.Tell(Status());
            Context.Parent.Tell(new Passivate(PoisonPill.Instance));
        });
        Command<DeletePartition>(_ => DeleteEverything());
        Command<StopPartition>(stop => DeferAsync(stop, _ => Context.Stop(Self)));
        Command<WakePartition>(_ => { });
        Command<TopicByIdResult>(result =>
        {
            if (result.Topic is { } topic) _config = topic.Config;
        });
        Command<ApplyTopicConfig>(apply => _config = apply.Config);
        Command<DeleteRecordsBefore>(HandleDeleteRecords);
        Command<AskTopicAgain>(_ => { });
        Command<SaveSnapshotSuccess>(success =>
            DeleteSnapshots(new SnapshotSelectionCriteria(success.Metadata.SequenceNr - 1)));
        Command<SaveSnapshotFailure>(failure =>
            _log.Warning("Partition {0}-{1}: snapshot failed: {2}", _topicId, _partition, failure.Cause.Message));
        Command<DeleteSnapshotsSuccess>(_ => { });
        Command<DeleteSnapshotsFailure>(_ => { });
        Command<DeleteMessagesSuccess>(_ => { });
        Command<DeleteMessagesFailure>(failure =>
            _log.Warning("Partition {0}-{1}: deleting old events failed: {2}", _topicId, _partition, failure.Cause.Message));
    }

    /// <summary>The topic is gone (or never had this partition): answer every request with an error.</summary>
    private void Deleted()
    {
        CommandAny(message =>
        {
            switch (message)
            {
                case IPartitionRequest request:
                    Sender.Tell(request.Reject(ErrorCode.UnknownTopicOrPartition,
                        $"Partition {_partition} of topic {_topicId} does not exist"));
                    break;
                case DeletePartition:
                    DeleteEverything();
                    break;
                case StopPartition:
                    Context.Stop(Self);
                    break;
            }
        });
    }

    private void HandleProduce(Produce produce)
    {
        var batch = produce.Batch;
        var config = _config!;
        if (batch.Length > config.MaxMessageBytes)
        {
            Reply(produce, ErrorCode.MessageTooLarge,
                $"Batch of {batch.Length} bytes exceeds max.message.bytes={config.MaxMessageBytes} of the topic");
            return;
        }
        switch (RecordBatch.Validate(batch))
        {
            case BatchError.None:
                break;
            case BatchError.CorruptMessage:
                Reply(produce, ErrorCode.CorruptMessage, "Record batch CRC32C does not match its contents");
                return;
            case var error:
                Reply(produce, ErrorCode.CorruptMessage, $"Malformed record batch: {error}");
                return;
        }
        var count = RecordBatch.RecordCount(batch);
        if (count == 0)
        {
            Reply(produce, ErrorCode.InvalidRequest, "Record batch holds no records");
            return;
        }
        var compression = RecordBatch.Compression(batch);
        if (!Enum.IsDefined(compression))
        {
            Reply(produce, ErrorCode.UnsupportedCompressionType, $"Compression codec id {(int)compression} is not one of Kafka's");
            return;
        }

        var (producerId, epoch, sequence) = (RecordBatch.ProducerId(batch), RecordBatch.ProducerEpoch(batch), RecordBatch.BaseSequence(batch));
        switch (_producers.Check(producerId, epoch, sequence, count, out var originalOffset))
        {
            case SequenceVerdict.Duplicate:
            {
                // A retry of a batch already taken: acknowledge it with its first offset, once that write is done.
                var retryFrom = Sender;
                DeferAsync(produce, _ => retryFrom.Tell(new ProduceResult(_topicId, _partition, produce.CorrelationId, ErrorCode.None, null,
                    originalOffset, _partitionLog.LogStartOffset)));
                return;
            }
            case SequenceVerdict.OutOfOrder:
                Reply(produce, ErrorCode.OutOfOrderSequenceNumber,
                    $"Producer {producerId} sent sequence {sequence} but an earlier batch of it is missing");
                return;
            case SequenceVerdict.Fenced:
                Reply(produce, ErrorCode.InvalidProducerEpoch, $"Producer {producerId} epoch {epoch} is older than one already seen");
                return;
        }

        var baseOffset = _nextOffset;
        RecordBatch.SetBaseOffset(batch, baseOffset);
        _nextOffset += count;
        RecordProducer(_producers, batch);
        var replyTo = Sender;
        _unwritten.Enqueue((produce, replyTo));
        PersistAsync(new RecordBatchAppended(batch), appended =>
        {
            _unwritten.TryDequeue(out _);
            ApplyAppended(appended.Batch, LastSequenceNr);
            RecordProducer(_writtenProducers, appended.Batch);
            replyTo.Tell(new ProduceResult(_topicId, _partition, produce.CorrelationId, ErrorCode.None, null, baseOffset, _partitionLog.LogStartOffset));
            ServeParked();
            if (++_eventsSinceSnapshot >= _settings.SnapshotEvery) Snapshot();
        });
    }

    private void Reply(Produce produce, ErrorCode error, string message) =>
        Sender.Tell(produce.Reject(error, message));

    private void HandleFetch(Fetch fetch)
    {
        var hw = _partitionLog.LogEndOffset;
        if (fetch.Offset < _partitionLog.LogStartOffset || fetch.Offset > hw)
        {
            Sender.Tell(fetch.Reject(ErrorCode.OffsetOutOfRange,
                $"Offset {fetch.Offset} is outside the log [{_partitionLog.LogStartOffset}, {hw}] of partition {_partition}") switch
            {
                FetchResult r => r with { HighWatermark = hw, LogStartOffset = _partitionLog.LogStartOffset },
                var other => other,
            });
            return;
        }
        if (fetch.MaxBytes <= 0)
        {
            Sender.Tell(fetch.Reject(ErrorCode.InvalidFetchSize, $"Fetch max bytes must be positive, got {fetch.MaxBytes}"));
            return;
        }
        if (fetch.Offset == hw)
        {
            var wait = Math.Min(fetch.MaxWaitMs, (long)_settings.MaxFetchWait.TotalMilliseconds);
            if (wait <= 0)
            {
                Sender.Tell(Empty(fetch));
                return;
            }
            var id = _nextParkedId++;
            _parked[id] = (fetch, Sender);
            Timers.StartSingleTimer(("parked", id), new ParkedFetchExpired(id), TimeSpan.FromMilliseconds(wait));
            return;
        }
        Serve(fetch, Sender);
    }

    private void Serve(Fetch fetch, IActorRef replyTo)
    {
        var batches = new List<byte[]>();
        if (_tail.TryRead(fetch.Offset, fetch.MaxBytes, batches))
        {
            replyTo.Tell(new FetchResult(_topicId, _partition, fetch.CorrelationId, ErrorCode.None, null,
                _partitionLog.LogEndOffset, _partitionLog.LogStartOffset, batches));
            return;
        }
        if (_partitionLog.Locate(fetch.Offset, fetch.MaxBytes, _settings.MaxJournalReadEvents) is not { } range)
        {
            replyTo.Tell(Empty(fetch));
            return;
        }
        Context.ActorOf(JournalReader.Props(PersistenceId, range.FromSequenceNr, range.ToSequenceNr, fetch,
            _partitionLog.LogEndOffset, _partitionLog.LogStartOffset, replyTo));
    }

    private void ServeParked()
    {
        if (_parked.Count == 0) return;
        foreach (var (id, parked) in _parked)
        {
            Timers.Cancel(("parked", id));
            Serve(parked.Request, parked.ReplyTo);
        }
        _parked.Clear();
    }

    private FetchResult Empty(Fetch fetch) => new(_topicId, _partition, fetch.CorrelationId, ErrorCode.None, null,
        _partitionLog.LogEndOffset, _partitionLog.LogStartOffset, []);

    private PartitionStatus Status() => new(_topicId, _partition, ErrorCode.None, null,
        _partitionLog.LogStartOffset, _partitionLog.LogEndOffset, _leader, _partitionLog.SizeBytes, _recoveryMs);

    private void ApplyAppended(byte[] batch, long sequenceNr)
    {
        var baseOffset = RecordBatch.BaseOffset(batch);
        var count = RecordBatch.LastOffsetDelta(batch) + 1;
        _partitionLog.Append(baseOffset, count, batch.Length, RecordBatch.MaxTimestamp(batch), sequenceNr);
        _tail.Add(baseOffset, baseOffset + count, batch);
    }

    /// <summary>Recovery time or append time stands in for the producer's last activity: it only delays expiry.</summary>
    private static void RecordProducer(ProducerStateTable table, byte[] batch) =>
        table.Record(RecordBatch.ProducerId(batch), RecordBatch.ProducerEpoch(batch), RecordBatch.BaseSequence(batch),
            RecordBatch.RecordCount(batch), RecordBatch.BaseOffset(batch), DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());

    private void ApplyLogStart(long offset)
    {
        _partitionLog.AdvanceLogStart(offset);
        _tail.TruncateBefore(offset);
    }

    /// <summary>
    /// Kafka's DeleteRecords: -1 is the high watermark, anything else outside [0, high watermark] is out of
    /// range, and an offset at or below the log start changes nothing. The move is persisted before the reply,
    /// so it holds after a restart or a hand-over.
    /// </summary>
    private void HandleDeleteRecords(DeleteRecordsBefore request)
    {
        var hw = _partitionLog.LogEndOffset;
        var offset = request.Offset == -1 ? hw : request.Offset;
        if (offset < 0 || offset > hw)
        {
            Sender.Tell(new DeleteRecordsResult(_topicId, _partition, ErrorCode.OffsetOutOfRange,
                $"Cannot delete records before offset {request.Offset}: it is outside [0, {hw}] (the high watermark)", _partitionLog.LogStartOffset));
            return;
        }
        if (offset <= _partitionLog.LogStartOffset)
        {
            Sender.Tell(new DeleteRecordsResult(_topicId, _partition, ErrorCode.None, null, _partitionLog.LogStartOffset));
            return;
        }
        var replyTo = Sender;
        Persist(new LogStartAdvanced(offset, _partitionLog.LastSequenceNrBelow(offset)), e =>
        {
            ApplyLogStart(e.LogStartOffset);
            if (e.DeletedToSequenceNr > 0) DeleteMessages(e.DeletedToSequenceNr);
            Snapshot();
            _log.Info("Partition {0}-{1}: records before {2} deleted on request", _topicId, _partition, e.LogStartOffset);
            replyTo.Tell(new DeleteRecordsResult(_topicId, _partition, ErrorCode.None, null, _partitionLog.LogStartOffset));
        });
    }

    private void ApplyRetention()
    {
        var config = _config!;
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        _producers.Expire(now, (long)_settings.ProducerIdExpiration.TotalMilliseconds);
        _writtenProducers.Expire(now, (long)_settings.ProducerIdExpiration.TotalMilliseconds);
        if (_partitionLog.Retention(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), config.RetentionMs, config.RetentionBytes) is not { } cut)
            return;
        Persist(new LogStartAdvanced(cut.NewLogStartOffset, cut.DeleteToSequenceNr), e =>
        {
            ApplyLogStart(e.LogStartOffset);
            DeleteMessages(e.DeletedToSequenceNr);
            Snapshot();
            _log.Info("Partition {0}-{1}: retention moved the log start to {2}", _topicId, _partition, e.LogStartOffset);
        });
    }

    private void Snapshot()
    {
        var (start, end, segments) = _partitionLog.Snapshot();
        SaveSnapshot(new PartitionSnapshot(start, end, segments, _writtenProducers.Snapshot()));
        _eventsSinceSnapshot = 0;
    }

    private void DeleteEverything()
    {
        foreach (var (id, parked) in _parked)
        {
            Timers.Cancel(("parked", id));
            parked.ReplyTo.Tell(parked.Request.Reject(ErrorCode.UnknownTopicOrPartition, "The topic was deleted"));
        }
        _parked.Clear();
        _tail.Clear();
        DeleteMessages(long.MaxValue);
        DeleteSnapshots(SnapshotSelectionCriteria.Latest);
        Become(Deleted);
        Context.Parent.Tell(new Passivate(PoisonPill.Instance));
    }

    protected override void PostStop()
    {
        _tail.Clear();
        base.PostStop();
    }

    protected override void OnPersistFailure(Exception cause, object @event, long sequenceNr)
    {
        // Akka stops the actor after this; the write was never acknowledged, and the next incarnation
        // recovers from what the journal really holds.
        _log.Error(cause, "Partition {0}-{1}: journal write {2} failed; restarting from the journal", _topicId, _partition, sequenceNr);
        // Tell every producer waiting on this incarnation, so it retries now instead of at its timeout.
        var (error, message) = IsDuplicateKey(cause)
            ? (ErrorCode.NotLeaderOrFollower, $"Another incarnation of this partition wrote sequence number {sequenceNr} first; this one stops")
            : (ErrorCode.KafkaStorageError, $"The journal write failed: {cause.Message}");
        while (_unwritten.TryDequeue(out var waiting)) waiting.ReplyTo.Tell(waiting.Request.Reject(error, message));
        base.OnPersistFailure(cause, @event, sequenceNr);
    }

    /// <summary>
    /// The journal's unique key on (persistence id, sequence number) refused the write: a second
    /// incarnation of this partition (e.g. on the other side of a partition, before the split-brain
    /// resolver acted) appended first. It is the last line of defence against a forked log.
    /// </summary>
    private static bool IsDuplicateKey(Exception cause)
    {
        for (var e = cause; e is not null; e = e.InnerException)
        {
            var text = e.Message;
            if (text.Contains("23505") || text.Contains("duplicate key", StringComparison.OrdinalIgnoreCase) ||
                text.Contains("UNIQUE constraint", StringComparison.OrdinalIgnoreCase))
                return true;
            if (e is AggregateException { InnerExceptions.Count: > 0 } aggregate && aggregate.InnerExceptions.Any(IsDuplicateKey)) return true;
        }
        return false;
    }

    protected override void OnPersistRejected(Exception cause, object @event, long sequenceNr)
    {
        _log.Error(cause, "Partition {0}-{1}: journal rejected write {2}", _topicId, _partition, sequenceNr);
        while (_unwritten.TryDequeue(out var waiting))
            waiting.ReplyTo.Tell(waiting.Request.Reject(ErrorCode.KafkaStorageError, $"The journal rejected the write: {cause.Message}"));
        // A rejected batch was never stored: the offsets assigned after it would leave a gap, so restart.
        Context.Stop(Self);
    }
}
