using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Akka.Event;
using Platform.Actors.Configuration;
using Platform.Actors.Hosting;

namespace Platform.Actors.Kafka;

/// <summary>
/// A node's Kafka listener: a TCP server speaking Kafka's wire protocol, one <see cref="KafkaConnection"/> per
/// client socket. It binds before the node's ActorSystem starts, so that the port it got (port 0 takes a
/// free one) can be announced to the cluster as the node's Kafka endpoint; it accepts clients only once
/// the node is an Up member with its actors started.
/// </summary>
internal sealed class KafkaListener : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly KafkaSettings _settings;
    private readonly ConcurrentDictionary<long, KafkaConnection> _connections = new();
    private readonly CancellationTokenSource _stopping = new();
    private Task _acceptLoop = Task.CompletedTask;
    private long _nextConnectionId;
    // Connections accepted that have not yet sent one complete request (each decrements it once, on its first
    // request or when it closes), bounded by max-handshaking-connections.
    private int _handshaking;

    private KafkaListener(Socket socket, KafkaSettings settings)
    {
        _socket = socket;
        _settings = settings;
        var bound = (IPEndPoint)socket.LocalEndPoint!;
        Port = bound.Port;
        AdvertisedHost = string.IsNullOrEmpty(settings.AdvertisedHost) ? settings.Host : settings.AdvertisedHost;
        AdvertisedPort = settings.AdvertisedPort > 0 ? settings.AdvertisedPort : Port;
    }

    /// <summary>The port bound (the configured one, or the one the system chose for port 0).</summary>
    public int Port { get; }

    public string AdvertisedHost { get; }

    public int AdvertisedPort { get; }

    /// <summary>Clients connected now.</summary>
    public int ConnectionCount => _connections.Count;

    /// <summary>One line per client connected now (see <see cref="KafkaConnection.Describe"/>), for diagnostics.</summary>
    public IReadOnlyList<string> DescribeConnections() => _connections.Values.Select(c => c.Describe()).ToList();

    /// <summary>Clients connected now that have not yet sent one complete request.</summary>
    public int HandshakingCount => Volatile.Read(ref _handshaking);

    /// <summary>Binds the listening socket; no client is accepted until <see cref="Start"/>.</summary>
    public static KafkaListener Bind(KafkaSettings settings)
    {
        var socket = ExclusivePort.Listen("The Kafka listener", StartupGuards.Resolve(settings.Host), settings.Port);
        return new KafkaListener(socket, settings);
    }

    /// <summary>Starts accepting clients; each gets a connection that dispatches to <paramref name="apis"/>.</summary>
    public void Start(KafkaApis apis, ILoggingAdapter log) => _acceptLoop = AcceptLoop(apis, log);

    private async Task AcceptLoop(KafkaApis apis, ILoggingAdapter log)
    {
        while (!_stopping.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _socket.AcceptAsync(_stopping.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (SocketException e) when (!_stopping.IsCancellationRequested)
            {
                log.Warning("Kafka listener: accept failed: {Error}", e.Message);
                continue;
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            if (_connections.Count >= _settings.MaxConnections)
            {
                log.Warning("Kafka listener: refused {Client}: max-connections ({Max}) reached", client.RemoteEndPoint, _settings.MaxConnections);
                client.Dispose();
                continue;
            }
            if (Volatile.Read(ref _handshaking) >= _settings.MaxHandshakingConnections)
            {
                log.Warning("Kafka listener: refused {Client}: {Max} connections have not sent a complete request yet (max-handshaking-connections)",
                    client.RemoteEndPoint, _settings.MaxHandshakingConnections);
                client.Dispose();
                continue;
            }
            client.NoDelay = true;
            var id = Interlocked.Increment(ref _nextConnectionId);
            Interlocked.Increment(ref _handshaking);
            var connection = new KafkaConnection(id, client, apis, _settings, log, () => Interlocked.Decrement(ref _handshaking));
            _connections[id] = connection;
            _ = connection.RunAsync(_stopping.Token).ContinueWith(_ => _connections.TryRemove(id, out var _), TaskScheduler.Default);
        }
    }

    /// <summary>Stops accepting and closes every connection (clients then go to another node).</summary>
    public async Task StopAsync()
    {
        if (_stopping.IsCancellationRequested) return;
        await _stopping.CancelAsync();
        _socket.Dispose();
        await _acceptLoop;
        foreach (var connection in _connections.Values) connection.Close();
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _stopping.Dispose();
    }
}
