using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace Platform.Specs.Support;

/// <summary>
/// A TCP relay in front of a real server (PostgreSQL) that a spec can cut and restore: cut, it closes every
/// relayed connection and closes new ones at once, as a server that went away; restored, it relays again on
/// the same port, so the client's connection string never changes.
/// </summary>
public sealed class TcpProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly string _targetHost;
    private readonly int _targetPort;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<Socket, byte> _sockets = new();
    private volatile bool _cut;

    public TcpProxy(string targetHost, int targetPort)
    {
        _targetHost = targetHost;
        _targetPort = targetPort;
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _ = AcceptLoop();
    }

    public int Port { get; }

    /// <summary>The server is gone: open connections close, new ones are closed as soon as they arrive.</summary>
    public void Cut()
    {
        _cut = true;
        foreach (var socket in _sockets.Keys) socket.Dispose();
    }

    public void Restore() => _cut = false;

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        Cut();
    }

    private async Task AcceptLoop()
    {
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                var client = await _listener.AcceptSocketAsync(_stop.Token);
                if (_cut) client.Dispose();
                else _ = RelayAsync(client);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
    }

    private async Task RelayAsync(Socket client)
    {
        var server = new Socket(SocketType.Stream, ProtocolType.Tcp);
        _sockets[client] = 0;
        _sockets[server] = 0;
        try
        {
            await server.ConnectAsync(_targetHost, _targetPort, _stop.Token);
            await using var toClient = new NetworkStream(client, ownsSocket: true);
            await using var toServer = new NetworkStream(server, ownsSocket: true);
            await Task.WhenAny(toClient.CopyToAsync(toServer, _stop.Token), toServer.CopyToAsync(toClient, _stop.Token));
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or IOException or ObjectDisposedException)
        {
        }
        finally
        {
            _sockets.TryRemove(client, out _);
            _sockets.TryRemove(server, out _);
            client.Dispose();
            server.Dispose();
        }
    }
}
