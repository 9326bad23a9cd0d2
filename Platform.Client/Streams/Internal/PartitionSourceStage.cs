using Akka;
using Akka.Event;
using Akka.Streams;
using Akka.Streams.Stage;

namespace Platform.Client.Streams.Internal;

/// <summary>One partition's sub-source: reads only on demand, completes when the partition is revoked.</summary>
internal sealed class PartitionSourceStage<T> : GraphStage<SourceShape<T>>
{
    private readonly PartitionReader _reader;
    private readonly Func<ConsumerSession, ConsumeResult, T> _build;

    public PartitionSourceStage(PartitionReader reader, Func<ConsumerSession, ConsumeResult, T> build)
    {
        _reader = reader;
        _build = build;
        Out = new Outlet<T>($"partition-{reader.Partition}.out");
        Shape = new SourceShape<T>(Out);
    }

    public Outlet<T> Out { get; }

    public override SourceShape<T> Shape { get; }

    protected override GraphStageLogic CreateLogic(Attributes inheritedAttributes) => new Logic(this);

    private sealed class Logic(PartitionSourceStage<T> stage) : RecordSourceLogic<T>(stage.Shape, stage._reader.Session, stage._build)
    {
        public override void PreStart()
        {
            var revoked = GetAsyncCallback(CompleteStage);
            stage._reader.Revoked.ContinueWith(_ => revoked(), TaskContinuationOptions.ExecuteSynchronously);
            ReadAfter(stage._reader.StartAsync());
        }

        protected override Task<ConsumeResult> ReadAsync(CancellationToken token) => stage._reader.ConsumeAsync(token);

        public override void PostStop()
        {
            base.PostStop();
            var log = Log;
            stage._reader.CloseAsync().Observe(e => log.Error(e, "Closing the partition's consumer failed"));
        }
    }
}
