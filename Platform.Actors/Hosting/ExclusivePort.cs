using System.Net;
using System.Net.Sockets;

namespace Platform.Actors.Hosting;

/// <summary>
/// Binds a listening TCP socket that no other process can share, for the node's Kafka listener, its HTTP endpoint and
/// the check of its remoting port.
/// <para>
/// Why not .NET's <see cref="SocketOptionName.ReuseAddress"/>: on Linux it sets SO_REUSEPORT too, and then a second
/// node binds the same port and the kernel splits the clients between the two (issue #17: two nodes answered on one
/// port). Why not no option at all: without SO_REUSEADDR, Linux refuses the port while connections of a node killed a
/// moment ago linger in TIME_WAIT, so a restarted node could not take its own port back for a minute. SO_REUSEADDR
/// alone has neither problem on Linux: it admits TIME_WAIT leftovers and still refuses a port some socket listens on.
/// </para>
/// </summary>
internal static class ExclusivePort
{
    private const int SolSocket = 1; // SOL_SOCKET on Linux
    private const int SoReuseAddr = 2; // SO_REUSEADDR on Linux

    /// <summary>
    /// A socket bound to <paramref name="address"/>:<paramref name="port"/> and listening, or a
    /// <see cref="NodeStartException"/> naming <paramref name="what"/> and the port when it is taken.
    /// </summary>
    public static Socket Listen(string what, IPAddress address, int port, int backlog = 512)
    {
        var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (OperatingSystem.IsLinux()) socket.SetRawSocketOption(SolSocket, SoReuseAddr, BitConverter.GetBytes(1));
            else if (OperatingSystem.IsWindows()) socket.ExclusiveAddressUse = true;
            socket.Bind(new IPEndPoint(address, port));
            socket.Listen(backlog);
            return socket;
        }
        catch (SocketException e)
        {
            socket.Dispose();
            throw Taken(what, address.ToString(), port, e);
        }
    }

    /// <summary>The one-line error for a port that cannot be bound.</summary>
    public static NodeStartException Taken(string what, string host, int port, SocketException e) =>
        e.SocketErrorCode == SocketError.AddressAlreadyInUse
            ? new NodeStartException($"{what} port {host}:{port} is already in use by another process (another node?); choose another port or stop that process", e)
            : new NodeStartException($"{what} cannot bind {host}:{port}: {e.Message}", e);

    /// <summary>
    /// Fails with a <see cref="NodeStartException"/> when something listens on the port already. For Akka.Remote, which
    /// binds inside DotNetty with SO_REUSEPORT on Linux (so its own bind would succeed next to another node): checked
    /// just before the ActorSystem starts.
    /// </summary>
    public static void EnsureFree(string what, IPAddress address, int port)
    {
        if (port == 0) return;
        using var probe = Listen(what, address, port, backlog: 1);
    }
}
