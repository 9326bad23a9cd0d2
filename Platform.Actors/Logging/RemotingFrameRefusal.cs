using System.Net;
using System.Text.RegularExpressions;
using Akka.Event;
using DotNetty.Codecs;
using DotNetty.Transport.Channels;

namespace Platform.Actors.Logging;

/// <summary>
/// A client that is no cluster member writing to the remoting port (most often a Kafka client given the remoting port
/// instead of the Kafka listener's): its first bytes, read as an Akka frame header, announce hundreds of megabytes,
/// DotNetty refuses them with a <see cref="TooLongFrameException"/> and Akka.Remote logs "Error caught channel" at
/// ERROR, with a stack trace in JSON. Nothing on the node failed (the connection is closed, the node runs on), so the
/// <see cref="PlatformLogger"/> writes it as this one WARNING line naming the client, rate-limited as every repeated
/// warning is. Pure, so that it is tested without an ActorSystem.
/// </summary>
internal static partial class RemotingFrameRefusal
{
    public const string Template =
        "Remoting refused a connection from {Remote}: it sent no Akka remoting frame ({Reason}); is a Kafka client pointed at the remoting port instead of the Kafka listener?";

    /// <summary>The client's address when <paramref name="e"/> is DotNetty's refusal of an oversized frame, otherwise null.</summary>
    public static string? Remote(LogEvent e)
    {
        if (e.Cause is not TooLongFrameException) return null;
        // The channel is closed by the time the logger sees the event, and a closed channel's RemoteAddress is null; its
        // description ("[local]:port->[remote]:port](Id=...)"), taken while it was open, still names the client.
        var channel = e.Message is LogMessage message ? message.Parameters().OfType<IChannel>().FirstOrDefault() : null;
        if (channel?.RemoteAddress is IPEndPoint ip)
            return new IPEndPoint(ip.Address.IsIPv4MappedToIPv6 ? ip.Address.MapToIPv4() : ip.Address, ip.Port).ToString();
        var described = RemoteInDescription().Match(channel?.ToString() ?? e.Message?.ToString() ?? "");
        return described.Success ? $"{described.Groups["host"].Value}:{described.Groups["port"].Value}" : "an unknown client";
    }

    [GeneratedRegex(@"->\[(?:::ffff:)?(?<host>[^\]]+)\]:(?<port>\d+)")]
    private static partial Regex RemoteInDescription();
}
