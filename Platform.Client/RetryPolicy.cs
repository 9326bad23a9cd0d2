namespace Platform.Client;

/// <summary>
/// The client's one retry rule, used by every path (metadata, admin, produce, fetch, group membership,
/// commit): which errors are worth another try (<see cref="IsRetriable"/>), how long to wait before it
/// (exponential from retry-backoff up to retry-backoff-max, with ±20 % jitter as Kafka's KIP-580, so that
/// the clients of a node that went away do not come back in step), and until when: a deadline (the request
/// timeout for one request, the delivery timeout for a producer's record) and, for the stream stages, a
/// number of tries. Why one class: hand-written loops drifted apart (one retried a metadata lookup for the
/// request timeout while its records had the delivery timeout left; another knew fewer retriable codes).
/// </summary>
internal sealed class RetryPolicy
{
    private const double Jitter = 0.2;

    private readonly TimeSpan _backoff;
    private readonly TimeSpan _maxBackoff;
    private readonly int _maxRetries;

    public RetryPolicy(TimeSpan backoff, TimeSpan maxBackoff, int maxRetries = int.MaxValue)
    {
        _backoff = backoff;
        _maxBackoff = maxBackoff < backoff ? backoff : maxBackoff;
        _maxRetries = maxRetries;
    }

    /// <summary>
    /// Kafka's retriable errors (see <see cref="ErrorCodeExtensions.IsRetriable"/>) and those that say "ask
    /// elsewhere" (a coordinator that moved or is loading): every request here is re-routed when retried.
    /// </summary>
    public static bool IsRetriable(ErrorCode code) =>
        code.IsRetriable() || code is ErrorCode.NotCoordinator or ErrorCode.CoordinatorLoadInProgress;

    /// <summary>
    /// For a produced batch, also UNKNOWN_PRODUCER_ID: the partition forgot this producer (its state was
    /// trimmed), and the producer retries under a fresh producer id (KIP-360) instead of failing the batch.
    /// </summary>
    public static bool IsRetriableProduce(ErrorCode code) => IsRetriable(code) || code == ErrorCode.UnknownProducerId;

    /// <summary>
    /// How long KAFKA_STORAGE_ERROR may answer in a row before <see cref="RunAsync{T}"/> gives up on it (the
    /// producer's storage-error-timeout); infinite leaves it to the deadline.
    /// </summary>
    public TimeSpan StorageErrorTimeout { get; init; } = Timeout.InfiniteTimeSpan;

    /// <summary>The pause after the <paramref name="failures"/>-th failure in a row (1 for the first), jittered.</summary>
    public TimeSpan Backoff(int failures)
    {
        var exponent = Math.Clamp(failures - 1, 0, 20);
        var ms = Math.Min(_backoff.TotalMilliseconds * Math.Pow(2, exponent), _maxBackoff.TotalMilliseconds);
        return TimeSpan.FromMilliseconds(ms * (1 + Jitter * (2 * Random.Shared.NextDouble() - 1)));
    }

    /// <summary>Whether an error that is the <paramref name="failures"/>-th in a row may be retried (ignoring time).</summary>
    public bool ShouldRetry(ErrorCode code, int failures) => IsRetriable(code) && failures <= _maxRetries;

    /// <summary>
    /// Runs <paramref name="request"/> again while it fails retriably, pausing <see cref="Backoff"/> between
    /// tries, as long as the next try starts before <paramref name="timeout"/> has passed. Only for requests
    /// that are safe to repeat; <paramref name="onRetry"/> sees each error that is retried.
    /// </summary>
    public async Task<T> RunAsync<T>(Func<Task<T>> request, TimeSpan timeout, CancellationToken cancellationToken = default,
        Action<PlatformException>? onRetry = null)
    {
        var started = DateTime.UtcNow;
        var deadline = started + timeout;
        DateTime? storageFailingSince = null;
        for (var failures = 1; ; failures++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                return await request();
            }
            catch (PlatformException e) when (StorageGaveUp(e.Code, ref storageFailingSince))
            {
                throw StorageFailed(e, storageFailingSince!.Value, failures);
            }
            catch (PlatformException e) when (ShouldRetry(e.Code, failures) && Pause(failures, deadline) is { } pause)
            {
                onRetry?.Invoke(e);
                await Task.Delay(pause, cancellationToken);
            }
            catch (PlatformException e) when (failures > 1 && ShouldRetry(e.Code, failures))
            {
                throw GaveUp(e, failures, DateTime.UtcNow - started, timeout);
            }
        }
    }

    /// <summary>
    /// The error a caller sees when retries run out: the last one actually seen (connection refused, a storage
    /// error, a request that was not answered), with how long it was tried against which deadline, never a
    /// generic "unreachable" that hides what went wrong.
    /// </summary>
    public static PlatformException GaveUp(PlatformException last, int tries, TimeSpan elapsed, TimeSpan timeout) =>
        new(last.Code, string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"{last.Reason} (the last error of {tries} tries over {elapsed.TotalSeconds:0.0} s; the deadline was {timeout.TotalSeconds:0.###} s)"));

    /// <summary>
    /// Tracks a run of KAFKA_STORAGE_ERROR answers (<paramref name="since"/> is when it began, null after any other
    /// answer) and says whether it has outlasted <see cref="StorageErrorTimeout"/>.
    /// </summary>
    public bool StorageGaveUp(ErrorCode code, ref DateTime? since)
    {
        var now = DateTime.UtcNow;
        since = code == ErrorCode.KafkaStorageError ? since ?? now : null;
        return since is { } start && StorageErrorTimeout != Timeout.InfiniteTimeSpan && now - start >= StorageErrorTimeout;
    }

    /// <summary>The message of an error given up on because the node's storage kept failing.</summary>
    public PlatformException StorageFailed(PlatformException last, DateTime since, int tries) =>
        new(last.Code, string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"{last.Reason} (the node's storage kept failing for {(DateTime.UtcNow - since).TotalSeconds:0.0} s over {tries} tries; storage-error-timeout is {StorageErrorTimeout.TotalSeconds:0.###} s)"));

    /// <summary>The pause before the next try, or null when that try would start after the deadline.</summary>
    private TimeSpan? Pause(int failures, DateTime deadline)
    {
        var pause = Backoff(failures);
        return DateTime.UtcNow + pause < deadline ? pause : null;
    }
}
