using System.Globalization;
using Platform.Client;

namespace Platform.Host.Commands;

/// <summary><c>platform topics create|list|describe|delete|alter</c>, as kafka-topics.sh.</summary>
internal static class TopicsCommand
{
    public static async Task<int> RunAsync(string[] args)
    {
        var line = new CommandLine(args, new HashSet<string>());
        if (line.Positionals.Count == 0) throw new UsageException("topics needs a subcommand: create, list, describe, delete or alter");
        var sub = line.Positionals[0];
        string Name() => line.Positionals.Count > 1 ? line.Positionals[1] : throw new UsageException($"topics {sub} needs a topic name");

        switch (sub)
        {
            case "create":
            {
                var name = Name();
                var partitions = line.Int("partitions") ?? throw new UsageException("Missing --partitions N");
                var configs = new Dictionary<string, string>();
                foreach (var pair in line.Options("config"))
                {
                    var eq = pair.IndexOf('=');
                    if (eq <= 0) throw new UsageException($"--config takes key=value, got '{pair}'");
                    configs[pair[..eq]] = pair[(eq + 1)..];
                }
                await using var connection = await ClientCommand.ConnectStrictAsync(line);
                var topic = await new PlatformAdmin(connection).CreateTopicAsync(name, partitions, configs);
                Console.WriteLine($"Created topic {topic.Name} with {topic.PartitionCount} partitions (id {topic.TopicId}).");
                return 0;
            }
            case "list":
            {
                await using var connection = await ClientCommand.ConnectStrictAsync(line);
                foreach (var topic in await new PlatformAdmin(connection).ListTopicsAsync()) Console.WriteLine(topic.Name);
                return 0;
            }
            case "describe":
            {
                var name = Name();
                await using var connection = await ClientCommand.ConnectStrictAsync(line);
                var d = await new PlatformAdmin(connection).DescribeTopicAsync(name);
                var configs = string.Join(",", d.Configs.Select(kv => $"{kv.Key}={kv.Value}"));
                Console.WriteLine($"Topic: {d.Topic.Name}\tTopicId: {d.Topic.TopicId}\tPartitionCount: {d.Topic.PartitionCount}\tConfigs: {configs}");
                Console.WriteLine($"{"PARTITION",-10} {"LOG-START-OFFSET",-17} {"HIGH-WATERMARK",-15} {"SIZE-BYTES",-12} LEADER");
                foreach (var p in d.Partitions)
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"{p.Partition,-10} {p.LogStartOffset,-17} {p.HighWatermark,-15} {"-",-12} {p.Leader}"));
                return 0;
            }
            case "delete":
            {
                var name = Name();
                await using var connection = await ClientCommand.ConnectStrictAsync(line);
                await new PlatformAdmin(connection).DeleteTopicAsync(name);
                Console.WriteLine($"Deleted topic {name}.");
                return 0;
            }
            case "alter":
            {
                var name = Name();
                var partitions = line.Int("partitions") ?? throw new UsageException("Missing --partitions N");
                await using var connection = await ClientCommand.ConnectStrictAsync(line);
                var topic = await new PlatformAdmin(connection).CreatePartitionsAsync(name, partitions);
                Console.WriteLine($"Topic {topic.Name} now has {topic.PartitionCount} partitions.");
                return 0;
            }
            default:
                throw new UsageException($"Unknown topics subcommand '{sub}'");
        }
    }
}
