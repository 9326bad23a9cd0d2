using Akka;
using Akka.Streams;
using Akka.Streams.Stage;

namespace Platform.Client.Streams.Internal;

/// <summary>
/// The stage behind PlainSink: FlexiFlow's flow control without results. It pulls while fewer than the
/// settings' parallelism records (and max-buffered-bytes) are unacknowledged, and when the oldest record's
/// batch is acknowledged it drops every acknowledged record at once, so a whole batch costs one async
/// callback. A failed delivery fails the stream and the materialized task: the producer has already retried
/// it (in order, idempotently, until its delivery timeout).
/// </summary>
internal sealed class ProducerSinkStage : GraphStageWithMaterializedValue<SinkShape<ProducerRecord>, Task<Done>>
{
    private readonly ProducerSettings _settings;
    private readonly PlatformConnection? _connection;

    public ProducerSinkStage(ProducerSettings settings, PlatformConnection? connection)
    {
        _settings = settings;
        _connection = connection;
        Shape = new SinkShape<ProducerRecord>(In);
    }

    public Inlet<ProducerRecord> In { get; } = new("platform-plain-sink.in");

    public override SinkShape<ProducerRecord> Shape { get; }

    protected override Attributes InitialAttributes { get; } = Attributes.CreateName("platform-plain-sink");

    public override ILogicAndMaterializedValue<Task<Done>> CreateLogicAndMaterializedValue(Attributes inheritedAttributes)
    {
        var stageConnection = _connection is null ? StageConnection.Owned(_settings.BootstrapServers, _settings.ConnectionConfig()) : StageConnection.Shared(_connection);
        var completion = new TaskCompletionSource<Done>(TaskCreationOptions.RunContinuationsAsynchronously);
        return new LogicAndMaterializedValue<Task<Done>>(new Logic(this, new ProducerClient(_settings, stageConnection), completion), completion.Task);
    }

    private readonly record struct InFlight(ProducerRecord Record, Task<DeliveryResult> Delivery, int Size);

    private sealed class Logic : InGraphStageLogic
    {
        private readonly ProducerSinkStage _stage;
        private readonly ProducerClient _client;
        private readonly TaskCompletionSource<Done> _completion;
        private Queue<InFlight> _inFlight = new();
        private Action? _onOldestDone;
        private bool _watching;
        private long _bytes;

        public Logic(ProducerSinkStage stage, ProducerClient client, TaskCompletionSource<Done> completion) : base(stage.Shape)
        {
            _stage = stage;
            _client = client;
            _completion = completion;
            SetHandler(stage.In, this);
        }

        public override void PreStart()
        {
            SetKeepGoing(true); // after upstream finishes, the stage lives on until the last record is acknowledged
            _onOldestDone = GetAsyncCallback(() =>
            {
                _watching = false;
                Progress();
            });
            var connected = GetAsyncCallback<Task<PlatformConnection>>(connect =>
            {
                if (!connect.IsCompletedSuccessfully)
                {
                    Fail(TaskFailure.Of(connect));
                    return;
                }
                _client.Use(connect.Result);
                PullIfRoom();
            });
            _client.ConnectAsync().ContinueWith(t => connected(t), TaskContinuationOptions.ExecuteSynchronously);
        }

        public override void OnPush()
        {
            var record = Grab(_stage.In);
            var size = record.EstimatedSize;
            _inFlight.Enqueue(new InFlight(record, _client.Send(record), size));
            _bytes += size;
            Progress();
        }

        public override void OnUpstreamFinish() => Progress();

        public override void OnUpstreamFailure(Exception e) => Fail(e);

        /// <summary>Drops every acknowledged record from the front, pulls while there is room, watches the oldest still open.</summary>
        private void Progress()
        {
            while (_inFlight.TryPeek(out var oldest) && oldest.Delivery.IsCompleted)
            {
                if (!oldest.Delivery.IsCompletedSuccessfully)
                {
                    Fail(TaskFailure.Of(oldest.Delivery));
                    return;
                }
                _inFlight.Dequeue();
                _bytes -= oldest.Size;
            }
            if (_inFlight.Count == 0 && IsClosed(_stage.In))
            {
                _completion.TrySetResult(Done.Instance);
                CompleteStage();
                return;
            }
            PullIfRoom();
            if (!_watching && _inFlight.TryPeek(out var open))
            {
                _watching = true;
                open.Delivery.ContinueWith(_ => _onOldestDone!(), TaskContinuationOptions.ExecuteSynchronously);
            }
        }

        private void PullIfRoom()
        {
            if (_client.IsOpen && _inFlight.Count < _client.Settings.Parallelism && _bytes < _client.Settings.MaxBufferedBytes &&
                !HasBeenPulled(_stage.In) && !IsClosed(_stage.In))
                Pull(_stage.In);
        }

        private void Fail(Exception error)
        {
            _completion.TrySetException(error);
            FailStage(error);
        }

        public override void PostStop()
        {
            _completion.TrySetException(new AbruptStageTerminationException(this));
            _client.CloseInBackground();
        }
    }
}
