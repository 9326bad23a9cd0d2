using System.CommandLine;
using Platform.Client;
using Platform.Host.Cli;

namespace Platform.Host.Commands;

/// <summary><c>platform cluster status</c>: members, status, roles, reachability, leader, and what each member hosts.</summary>
internal static class ClusterCommand
{
    public static Command Create() => new Command("cluster", "The cluster's members.").With(
        ClientCommand.Create("status", "Members with status, roles, reachability and the partitions and groups each hosts; the leader.", async (_, connection) =>
        {
            var status = await new PlatformAdmin(connection).ClusterStatusAsync();
            Console.WriteLine($"LEADER {(status.Leader == "" ? "-" : status.Leader)}  MEMBERS {status.Members.Count}  UNREACHABLE {status.Members.Count(m => !m.Reachable)}");
            Console.WriteLine();
            Console.WriteLine($"{"MEMBER",-22} {"STATUS",-10} {"REACHABLE",-10} {"PARTITIONS",-11} {"GROUPS",-7} ROLES");
            foreach (var m in status.Members)
                Console.WriteLine($"{m.Address,-22} {m.Status,-10} {(m.Reachable ? "yes" : "NO"),-10} {m.Partitions,-11} {m.Groups,-7} {string.Join(",", m.Roles)}");
            return 0;
        }));
}
