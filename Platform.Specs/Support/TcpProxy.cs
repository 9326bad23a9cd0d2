using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace Platform.Specs.Support;

/// <summary>
/// A TCP relay in front of a real server (PostgreSQL, a node's remoting port) that a spec can cut, pause and
/// restore: cut, it closes every relayed connection and closes new ones at once, as a server that went away;
/// paused, it holds every byte without closing anything, as a disk or network that stalls; restored, it relays
/// again on the same port, so the client's connection string never changes. Given an <c>identify</c> function,
/// it names the peer of each connection from its first bytes (e.g. the origin address in Akka's handshake), so
/// that links to single peers can be blocked: a network partition between two nodes on one machine.
/// </summary>
public sealed class TcpProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly string _targetHost;
    private volatile int _targetPort;
    private readonly Func<ReadOnlyMemory<byte>, string?>? _identify;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<Socket, string?> _sockets = new();
    private readonly ConcurrentDictionary<string, byte> _blocked = new();
    private volatile bool _cut;
    // Completed while bytes flow; a fresh, pending one while paused. Swapped, never reset, so no waiter misses a resume.
    private volatile TaskCompletionSource _flowing = Completed();

    public TcpProxy(string targetHost, int targetPort, Func<ReadOnlyMemory<byte>, string?>? identify = null)
    {
        _targetHost = targetHost;
        _targetPort = targetPort;
        _identify = identify;
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

    /// <summary>New connections go to <paramref name="port"/> from now on (a server restarted on another port).</summary>
    public void Retarget(int port) => _targetPort = port;

    /// <summary>Bytes stop flowing both ways, connections stay open (a stalled disk or link); <see cref="Resume"/> lets them go on.</summary>
    public void Pause()
    {
        if (_flowing.Task.IsCompleted) _flowing = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    public void Resume() => _flowing.TrySetResult();

    /// <summary>Connections from <paramref name="peer"/> (as the identify function names it) close, and new ones are refused.</summary>
    public void Block(string peer)
    {
        _blocked[peer] = 0;
        foreach (var (socket, owner) in _sockets)
            if (owner == peer) socket.Dispose();
    }

    public void Unblock(string peer) => _blocked.TryRemove(peer, out _);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        Resume();
        Cut();
    }

    private static TaskCompletionSource Completed()
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        done.SetResult();
        return done;
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
        _sockets[client] = null;
        _sockets[server] = null;
        try
        {
            await server.ConnectAsync(_targetHost, _targetPort, _stop.Token);
            await Task.WhenAny(PumpAsync(client, server, identifying: _identify is not null), PumpAsync(server, client, identifying: false));
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

    /// <summary>Copies one direction; while identifying, looks at everything read so far until it names the peer.</summary>
    private async Task PumpAsync(Socket from, Socket to, bool identifying)
    {
        var buffer = new byte[64 * 1024];
        var seen = identifying ? new MemoryStream() : null;
        try
        {
            while (true)
            {
                var read = await from.ReceiveAsync(buffer, SocketFlags.None, _stop.Token);
                if (read == 0) return;
                if (seen is not null && seen.Length < 64 * 1024)
                {
                    seen.Write(buffer, 0, read);
                    if (_identify!(seen.GetBuffer().AsMemory(0, (int)seen.Length)) is { } peer)
                    {
                        seen = null;
                        _sockets[from] = peer;
                        _sockets[to] = peer;
                        if (_blocked.ContainsKey(peer)) return;
                    }
                }
                await _flowing.Task.WaitAsync(_stop.Token);
                await to.SendAsync(buffer.AsMemory(0, read), SocketFlags.None, _stop.Token);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or IOException or ObjectDisposedException)
        {
        }
    }
}
