using Platform.Client;
using Platform.Specs.Support;

namespace Platform.Specs.Client;

/// <summary>The client's fire-and-forget tasks report what nobody expected, and stay quiet when merely cancelled.</summary>
public sealed class BackgroundWorkSpecs
{
    [Fact]
    public async Task A_failing_background_task_reports_its_exception()
    {
        Exception? reported = null;
        Task.Run(() => throw new InvalidOperationException("boom")).Observe(e => reported = e);
        await Eventually.TrueAsync(() => reported is not null, "the exception reported");
        Assert.Equal("boom", Assert.IsType<InvalidOperationException>(reported).Message);
    }

    [Fact]
    public async Task A_cancelled_or_finished_background_task_reports_nothing()
    {
        var reported = 0;
        using var cancel = new CancellationTokenSource();
        var cancelled = Task.Delay(Timeout.Infinite, cancel.Token);
        cancelled.Observe(_ => reported++);
        Task.CompletedTask.Observe(_ => reported++);
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
        Assert.Equal(0, reported);
    }
}
