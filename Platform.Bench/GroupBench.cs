using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Platform.Client;

namespace Platform.Bench;

/// <summary>
/// <c>platform bench --groups</c>: how fast a consumer group settles. Starts N members (each in an
/// ActorSystem of its own, as separate processes would be) on a topic of P partitions and measures the
/// time from the last member's subscribe until every member has its assignment; then crashes one member
/// under a steady producer and measures until all of its partitions are consumed again by the others.
/// </summary>
public static class GroupBench
{
    private sealed class Member
    {
        public required PlatformConnection Connection { get; init; }
        public required PlatformConsumer Consumer { get; init; }
        public CancellationTokenSource Stop { get; } = new();
        public Task Loop { get; set; } = Task.CompletedTask;
    }

    /// <summary>Starts the platform executable (under `dotnet` when run as a dll) with these arguments.</summary>
    private static Process StartPlatform(IReadOnlyList<string> platform, params string[] args)
    {
        var info = new ProcessStartInfo(platform[0]) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in platform.Skip(1).Concat(args)) info.ArgumentList.Add(arg);
        var process = Process.Start(info)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    public static async Task<int> RunAsync(GroupBenchOptions options)
    {
        var (memberCount, partitions, initialDelayMs) = (options.Members, options.Partitions, options.InitialRebalanceDelayMs);
        var server = options.BootstrapServer;
        await using var connection = await PlatformConnection.ConnectAsync(server, options.ClientConfig);
        var admin = new PlatformAdmin(connection);
        var topic = $"gbench-{Guid.NewGuid():N}"[..15];
        var group = topic + "-group";
        await admin.CreateTopicAsync(topic, partitions);
        await admin.DescribeTopicAsync(topic);
        Console.WriteLine($"bench --groups: {memberCount} members, {partitions} partitions, node's initial rebalance delay taken as {initialDelayMs} ms");

        // Last consumption time per partition, by member.
        var consumed = new ConcurrentDictionary<int, (int Member, long Ticks)>();
        var members = new List<Member>();
        Stopwatch? sinceLastJoin = null;
        for (var i = 0; i < memberCount; i++)
        {
            var c = await PlatformConnection.ConnectAsync(server, options.ClientConfig);
            var consumer = new PlatformConsumer(c, ConsumerGroupSettings.Create(group).WithClientId($"bench-{i}"), AutoOffsetReset.Latest);
            var member = new Member { Connection = c, Consumer = consumer };
            var index = i;
            consumer.Subscribe([topic]);
            if (i == memberCount - 1) sinceLastJoin = Stopwatch.StartNew();
            member.Loop = Task.Run(async () =>
            {
                try
                {
                    while (!member.Stop.IsCancellationRequested)
                        if (await consumer.ConsumeAsync(TimeSpan.FromMilliseconds(100), member.Stop.Token) is { } r)
                            consumed[r.Partition] = (index, Stopwatch.GetTimestamp());
                }
                catch (OperationCanceledException)
                {
                }
            });
            members.Add(member);
        }
        while (!members.All(m => m.Consumer.Assignment.Count > 0) || members.Sum(m => m.Consumer.Assignment.Count) != partitions)
        {
            if (sinceLastJoin!.Elapsed > TimeSpan.FromMinutes(1)) throw new TimeoutException("The group did not settle within a minute");
            await Task.Delay(5);
        }
        var settled = sinceLastJoin!.Elapsed.TotalMilliseconds;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"rebalance: last of {memberCount} members joined -> every member assigned in {settled:N0} ms ({settled - initialDelayMs:N0} ms beyond the initial delay)"));

        // A steady producer over every partition, then one member dies without leaving.
        using var producing = new CancellationTokenSource();
        var producer = Task.Run(async () =>
        {
            await using var p = new PlatformProducer(connection, connection.Settings.WithLinger(TimeSpan.FromMilliseconds(1)));
            var n = 0;
            while (!producing.IsCancellationRequested)
            {
                await Task.WhenAll(Enumerable.Range(0, partitions).Select(part => p.ProduceAsync(topic, new Message(null, [1]), part)));
                n++;
                await Task.Delay(10);
            }
        });
        // The victim is a real `platform consume --group` process, so that it can die by SIGKILL.
        var victim = StartPlatform(options.Platform, "consume", topic, "--group", group, "--bootstrap-server", server);
        var admin2 = new PlatformAdmin(connection);
        var wait = Stopwatch.StartNew();
        List<int> orphaned;
        while (true)
        {
            var description = await admin2.DescribeGroupAsync(group);
            var victimMember = description.Members.FirstOrDefault(m => m.ClientId == "platform-consume");
            if (description.State == "Stable" && victimMember is { Assignment.Count: > 0 })
            {
                orphaned = victimMember.Assignment.Select(tp => tp.Partition).ToList();
                break;
            }
            if (wait.Elapsed > TimeSpan.FromMinutes(1)) throw new TimeoutException("The victim process never got partitions");
            await Task.Delay(20);
        }
        await Task.Delay(1000); // let it consume for a moment
        var crashedAt = Stopwatch.GetTimestamp();
        victim.Kill(); // SIGKILL: no LeaveGroup, no commit, no goodbye
        wait.Restart();
        while (!orphaned.All(p => consumed.TryGetValue(p, out var last) && last.Ticks > crashedAt))
        {
            if (wait.Elapsed > TimeSpan.FromMinutes(1)) throw new TimeoutException("The crashed member's partitions were not consumed again within a minute");
            await Task.Delay(5);
        }
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"failover: {orphaned.Count} partitions of a member killed with SIGKILL consumed again by the others after {wait.Elapsed.TotalMilliseconds:N0} ms"));

        await producing.CancelAsync();
        await producer;
        foreach (var m in members)
        {
            await m.Stop.CancelAsync();
            await m.Loop;
            await m.Consumer.DisposeAsync();
            await m.Connection.DisposeAsync();
        }
        await admin.DeleteTopicAsync(topic);
        return 0;
    }
}
