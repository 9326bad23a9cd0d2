using System.Diagnostics;

namespace Platform.Specs.Support;

/// <summary>
/// The one way specs wait for something outside an actor to become true: ask, and ask again every
/// <c>interval</c> until the answer is acceptable or <c>timeout</c> has passed. An exception from the
/// question counts as "not yet" (a group that does not exist before its first join, a request timing out
/// while the cluster heals); the <see cref="TimeoutException"/> names what was awaited and carries the last
/// value or exception seen. Actor-side waits stay with TestKit's <c>AwaitAssert</c> and <c>ExpectMsg</c>.
/// </summary>
public static class Eventually
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);
    public static readonly TimeSpan DefaultInterval = TimeSpan.FromMilliseconds(100);

    /// <summary>Waits until <paramref name="condition"/> answers true.</summary>
    public static Task TrueAsync(Func<Task<bool>> condition, string what, TimeSpan? timeout = null, TimeSpan? interval = null) =>
        ValueAsync(condition, ok => ok, what, timeout, interval);

    /// <summary>Waits until <paramref name="condition"/> answers true; it may block (a consumer's poll).</summary>
    public static Task TrueAsync(Func<bool> condition, string what, TimeSpan? timeout = null, TimeSpan? interval = null) =>
        ValueAsync(() => Task.FromResult(condition()), ok => ok, what, timeout, interval);

    /// <summary>Waits until <paramref name="assertion"/> passes.</summary>
    public static Task PassesAsync(Func<Task> assertion, string what, TimeSpan? timeout = null, TimeSpan? interval = null) =>
        ValueAsync(async () =>
        {
            await assertion();
            return true;
        }, ok => ok, what, timeout, interval);

    /// <summary>Measures until <paramref name="accept"/> takes the value, and returns it.</summary>
    public static Task<T> ValueAsync<T>(Func<T> measure, Func<T, bool> accept, string what, TimeSpan? timeout = null, TimeSpan? interval = null) =>
        ValueAsync(() => Task.FromResult(measure()), accept, what, timeout, interval);

    /// <summary>Measures until <paramref name="accept"/> takes the value, and returns it.</summary>
    public static async Task<T> ValueAsync<T>(Func<Task<T>> measure, Func<T, bool> accept, string what, TimeSpan? timeout = null,
        TimeSpan? interval = null)
    {
        var limit = timeout ?? DefaultTimeout;
        var watch = Stopwatch.StartNew();
        var last = "nothing yet";
        Exception? error = null;
        while (true)
        {
            try
            {
                var value = await measure();
                if (accept(value)) return value;
                (last, error) = ($"last value: {Describe(value)}", null);
            }
            catch (Exception e)
            {
                (last, error) = ($"last exception: {e.GetType().Name}: {e.Message}", e);
            }
            if (watch.Elapsed > limit) throw new TimeoutException($"Timed out after {limit} waiting for {what} ({last})", error);
            await Task.Delay(interval ?? DefaultInterval);
        }
    }

    private static string Describe<T>(T value) => value switch
    {
        null => "null",
        string s => $"\"{s}\"",
        System.Collections.IEnumerable items and not string => $"[{string.Join(", ", items.Cast<object?>().Take(20))}]",
        _ => value.ToString() ?? "",
    };
}
