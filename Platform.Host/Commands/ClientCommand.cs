using System.CommandLine;
using Akka.Configuration;
using Platform.Client;
using Platform.Host.Cli;

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

    /// <summary>A fresh --bootstrap-server option for one command (an option belongs to the command it is added to).</summary>
    public static Option<string?> BootstrapOption() => CliOptions.Text("--bootstrap-server",
        $"Nodes' Kafka listeners, tried in order (default: PLATFORM_BOOTSTRAP_SERVER or {DefaultBootstrapServer})", "HOST:PORT[,HOST:PORT...]");

    /// <summary>The bootstrap server list, checked: a malformed one is a usage error.</summary>
    public static string BootstrapServer(ParseResult parse, Option<string?> option)
    {
        var servers = parse.GetValue(option) ?? Environment.GetEnvironmentVariable("PLATFORM_BOOTSTRAP_SERVER") ?? DefaultBootstrapServer;
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

    public static Task<PlatformConnection> ConnectAsync(ParseResult parse, Option<string?> bootstrap, Config? extra = null) =>
        PlatformConnection.ConnectAsync(BootstrapServer(parse, bootstrap), extra is null ? Quiet : extra.WithFallback(Quiet));

    /// <summary>A client command: its --bootstrap-server, and an action that gets a connection to the cluster.</summary>
    public static Command Create(string name, string description, Func<ParseResult, PlatformConnection, Task<int>> action, params Symbol[] symbols)
    {
        var bootstrap = BootstrapOption();
        var command = new Command(name, description).With([.. symbols, bootstrap]);
        command.SetAction(async (parse, _) =>
        {
            await using var connection = await ConnectAsync(parse, bootstrap);
            return await action(parse, connection);
        });
        return command;
    }
}
