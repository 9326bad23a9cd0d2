using System.CommandLine;
using Platform.Host.Commands;

namespace Platform.Host.Cli;

/// <summary>The command tree: every command and subcommand, each with its options, help and completion.</summary>
internal static class PlatformCli
{
    public static RootCommand Create()
    {
        var root = new RootCommand("""
            Platform: a Kafka-style streaming platform on Akka.NET.
            Without a command (or with options only) it runs a node, as `platform node`.
            Client commands reach a node's Kafka listener through --bootstrap-server (default PLATFORM_BOOTSTRAP_SERVER or 127.0.0.1:9092).
            """);
        root.Subcommands.Add(NodeCommand.Create());
        root.Subcommands.Add(CertsCommand.Create());
        root.Subcommands.Add(ClusterCommand.Create());
        root.Subcommands.Add(TopicsCommand.Create());
        root.Subcommands.Add(ProduceCommand.Create());
        root.Subcommands.Add(ConsumeCommand.Create());
        root.Subcommands.Add(GroupsCommand.Create());
        root.Subcommands.Add(BenchCommand.Create());
        root.Subcommands.Add(CompletionCommand.Create());
        return root;
    }

    /// <summary>
    /// What the hand-written parser accepted stays accepted: no arguments or options first run a node
    /// (`platform --port 9193`), and `platform help [COMMAND]` is `--help`.
    /// </summary>
    public static string[] Normalize(string[] args)
    {
        if (args.Length == 0) return ["node"];
        if (args[0] == "help") return [.. args[1..], "--help"];
        if (args[0].StartsWith('-') && args[0] is not ("-h" or "--help" or "-?" or "--version")) return ["node", .. args];
        return args;
    }
}
