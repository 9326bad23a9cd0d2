using Akka.Configuration;
using Platform.Client.Kafka;

namespace Platform.Client;

/// <summary>
/// A client's connection to the cluster over Kafka's wire protocol: the brokers named by Metadata, one pipelined
/// TCP connection to each (per lane, see <see cref="KafkaCluster"/>), requests routed to a partition's
/// leader or a group's coordinator. Bootstrap servers are Kafka listeners (host:port); when every known
/// broker is gone the bootstrap list is tried again. A broken connection fails the requests in flight at
/// once with the retriable <see cref="ErrorCode.NetworkException"/>. Producers, consumers and the admin
/// client share one connection, as they would share a Kafka client's network threads. No ActorSystem and
/// no Akka.Remote: actors stay inside the cluster.
/// </summary>
public sealed class PlatformConnection : IAsyncDisposable
{
    private int _nextLane;

    private PlatformConnection(KafkaCluster cluster, ClientSettings settings)
    {
        Cluster = cluster;
        Settings = settings;
    }

    public ClientSettings Settings { get; }

    internal KafkaCluster Cluster { get; }

    /// <summary>
    /// Connects to the first reachable Kafka listener of <paramref name="bootstrapServers"/> (comma-separated
    /// host:port) and reads the cluster's brokers from it.
    /// </summary>
    public static async Task<PlatformConnection> ConnectAsync(string bootstrapServers, Config? config = null, CancellationToken cancellationToken = default)
    {
        var settings = ClientSettings.Create(bootstrapServers, config);
        var servers = settings.BootstrapServers.Select(Split).ToList();
        var cluster = new KafkaCluster(servers, settings.ClientId, settings.RequestTimeout);
        try
        {
            await cluster.RefreshAsync([]).WaitAsync(cancellationToken);
            return new PlatformConnection(cluster, settings);
        }
        catch (PlatformException e) when (RetryPolicy.IsRetriable(e.Code))
        {
            await cluster.DisposeAsync();
            throw new PlatformException(ErrorCode.RequestTimedOut,
                $"Could not reach a Platform node at {string.Join(", ", settings.BootstrapServers)}: is the node running and is the address right? ({e.Reason})");
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    private static (string Host, int Port) Split(string server)
    {
        var colon = server.LastIndexOf(':');
        return (server[..colon], int.Parse(server[(colon + 1)..], System.Globalization.CultureInfo.InvariantCulture));
    }

    /// <summary>A lane of connections of its own for a client part whose requests park on the broker.</summary>
    internal string NewLane(string purpose) => $"{purpose}-{Interlocked.Increment(ref _nextLane)}";

    /// <summary>
    /// Runs <paramref name="request"/> again while it fails retriably (a broker went away, a leader or
    /// coordinator moved) under the client's <see cref="RetryPolicy"/>, until <paramref name="timeout"/>
    /// (<see cref="ClientSettings.RequestTimeout"/> when not given) has passed. Only for requests that are
    /// safe to repeat.
    /// </summary>
    internal Task<T> WithRetriesAsync<T>(Func<Task<T>> request, CancellationToken cancellationToken = default,
        Action<PlatformException>? onRetry = null, TimeSpan? timeout = null) =>
        Settings.Retry.RunAsync(request, timeout ?? Settings.RequestTimeout, cancellationToken, onRetry);

    public ValueTask DisposeAsync() => Cluster.DisposeAsync();
}
