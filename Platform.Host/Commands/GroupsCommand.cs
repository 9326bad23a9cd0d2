using System.CommandLine;
using System.Globalization;
using Platform.Client;
using Platform.Host.Cli;

namespace Platform.Host.Commands;

/// <summary><c>platform groups list|describe|reset-offsets|delete</c>, as kafka-consumer-groups.sh.</summary>
internal static class GroupsCommand
{
    public static Command Create() => new Command("groups", "List, describe, reset and delete consumer groups (as kafka-consumer-groups.sh).")
        .With(List(), Describe(), ResetOffsets(), Delete());

    private static Argument<string> GroupId() => new("GROUP") { Description = "The group's id" };

    private static Command List() => ClientCommand.Create("list", "List the groups' ids.", async (_, connection) =>
    {
        foreach (var group in await new PlatformAdmin(connection).ListGroupsAsync()) Console.WriteLine(group);
        return 0;
    });

    private static Command Describe()
    {
        var groupId = GroupId();
        return ClientCommand.Create("describe", "A group's state, members and their partitions, and per partition CURRENT-OFFSET, LOG-END-OFFSET and LAG.", async (parse, connection) =>
        {
            var group = parse.GetValue(groupId)!;
            var admin = new PlatformAdmin(connection);
            await EnsureExists(admin, group);
            var d = await admin.DescribeGroupAsync(group);
            Console.WriteLine($"GROUP {d.GroupId}  STATE {d.State}  PROTOCOL {(d.ProtocolName == "" ? "-" : d.ProtocolName)}  GENERATION -  MEMBERS {d.Members.Count}");
            if (d.Members.Count > 0)
            {
                Console.WriteLine();
                Console.WriteLine($"{"MEMBER-ID",-50} {"CLIENT-ID",-20} {"HOST",-16} ASSIGNMENT");
                foreach (var m in d.Members)
                    Console.WriteLine($"{m.MemberId,-50} {m.ClientId,-20} {m.ClientHost,-16} {string.Join(",", m.Assignment)}");
            }
            Console.WriteLine();
            Console.WriteLine($"{"TOPIC",-24} {"PARTITION",-10} {"CURRENT-OFFSET",-15} {"LOG-END-OFFSET",-15} {"LAG",-8} CONSUMER-ID");
            foreach (var row in await admin.GroupLagAsync(group))
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{row.Topic,-24} {row.Partition,-10} {Dash(row.CurrentOffset),-15} {Dash(row.LogEndOffset),-15} {Dash(row.Lag),-8} {row.MemberId ?? "-"}"));
            return 0;
        }, groupId);
    }

    private static Command Delete()
    {
        var groupId = GroupId();
        return ClientCommand.Create("delete", "Delete an inactive group and its committed offsets.", async (parse, connection) =>
        {
            await new PlatformAdmin(connection).DeleteGroupAsync(parse.GetValue(groupId)!);
            Console.WriteLine($"Deleted group {parse.GetValue(groupId)}.");
            return 0;
        }, groupId);
    }

    private static string Dash(long? value) => value is { } v && v >= 0 ? v.ToString(CultureInfo.InvariantCulture) : "-";

    private static async Task EnsureExists(PlatformAdmin admin, string group)
    {
        if (!(await admin.ListGroupsAsync()).Contains(group))
            throw new PlatformException(ErrorCode.GroupIdNotFound, $"Group '{group}' does not exist");
    }

    /// <summary>Prints the plan; changes offsets only with --execute, and only while the group has no active members.</summary>
    private static Command ResetOffsets()
    {
        var groupId = GroupId();
        var topicOption = CliOptions.Text("--topic", "The topic whose offsets to reset", "TOPIC");
        topicOption.Required = true;
        var toEarliestOption = CliOptions.Flag("--to-earliest", "To each partition's log start offset");
        var toLatestOption = CliOptions.Flag("--to-latest", "To each partition's high watermark");
        var toOffsetOption = CliOptions.Number<long>("--to-offset", "To this offset (clamped to the log)", min: 0);
        var toDatetimeOption = CliOptions.Text("--to-datetime", "To the first offset at or after this time", "ISO8601");
        var shiftByOption = CliOptions.Number<long>("--shift-by", "By this many records from the committed offset (negative: back)");
        var executeOption = CliOptions.Flag("--execute", "Change the offsets; without it only the plan is printed");
        var command = ClientCommand.Create("reset-offsets", "Move a group's committed offsets for one topic (plan first; --execute changes them, only while the group is inactive).",
            (parse, connection) => Reset(connection, parse.GetValue(groupId)!, parse.GetValue(topicOption)!, parse.GetValue(toEarliestOption),
                parse.GetValue(toLatestOption), parse.GetValue(toOffsetOption), parse.GetValue(toDatetimeOption), parse.GetValue(shiftByOption),
                parse.GetValue(executeOption)),
            groupId, topicOption, toEarliestOption, toLatestOption, toOffsetOption, toDatetimeOption, shiftByOption, executeOption);
        command.Validators.Add(result =>
        {
            Option[] targets = [toEarliestOption, toLatestOption, toOffsetOption, toDatetimeOption, shiftByOption];
            if (targets.Count(o => result.GetResult(o) is { Implicit: false }) != 1)
                result.AddError("reset-offsets needs exactly one of --to-earliest, --to-latest, --to-offset N, --to-datetime ISO8601, --shift-by N");
            if (result.ValueOrDefault(toDatetimeOption) is { } raw && !DateTimeOffset.TryParse(raw, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out _))
                result.AddError($"--to-datetime takes an ISO 8601 time such as 2026-11-25T08:00:00Z, got '{raw}'");
        });
        return command;
    }

    private static async Task<int> Reset(PlatformConnection connection, string group, string topic, bool toEarliest, bool toLatest,
        long? toOffset, string? toDatetime, long? shiftBy, bool execute)
    {
        DateTimeOffset? datetime = toDatetime is null ? null : DateTimeOffset.Parse(toDatetime, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);
        var admin = new PlatformAdmin(connection);
        var plan = await admin.PlanOffsetResetAsync(group, topic, toEarliest ? OffsetResetTarget.Earliest : toLatest ? OffsetResetTarget.Latest
            : toOffset is { } o ? OffsetResetTarget.Offset(o) : datetime is { } dt ? OffsetResetTarget.Time(dt) : OffsetResetTarget.Shift(shiftBy!.Value));
        Console.WriteLine($"{"TOPIC",-24} {"PARTITION",-10} NEW-OFFSET");
        foreach (var entry in plan) Console.WriteLine($"{entry.Topic,-24} {entry.Partition,-10} {entry.Offset}");
        if (!execute)
        {
            Console.Error.WriteLine("Nothing changed: this is the plan. Add --execute to reset the offsets.");
            return 0;
        }
        await admin.CommitOffsetsAsync(group, plan);
        Console.Error.WriteLine($"Reset the offsets of group {group} for {plan.Count} partitions of {topic}.");
        return 0;
    }
}
