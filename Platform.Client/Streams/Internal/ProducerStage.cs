using Akka.Streams;
using Akka.Streams.Stage;

namespace Platform.Client.Streams.Internal;

/// <summary>
/// The stage behind FlexiFlow (and CommittableSink): hands each envelope's records to a
/// <see cref="PlatformProducer"/> and emits the envelopes' results in arrival order once their records are
/// stored. It pulls only while fewer than the settings' parallelism records (and max-buffered-bytes) are
/// in flight, so a slow or stalled node backpressures the stream instead of filling memory. Records that
/// fail with a retriable error are sent again (over a new connection when the node stopped answering and
/// the stage owns its connection); any other error fails the stream with the <see cref="PlatformException"/>.
/// </summary>
internal sealed class ProducerStage<TPassThrough> : GraphStage<FlowShape<IEnvelope<TPassThrough>, IResults<TPassThrough>>>
{
    private readonly ProducerSettings _settings;
    private readonly PlatformConnection? _connection;

    public ProducerStage(ProducerSettings settings, PlatformConnection? connection)
    {
        _settings = settings;
        _connection = connection;
        Shape = new FlowShape<IEnvelope<TPassThrough>, IResults<TPassThrough>>(In, Out);
    }

    public Inlet<IEnvelope<TPassThrough>> In { get; } = new("platform-producer.in");

    public Outlet<IResults<TPassThrough>> Out { get; } = new("platform-producer.out");

    public override FlowShape<IEnvelope<TPassThrough>, IResults<TPassThrough>> Shape { get; }

    protected override Attributes InitialAttributes { get; } = Attributes.CreateName("platform-producer");

    protected override GraphStageLogic CreateLogic(Attributes inheritedAttributes)
    {
        var stageConnection = _connection is null ? StageConnection.Owned(_settings.BootstrapServers, _settings.ConnectionConfig()) : StageConnection.Shared(_connection);
        return new Logic(this, new ProducerClient(_settings, stageConnection));
    }

    /// <summary>An envelope in flight: one delivery task per record, in the envelope's order.</summary>
    private sealed class Entry(IEnvelope<TPassThrough> envelope, Task<DeliveryResult>[] deliveries, long bytes)
    {
        public IEnvelope<TPassThrough> Envelope { get; } = envelope;
        public Task<DeliveryResult>[] Deliveries { get; } = deliveries;
        public long Bytes { get; } = bytes;

        public bool IsCompleted
        {
            get
            {
                foreach (var delivery in Deliveries)
                    if (!delivery.IsCompleted) return false;
                return true;
            }
        }

        public Task<DeliveryResult>? FirstFailed
        {
            get
            {
                foreach (var delivery in Deliveries)
                    if (!delivery.IsCompletedSuccessfully) return delivery;
                return null;
            }
        }

        public Task Completion => Deliveries.Length == 1 ? Deliveries[0] : Task.WhenAll(Deliveries);
    }

    private sealed class Logic : GraphStageLogic, IInHandler, IOutHandler
    {
        private readonly ProducerStage<TPassThrough> _stage;
        private readonly ProducerClient _client;
        private readonly Queue<Entry> _inFlight = new();
        private Action? _onHeadCompleted;
        private Entry? _watched;
        private long _records;
        private long _bytes;

        public Logic(ProducerStage<TPassThrough> stage, ProducerClient client) : base(stage.Shape)
        {
            _stage = stage;
            _client = client;
            SetHandler(stage.In, this);
            SetHandler(stage.Out, this);
        }

        private ProducerSettings Settings => _client.Settings;

        public override void PreStart()
        {
            _onHeadCompleted = GetAsyncCallback(() =>
            {
                _watched = null;
                Progress();
            });
            var connected = GetAsyncCallback<Task<PlatformConnection>>(connect =>
            {
                if (!connect.IsCompletedSuccessfully)
                {
                    FailStage(TaskFailure.Of(connect));
                    return;
                }
                _client.Use(connect.Result);
                PullIfRoom();
            });
            _client.ConnectAsync().ContinueWith(t => connected(t), TaskContinuationOptions.ExecuteSynchronously);
        }

        public void OnPush()
        {
            var envelope = Grab(_stage.In);
            Entry entry;
            switch (envelope)
            {
                case SingleMessage<TPassThrough> single:
                    entry = new Entry(envelope, [_client.Send(single.Record)], single.Record.EstimatedSize);
                    break;
                default:
                    var records = envelope.Records;
                    var deliveries = new Task<DeliveryResult>[records.Count];
                    long bytes = 0;
                    for (var i = 0; i < records.Count; i++)
                    {
                        deliveries[i] = _client.Send(records[i]);
                        bytes += records[i].EstimatedSize;
                    }
                    entry = new Entry(envelope, deliveries, bytes);
                    break;
            }
            _inFlight.Enqueue(entry);
            _records += entry.Deliveries.Length;
            _bytes += entry.Bytes;
            Progress();
        }

        public void OnPull() => Progress();

        public void OnUpstreamFinish()
        {
            if (_inFlight.Count == 0) CompleteStage();
        }

        public void OnUpstreamFailure(Exception e) => FailStage(e);

        public void OnDownstreamFinish(Exception cause) => CompleteStage();

        /// <summary>Emits the head's result when it is done and downstream wants it; pulls while there is room; watches the head.</summary>
        private void Progress()
        {
            if (_inFlight.TryPeek(out var head) && head.IsCompleted && IsAvailable(_stage.Out))
            {
                if (head.FirstFailed is { } failed)
                {
                    // The producer has retried already (in order, idempotently, until its delivery timeout):
                    // what fails here is final. Sending it again from here would give it new sequence numbers.
                    FailStage(TaskFailure.Of(failed));
                    return;
                }
                _inFlight.Dequeue();
                _records -= head.Deliveries.Length;
                _bytes -= head.Bytes;
                Push(_stage.Out, Result(head));
                if (_inFlight.Count == 0 && IsClosed(_stage.In))
                {
                    CompleteStage();
                    return;
                }
            }
            PullIfRoom();
            if (_watched is null && _inFlight.TryPeek(out var next) && !next.IsCompleted)
            {
                _watched = next;
                next.Completion.ContinueWith(_ => _onHeadCompleted!(), TaskContinuationOptions.ExecuteSynchronously);
            }
        }

        private void PullIfRoom()
        {
            if (_client.IsOpen && _records < Settings.Parallelism && _bytes < Settings.MaxBufferedBytes &&
                !HasBeenPulled(_stage.In) && !IsClosed(_stage.In))
                Pull(_stage.In);
        }

        private static IResults<TPassThrough> Result(Entry entry) => entry.Envelope switch
        {
            SingleMessage<TPassThrough> single => new Result<TPassThrough>(entry.Deliveries[0].Result, single.Record, single.PassThrough),
            PassThroughMessage<TPassThrough> pass => new PassThroughResult<TPassThrough>(pass.PassThrough),
            var multi => new MultiResult<TPassThrough>(multi.Records.Select((r, i) => (entry.Deliveries[i].Result, r)).ToList(), multi.PassThrough),
        };

        public override void PostStop() => _client.CloseInBackground();
    }
}
