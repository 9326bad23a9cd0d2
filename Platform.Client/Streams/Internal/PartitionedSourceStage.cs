using Akka;
using Akka.Event;
using Akka.Streams;
using Akka.Streams.Dsl;
using Akka.Streams.Stage;

namespace Platform.Client.Streams.Internal;

/// <summary>
/// The stage behind the partitioned sources: emits one (partition, sub-source) per partition the group
/// assigns (or per partition of a manual assignment), when downstream pulls; completes a sub-source when
/// its partition is revoked. The session's own consumer only holds the membership and commits; each
/// sub-source reads through a <see cref="PartitionReader"/>.
/// </summary>
internal sealed class PartitionedSourceStage<T> : GraphStageWithMaterializedValue<SourceShape<(TopicPartition Partition, Source<T, NotUsed> Source)>, IControl>
{
    private readonly ConsumerSettings _settings;
    private readonly ISubscription _subscription;
    private readonly bool _committable;
    private readonly PlatformConnection? _connection;
    private readonly Func<ConsumerSession, ConsumeResult, T> _build;

    public PartitionedSourceStage(string name, ConsumerSettings settings, ISubscription subscription, bool committable,
        PlatformConnection? connection, Func<ConsumerSession, ConsumeResult, T> build)
    {
        _settings = settings;
        _subscription = subscription;
        _committable = committable;
        _connection = connection;
        _build = build;
        Out = new Outlet<(TopicPartition, Source<T, NotUsed>)>(name + ".out");
        Shape = new SourceShape<(TopicPartition, Source<T, NotUsed>)>(Out);
        InitialAttributes = Attributes.CreateName(name);
    }

    public Outlet<(TopicPartition Partition, Source<T, NotUsed> Source)> Out { get; }

    public override SourceShape<(TopicPartition Partition, Source<T, NotUsed> Source)> Shape { get; }

    protected override Attributes InitialAttributes { get; }

    public override ILogicAndMaterializedValue<IControl> CreateLogicAndMaterializedValue(Attributes inheritedAttributes)
    {
        var stageConnection = _connection is null ? StageConnection.Owned(_settings.BootstrapServers, _settings.ConnectionConfig()) : StageConnection.Shared(_connection);
        var session = new ConsumerSession(_settings, _subscription, _committable, stageConnection) { MembershipOnly = true };
        var readers = new Readers();
        var control = new PartitionedControl(new SourceControl(session), readers);
        return new LogicAndMaterializedValue<IControl>(new Logic(this, control, stageConnection, readers), control);
    }

    /// <summary>The readers of the partitions emitted so far, shared with the group's revoke hook (another thread).</summary>
    private sealed class Readers
    {
        private readonly Dictionary<TopicPartition, PartitionReader> _readers = new();

        public void Add(PartitionReader reader)
        {
            lock (_readers) _readers[reader.Partition] = reader;
        }

        public Task CloseAsync(IEnumerable<TopicPartition>? partitions)
        {
            List<PartitionReader> closing;
            lock (_readers)
            {
                closing = partitions is null ? _readers.Values.ToList() : partitions.Select(p => _readers.GetValueOrDefault(p)).OfType<PartitionReader>().ToList();
                foreach (var reader in closing) _readers.Remove(reader.Partition);
            }
            return Task.WhenAll(closing.Select(r => r.CloseAsync()));
        }
    }

    /// <summary>Stop also completes every sub-source; Shutdown then closes their readers with the session.</summary>
    private sealed class PartitionedControl(SourceControl inner, Readers readers) : IControl
    {
        public SourceControl Inner { get; } = inner;

        public async Task Stop()
        {
            await Inner.Stop();
            await readers.CloseAsync(null);
        }

        public async Task Shutdown()
        {
            await Stop();
            await Inner.Shutdown();
        }

        public Task IsShutdown => Inner.IsShutdown;

        public async Task<TResult> DrainAndShutdown<TResult>(Task<TResult> streamCompletion)
        {
            await Stop();
            try
            {
                return await streamCompletion;
            }
            finally
            {
                await Shutdown();
            }
        }
    }

    private sealed class Logic : OutGraphStageLogic
    {
        private readonly PartitionedSourceStage<T> _stage;
        private readonly PartitionedControl _control;
        private readonly ConsumerSession _session;
        private readonly StageConnection _stageConnection;
        private readonly Readers _readers;
        private readonly LinkedList<(TopicPartition Partition, long? Offset)> _pending = new();

        public Logic(PartitionedSourceStage<T> stage, PartitionedControl control, StageConnection stageConnection, Readers readers) : base(stage.Shape)
        {
            _stage = stage;
            _control = control;
            _session = control.Inner.Session;
            _stageConnection = stageConnection;
            _readers = readers;
            SetHandler(stage.Out, this);
        }

        public override void PreStart()
        {
            var stop = GetAsyncCallback(CompleteStage);
            _control.Inner.Attach(() => stop());
            var assigned = GetAsyncCallback<IReadOnlyList<TopicPartition>>(partitions => Enqueue(partitions.Select(p => (p, (long?)null))));
            var revoked = GetAsyncCallback<IReadOnlyList<TopicPartition>>(partitions =>
            {
                foreach (var partition in partitions)
                    for (var node = _pending.First; node is not null; node = node.Next)
                        if (node.Value.Partition == partition)
                        {
                            _pending.Remove(node);
                            break;
                        }
            });
            _session.Assigned = partitions => assigned(partitions);
            _session.Revoking = partitions =>
            {
                revoked(partitions);
                return _readers.CloseAsync(partitions);
            };
            var started = GetAsyncCallback<Task>(start =>
            {
                if (!start.IsCompletedSuccessfully)
                {
                    FailStage(TaskFailure.Of(start));
                    return;
                }
                if (_stage._subscription is AssignmentSubscription assignment) Enqueue(assignment.Partitions);
            });
            _session.StartAsync().ContinueWith(t => started(t), TaskContinuationOptions.ExecuteSynchronously);
        }

        private void Enqueue(IEnumerable<(TopicPartition, long?)> partitions)
        {
            foreach (var partition in partitions) _pending.AddLast(partition);
            if (IsAvailable(_stage.Out)) OnPull();
        }

        public override void OnPull()
        {
            if (_pending.First is not { } next) return;
            _pending.RemoveFirst();
            var reader = new PartitionReader(_session, next.Value.Partition, next.Value.Offset);
            _readers.Add(reader);
            Push(_stage.Out, (next.Value.Partition, Source.FromGraph(new PartitionSourceStage<T>(reader, _stage._build))));
        }

        public override void OnDownstreamFinish(Exception cause) => CompleteStage();

        public override void PostStop()
        {
            _control.Inner.StageStopped();
            if (_control.Inner.StopRequested) return;
            var log = Log;
            _readers.CloseAsync(null).Observe(e => log.Error(e, "Closing the partitions' consumers failed"));
            _session.CloseAsync(waitForCommits: _stage._committable).Observe(e => log.Error(e, "Closing the source's consumer failed"));
        }
    }
}
