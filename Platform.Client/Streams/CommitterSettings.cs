using Akka.Actor;
using Akka.Configuration;

namespace Platform.Client.Streams;

/// <summary>
/// How Committer.Sink and Committer.Flow batch commits (Alpakka's CommitterSettings): a batch is committed
/// once it holds <see cref="MaxBatch"/> offsets or <see cref="MaxInterval"/> has passed, with up to
/// <see cref="Parallelism"/> batches committing at once. Defaults from <c>platform.client.committer</c>.
/// </summary>
public sealed record CommitterSettings
{
    public long MaxBatch { get; init; }
    public TimeSpan MaxInterval { get; init; }
    public int Parallelism { get; init; }

    public static CommitterSettings Create(ActorSystem system) => Create(system.Settings.Config);

    public static CommitterSettings Create(Config? config = null)
    {
        var c = (config ?? Config.Empty).WithFallback(ClientSettings.DefaultConfig).GetConfig("platform.client.committer");
        return new CommitterSettings
        {
            MaxBatch = c.GetLong("max-batch"),
            MaxInterval = c.GetTimeSpan("max-interval"),
            Parallelism = c.GetInt("parallelism"),
        };
    }

    public CommitterSettings WithMaxBatch(long offsets) => this with { MaxBatch = offsets > 0 ? offsets : throw new ArgumentOutOfRangeException(nameof(offsets)) };
    public CommitterSettings WithMaxInterval(TimeSpan interval) => this with { MaxInterval = interval > TimeSpan.Zero ? interval : throw new ArgumentOutOfRangeException(nameof(interval)) };
    public CommitterSettings WithParallelism(int parallelism) => this with { Parallelism = parallelism > 0 ? parallelism : throw new ArgumentOutOfRangeException(nameof(parallelism)) };
}
