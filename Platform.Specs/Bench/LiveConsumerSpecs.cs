using Platform.Bench;

namespace Platform.Specs.Bench;

/// <summary>
/// A benchmark reports every failure of the tasks it started (issue #16, item 3): when producing fails, the live
/// consumer is awaited and its own failure printed, and the producing error is what the run ends with.
/// </summary>
public sealed class LiveConsumerSpecs
{
    [Fact]
    public async Task A_failed_produce_waits_for_the_live_consumer_and_reports_its_failure_too()
    {
        var consumerFailed = new TaskCompletionSource<long>();
        var error = new StringWriter();
        var thrown = await Assert.ThrowsAsync<InvalidOperationException>(() => LiveConsumer.ProduceBesideAsync(consumerFailed.Task, async () =>
        {
            await Task.Yield();
            consumerFailed.SetException(new IOException("the consumer lost its connection"));
            throw new InvalidOperationException("the producer failed");
        }, error));
        Assert.Equal("the producer failed", thrown.Message);
        Assert.Contains("the live consumer failed too: the consumer lost its connection", error.ToString());
    }

    [Fact]
    public async Task A_successful_produce_leaves_the_live_consumer_to_the_run()
    {
        var live = new TaskCompletionSource<long>();
        await LiveConsumer.ProduceBesideAsync(live.Task, () => Task.CompletedTask);
        Assert.False(live.Task.IsCompleted); // not awaited here: the run waits for its figures afterwards
    }
}
