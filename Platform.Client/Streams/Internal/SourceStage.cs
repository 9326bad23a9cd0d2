using Akka.Event;
using Akka.Streams;
using Akka.Streams.Stage;

namespace Platform.Client.Streams.Internal;

/// <summary>
/// The stage behind every single source (plain, committable, with offset context): reads a record from its
/// session only when downstream pulls, so nothing is taken from the consumer beyond demand, and the
/// consumer's bounded buffer (max-poll-records) is all that is fetched ahead. A buffered record is pushed
/// at once; otherwise the read completes through an async callback.
/// </summary>
internal sealed class SourceStage<T> : GraphStageWithMaterializedValue<SourceShape<T>, IControl>
{
    private readonly ConsumerSettings _settings;
    private readonly ISubscription _subscription;
    private readonly bool _committable;
    private readonly PlatformConnection? _connection;
    private readonly Func<ConsumerSession, ConsumeResult, T> _build;

    public SourceStage(string name, ConsumerSettings settings, ISubscription subscription, bool committable, PlatformConnection? connection,
        Func<ConsumerSession, ConsumeResult, T> build)
    {
        _settings = settings;
        _subscription = subscription;
        _committable = committable;
        _connection = connection;
        _build = build;
        Out = new Outlet<T>(name + ".out");
        Shape = new SourceShape<T>(Out);
        InitialAttributes = Attributes.CreateName(name);
    }

    public Outlet<T> Out { get; }

    public override SourceShape<T> Shape { get; }

    protected override Attributes InitialAttributes { get; }

    public override ILogicAndMaterializedValue<IControl> CreateLogicAndMaterializedValue(Attributes inheritedAttributes)
    {
        var stageConnection = _connection is null ? StageConnection.Owned(_settings.BootstrapServers, _settings.ConnectionConfig()) : StageConnection.Shared(_connection);
        var control = new SourceControl(new ConsumerSession(_settings, _subscription, _committable, stageConnection));
        return new LogicAndMaterializedValue<IControl>(new Logic(this, control, stageConnection), control);
    }

    private sealed class Logic : RecordSourceLogic<T>
    {
        private readonly SourceStage<T> _stage;
        private readonly SourceControl _control;
        private readonly StageConnection _stageConnection;

        public Logic(SourceStage<T> stage, SourceControl control, StageConnection stageConnection) : base(stage.Shape, control.Session, stage._build)
        {
            _stage = stage;
            _control = control;
            _stageConnection = stageConnection;
        }

        public override void PreStart()
        {
            var stop = GetAsyncCallback(CompleteStage);
            _control.Attach(() => stop());
            ReadAfter(Session.StartAsync());
        }

        protected override Task<ConsumeResult> ReadAsync(CancellationToken token) => Session.ConsumeAsync(token);

        public override void OnDownstreamFinish(Exception cause) => CompleteStage();

        public override void PostStop()
        {
            base.PostStop();
            _control.StageStopped();
            // Stop keeps the consumer open for the stream's commits until Shutdown; anything else
            // (cancellation, failure, the materializer going away) closes it now.
            if (_control.StopRequested) return;
            var log = Log;
            Session.CloseAsync(waitForCommits: _stage._committable).Observe(e => log.Error(e, "Closing the source's consumer failed"));
        }
    }
}
