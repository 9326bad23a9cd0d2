using System.Diagnostics;
using Platform.Client;

namespace Platform.Specs.Client;

/// <summary>The client's one retry rule: which errors, how long between tries, until when.</summary>
public sealed class RetryPolicySpecs
{
    private static readonly RetryPolicy Policy = new(TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(1));

    [Theory]
    [InlineData(ErrorCode.NetworkException)]
    [InlineData(ErrorCode.RequestTimedOut)]
    [InlineData(ErrorCode.NotLeaderOrFollower)]
    [InlineData(ErrorCode.LeaderNotAvailable)]
    [InlineData(ErrorCode.CoordinatorNotAvailable)]
    [InlineData(ErrorCode.NotCoordinator)]
    [InlineData(ErrorCode.CoordinatorLoadInProgress)]
    public void Errors_of_a_moving_cluster_are_retried(ErrorCode code) => Assert.True(RetryPolicy.IsRetriable(code));

    [Theory]
    [InlineData(ErrorCode.UnknownTopicOrPartition)]
    [InlineData(ErrorCode.InvalidRecord)]
    [InlineData(ErrorCode.UnknownMemberId)]
    [InlineData(ErrorCode.UnknownProducerId)]
    public void Errors_that_another_try_cannot_cure_are_not(ErrorCode code) => Assert.False(RetryPolicy.IsRetriable(code));

    [Fact]
    public void A_produced_batch_also_retries_an_unknown_producer_id_under_a_fresh_one() =>
        Assert.True(RetryPolicy.IsRetriableProduce(ErrorCode.UnknownProducerId));

    [Fact]
    public void The_backoff_doubles_with_each_failure_up_to_its_maximum_with_jitter_of_a_fifth()
    {
        for (var i = 0; i < 200; i++)
        {
            Assert.InRange(Policy.Backoff(1).TotalMilliseconds, 80, 120);
            Assert.InRange(Policy.Backoff(2).TotalMilliseconds, 160, 240);
            Assert.InRange(Policy.Backoff(4).TotalMilliseconds, 640, 960);
            Assert.InRange(Policy.Backoff(50).TotalMilliseconds, 800, 1200);
        }
        var samples = Enumerable.Range(0, 50).Select(_ => Policy.Backoff(1)).Distinct().Count();
        Assert.True(samples > 10, "the pauses are jittered");
    }

    [Fact]
    public void A_limited_policy_stops_after_its_retries()
    {
        var limited = new RetryPolicy(TimeSpan.FromMilliseconds(1), TimeSpan.FromMilliseconds(1), maxRetries: 2);
        Assert.True(limited.ShouldRetry(ErrorCode.NetworkException, 2));
        Assert.False(limited.ShouldRetry(ErrorCode.NetworkException, 3));
        Assert.False(limited.ShouldRetry(ErrorCode.InvalidRecord, 1));
    }

    [Fact]
    public async Task A_request_is_retried_until_it_succeeds_within_its_deadline()
    {
        var tries = 0;
        var retried = new List<ErrorCode>();
        var result = await Policy.RunAsync(() => ++tries < 3
            ? throw new PlatformException(ErrorCode.LeaderNotAvailable, "moving")
            : Task.FromResult(tries), TimeSpan.FromSeconds(10), onRetry: e => retried.Add(e.Code));
        Assert.Equal(3, result);
        Assert.Equal([ErrorCode.LeaderNotAvailable, ErrorCode.LeaderNotAvailable], retried);
    }

    [Fact]
    public async Task A_request_that_keeps_failing_retriably_fails_with_its_error_once_the_deadline_has_passed()
    {
        var watch = Stopwatch.StartNew();
        var error = await Assert.ThrowsAsync<PlatformException>(() =>
            Policy.RunAsync<int>(() => throw new PlatformException(ErrorCode.NetworkException, "gone"), TimeSpan.FromMilliseconds(700)));
        Assert.Equal(ErrorCode.NetworkException, error.Code);
        Assert.InRange(watch.ElapsedMilliseconds, 150, 5000);
        // The error last seen, with how often and how long it was tried: not a generic "unreachable".
        Assert.StartsWith("gone (the last error of ", error.Reason);
        Assert.Matches(@"tries over \d+\.\d s; the deadline was 0\.7 s\)$", error.Reason);
    }

    [Fact]
    public async Task A_request_failing_with_an_error_that_is_not_retriable_fails_at_once()
    {
        var tries = 0;
        var error = await Assert.ThrowsAsync<PlatformException>(() => Policy.RunAsync<int>(() =>
        {
            tries++;
            throw new PlatformException(ErrorCode.InvalidRecord, "bad");
        }, TimeSpan.FromSeconds(10)));
        Assert.Equal((ErrorCode.InvalidRecord, 1), (error.Code, tries));
    }
}
