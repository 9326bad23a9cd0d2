using Akka.Configuration;
using Platform.Client;

namespace Platform.Host.Commands;

/// <summary>What every client command shares: the bootstrap server (a node's Kafka listener) and quiet logging.</summary>
internal static class ClientCommand
{
    public const string DefaultBootstrapServer = "127.0.0.1:9092";

    // Standard output carries records; Akka must not log there.
    public static Config QuietConfig => Quiet;

    private static readonly Config Quiet = ConfigurationFactory.ParseString("""
        akka.loglevel = OFF
        akka.stdout-loglevel = OFF
        """);

    /// <summary>The bootstrap server list, checked: a malformed one is a usage error.</summary>
    public static string BootstrapServer(CommandLine line)
    {
        var servers = line.Option("bootstrap-server") ?? Environment.GetEnvironmentVariable("PLATFORM_BOOTSTRAP_SERVER") ?? DefaultBootstrapServer;
        try
        {
            ClientSettings.ParseServers(servers);
        }
        catch (ArgumentException e)
        {
            throw new UsageException(e.Message);
        }
        return servers;
    }

    /// <summary>Connects after checking that the command line has no option the command did not read.</summary>
    public static Task<PlatformConnection> ConnectStrictAsync(CommandLine line)
    {
        var connect = ConnectAsync(line);
        line.RejectUnknown();
        return connect;
    }

    public static Task<PlatformConnection> ConnectAsync(CommandLine line, Config? extra = null) =>
        PlatformConnection.ConnectAsync(BootstrapServer(line), extra is null ? Quiet : extra.WithFallback(Quiet));
}
