using Akka.Streams;
using Akka.Streams.Stage;

namespace Platform.Client.Streams.Internal;

/// <summary>
/// Gathers committables into batches (highest offset per partition), emitting one when it holds max-batch
/// offsets, when max-interval has passed since the last emission, or when upstream finishes. While
/// downstream is busy committing it goes on gathering, up to max-batch offsets, then backpressures.
/// </summary>
internal sealed class CommitCollectorStage : GraphStage<FlowShape<ICommittable, ICommittableOffsetBatch>>
{
    private readonly CommitterSettings _settings;

    public CommitCollectorStage(CommitterSettings settings)
    {
        _settings = settings;
        Shape = new FlowShape<ICommittable, ICommittableOffsetBatch>(In, Out);
    }

    public Inlet<ICommittable> In { get; } = new("committer.in");

    public Outlet<ICommittableOffsetBatch> Out { get; } = new("committer.out");

    public override FlowShape<ICommittable, ICommittableOffsetBatch> Shape { get; }

    protected override Attributes InitialAttributes { get; } = Attributes.CreateName("platform-commit-collector");

    protected override GraphStageLogic CreateLogic(Attributes inheritedAttributes) => new Logic(this);

    private sealed class Logic : TimerGraphStageLogic, IInHandler, IOutHandler
    {
        private const string Interval = "commit-interval";
        private readonly CommitCollectorStage _stage;
        private Dictionary<GroupTopicPartition, (long Offset, ICommitter Committer)> _batch = new();
        private long _count;
        private bool _due;

        public Logic(CommitCollectorStage stage) : base(stage.Shape)
        {
            _stage = stage;
            SetHandler(stage.In, this);
            SetHandler(stage.Out, this);
        }

        public override void PreStart()
        {
            ScheduleOnce(Interval, _stage._settings.MaxInterval);
            Pull(_stage.In);
        }

        public void OnPush()
        {
            Add(Grab(_stage.In));
            if (_count >= _stage._settings.MaxBatch) _due = true;
            if (_due) Emit();
            if (_count < _stage._settings.MaxBatch) Pull(_stage.In);
        }

        private void Add(ICommittable committable)
        {
            switch (committable)
            {
                case CommittableOffset offset:
                    Put(offset.PartitionOffset.Key, offset.PartitionOffset.Offset, offset.Committer);
                    _count++;
                    break;
                case CommittableOffsetBatch batch:
                    foreach (var (key, value) in batch.Entries) Put(key, value.Offset, value.Committer);
                    _count += batch.BatchSize;
                    break;
                default:
                    throw new ArgumentException($"{committable.GetType().Name} did not come from a Platform source");
            }
        }

        private void Put(GroupTopicPartition key, long offset, ICommitter committer)
        {
            if (!_batch.TryGetValue(key, out var current) || current.Offset < offset) _batch[key] = (offset, committer);
        }

        public void OnPull()
        {
            if (_due) Emit();
            if (!HasBeenPulled(_stage.In) && !IsClosed(_stage.In)) Pull(_stage.In);
        }

        /// <summary>Pushes the batch if downstream can take it; otherwise it stays due for the next pull.</summary>
        private void Emit()
        {
            if (_count == 0)
            {
                _due = false;
                return;
            }
            if (!IsAvailable(_stage.Out)) return;
            Push(_stage.Out, CommittableOffsetBatch.From(_batch, _count));
            _batch = new Dictionary<GroupTopicPartition, (long, ICommitter)>();
            _count = 0;
            _due = false;
            ScheduleOnce(Interval, _stage._settings.MaxInterval);
            if (IsClosed(_stage.In)) CompleteStage();
        }

        protected override void OnTimer(object timerKey)
        {
            _due = _count > 0;
            if (_due) Emit();
            else ScheduleOnce(Interval, _stage._settings.MaxInterval);
        }

        public void OnUpstreamFinish()
        {
            if (_count == 0) CompleteStage();
            else
            {
                _due = true;
                Emit();
            }
        }

        public void OnUpstreamFailure(Exception e) => FailStage(e);

        public void OnDownstreamFinish(Exception cause) => CompleteStage();
    }
}
