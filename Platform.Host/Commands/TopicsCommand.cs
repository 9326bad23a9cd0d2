using System.CommandLine;
using System.Globalization;
using Platform.Client;
using Platform.Host.Cli;

namespace Platform.Host.Commands;

/// <summary><c>platform topics create|list|describe|delete|alter</c>, as kafka-topics.sh.</summary>
internal static class TopicsCommand
{
    public static Command Create() => new Command("topics", "Create, list, describe, delete and grow topics (as kafka-topics.sh).")
        .With(CreateTopic(), List(), Describe(), Delete(), Alter());

    private static Argument<string> TopicName() => new("NAME") { Description = "The topic's name" };

    private static Command CreateTopic()
    {
        var name = TopicName();
        var partitions = CliOptions.Number<int>("--partitions", "How many partitions the topic has");
        partitions.Required = true;
        var config = new Option<string[]>("--config")
        {
            Description = "A topic setting, repeatable: retention.ms, retention.bytes, max.message.bytes, cleanup.policy=delete",
            HelpName = "KEY=VALUE",
        };
        config.Validators.Add(result =>
        {
            foreach (var pair in result.Tokens.Select(t => t.Value))
                if (pair.IndexOf('=') <= 0) result.AddError($"--config takes key=value, got '{pair}'");
        });
        return ClientCommand.Create("create", "Create a topic.", async (parse, connection) =>
        {
            var configs = new Dictionary<string, string>();
            foreach (var pair in parse.GetValue(config) ?? [])
            {
                var eq = pair.IndexOf('=');
                configs[pair[..eq]] = pair[(eq + 1)..];
            }
            var topic = await new PlatformAdmin(connection).CreateTopicAsync(parse.GetValue(name)!, parse.GetValue(partitions)!.Value, configs);
            Console.WriteLine($"Created topic {topic.Name} with {topic.PartitionCount} partitions (id {topic.TopicId}).");
            return 0;
        }, name, partitions, config);
    }

    private static Command List() => ClientCommand.Create("list", "List the topics' names.", async (_, connection) =>
    {
        foreach (var topic in await new PlatformAdmin(connection).ListTopicsAsync()) Console.WriteLine(topic.Name);
        return 0;
    });

    private static Command Describe()
    {
        var name = TopicName();
        return ClientCommand.Create("describe", "A topic's id, configs, and per partition its log start offset, high watermark and leader.", async (parse, connection) =>
        {
            var d = await new PlatformAdmin(connection).DescribeTopicAsync(parse.GetValue(name)!);
            var configs = string.Join(",", d.Configs.Select(kv => $"{kv.Key}={kv.Value}"));
            Console.WriteLine($"Topic: {d.Topic.Name}\tTopicId: {d.Topic.TopicId}\tPartitionCount: {d.Topic.PartitionCount}\tConfigs: {configs}");
            Console.WriteLine($"{"PARTITION",-10} {"LOG-START-OFFSET",-17} {"HIGH-WATERMARK",-15} {"SIZE-BYTES",-12} LEADER");
            foreach (var p in d.Partitions)
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{p.Partition,-10} {p.LogStartOffset,-17} {p.HighWatermark,-15} {"-",-12} {p.Leader}"));
            return 0;
        }, name);
    }

    private static Command Delete()
    {
        var name = TopicName();
        return ClientCommand.Create("delete", "Delete a topic and its records.", async (parse, connection) =>
        {
            await new PlatformAdmin(connection).DeleteTopicAsync(parse.GetValue(name)!);
            Console.WriteLine($"Deleted topic {parse.GetValue(name)}.");
            return 0;
        }, name);
    }

    private static Command Alter()
    {
        var name = TopicName();
        var partitions = CliOptions.Number<int>("--partitions", "The new partition count (it can only grow)");
        partitions.Required = true;
        return ClientCommand.Create("alter", "Add partitions to a topic.", async (parse, connection) =>
        {
            var topic = await new PlatformAdmin(connection).CreatePartitionsAsync(parse.GetValue(name)!, parse.GetValue(partitions)!.Value);
            Console.WriteLine($"Topic {topic.Name} now has {topic.PartitionCount} partitions.");
            return 0;
        }, name, partitions);
    }
}
