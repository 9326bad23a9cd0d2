using System.Globalization;
using Platform.Client;

namespace Platform.Host.Commands;

/// <summary><c>platform groups list|describe|reset-offsets|delete</c>, as kafka-consumer-groups.sh.</summary>
internal static class GroupsCommand
{
    public static async Task<int> RunAsync(string[] args)
    {
        var line = new CommandLine(args, new HashSet<string> { "execute", "to-earliest", "to-latest" });
        if (line.Positionals.Count == 0) throw new UsageException("groups needs a subcommand: list, describe, reset-offsets or delete");
        var sub = line.Positionals[0];
        string Group() => line.Positionals.Count > 1 ? line.Positionals[1] : throw new UsageException($"groups {sub} needs a group id");

        switch (sub)
        {
            case "list":
            {
                await using var connection = await ClientCommand.ConnectStrictAsync(line);
                foreach (var group in await new PlatformAdmin(connection).ListGroupsAsync()) Console.WriteLine(group);
                return 0;
            }
            case "describe":
            {
                var group = Group();
                await using var connection = await ClientCommand.ConnectStrictAsync(line);
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
            }
            case "reset-offsets":
                return await ResetOffsets(line, Group());
            case "delete":
            {
                var group = Group();
                await using var connection = await ClientCommand.ConnectStrictAsync(line);
                await new PlatformAdmin(connection).DeleteGroupAsync(group);
                Console.WriteLine($"Deleted group {group}.");
                return 0;
            }
            default:
                throw new UsageException($"Unknown groups subcommand '{sub}'");
        }
    }

    private static string Dash(long? value) => value is { } v && v >= 0 ? v.ToString(CultureInfo.InvariantCulture) : "-";

    private static async Task EnsureExists(PlatformAdmin admin, string group)
    {
        if (!(await admin.ListGroupsAsync()).Contains(group))
            throw new PlatformException(ErrorCode.GroupIdNotFound, $"Group '{group}' does not exist");
    }

    /// <summary>Prints the plan; changes offsets only with --execute, and only while the group has no active members.</summary>
    private static async Task<int> ResetOffsets(CommandLine line, string group)
    {
        var topic = line.Required("topic", "the topic whose offsets to reset");
        var toEarliest = line.Flag("to-earliest");
        var toLatest = line.Flag("to-latest");
        var toOffset = line.Long("to-offset", 0);
        var toDatetime = line.Option("to-datetime");
        var shiftBy = line.Long("shift-by");
        var execute = line.Flag("execute");
        var chosen = new[] { toEarliest, toLatest, toOffset is not null, toDatetime is not null, shiftBy is not null }.Count(b => b);
        if (chosen != 1) throw new UsageException("reset-offsets needs exactly one of --to-earliest, --to-latest, --to-offset N, --to-datetime ISO8601, --shift-by N");
        DateTimeOffset? datetime = null;
        if (toDatetime is not null)
        {
            if (!DateTimeOffset.TryParse(toDatetime, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed))
                throw new UsageException($"--to-datetime takes an ISO 8601 time such as 2026-11-25T08:00:00Z, got '{toDatetime}'");
            datetime = parsed;
        }
        await using var connection = await ClientCommand.ConnectStrictAsync(line);
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
