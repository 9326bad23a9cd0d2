using Platform.Client;
using Platform.Specs.Support;

namespace Platform.Specs.Nemesis;

/// <summary>How a nemesis run goes: how many faults, from which seed, and over which cluster profile.</summary>
/// <param name="Profile">HOCON over hocon/cluster.conf; empty runs the shipped production profile.</param>
/// <param name="Kinds">The kinds of fault to choose from; null: all of <see cref="Nemesis.Kinds"/>.</param>
/// <param name="Budget">No new fault after this long (then the checker runs): a long run that must end in time.</param>
/// <param name="LogDirectory">Where the nodes' logs are copied at the end (to take an anomaly apart); null keeps none.</param>
public sealed record NemesisOptions(int Seed, int Faults, int Partitions = 6, string Profile = "", IReadOnlyList<string>? Kinds = null,
    TimeSpan? Budget = null, string? LogDirectory = null);

/// <summary>
/// Injects faults at random (from a seed, so a run can be repeated) into a <see cref="NemesisCluster"/> under a
/// <see cref="NemesisWorkload"/>, one at a time: inject, hold, heal, then wait until every node runs again
/// (restarting those that died or that the cluster downed) and every partition acknowledges records again.
/// A node that stops without having been a fault's target was downed falsely, and is noted as such.
/// </summary>
public sealed class Nemesis(NemesisCluster cluster, NemesisHistory history, Random random, IReadOnlyList<string> kinds)
{
    /// <summary>The kinds of fault, each with the nodes it targets.</summary>
    /// <remarks>"restart" is not a failure but the step of a rolling restart (SIGTERM, graceful leave, start again):
    /// the report's pause during it is the producers' pause per node.</remarks>
    public static readonly string[] Kinds = ["kill", "pause", "isolate", "bridge", "pg-cut", "slow-disk", "restart"];

    public int FalseDownings { get; private set; }

    public static async Task<(NemesisReport Report, int FalseDownings, IReadOnlyList<string> Notes)> RunAsync(NemesisOptions options, Action<string> log)
    {
        var history = new NemesisHistory();
        await using var cluster = await NemesisCluster.StartAsync(options.Profile);
        cluster.KeepLogsIn = options.LogDirectory;
        log($"{history.Now:N1} s cluster up: {cluster.BootstrapServers}");
        await using (var connection = await PlatformConnection.ConnectAsync(cluster.BootstrapServers))
            await new PlatformAdmin(connection).CreateTopicAsync(NemesisWorkload.Topic, options.Partitions);
        var nemesis = new Nemesis(cluster, history, new Random(options.Seed), options.Kinds ?? Kinds);
        log($"node logs: {string.Join(", ", cluster.Nodes.Select(n => Path.Combine(n.DataDir, "node.log")))}");
        await using var workload = await NemesisWorkload.StartAsync(cluster.BootstrapServers, history, options.Partitions);
        await nemesis.SettleAsync(history.Now, [], options.Partitions);
        try
        {
            for (var i = 0; i < options.Faults && (options.Budget is not { } budget || history.Now < budget.TotalSeconds); i++)
            {
                var fault = await nemesis.InjectAsync(options.Partitions);
                log($"{fault.Start:N1}-{fault.End:N1} s {fault.Kind} {fault.Target}");
            }
        }
        catch (Exception e) when (e is InvalidOperationException or TimeoutException or OperationCanceledException)
        {
            // The history so far is still checked: a harness failure after half an hour of faults must not take the
            // records of that half hour with it (seed 11's first run ended so at its 65th fault, nothing checked).
            history.Notes.Enqueue($"{AbortedNote} at {history.Now:N1} s: {e}");
        }
        await workload.StopAsync();
        var stored = await NemesisWorkload.ReadLogAsync(cluster.BootstrapServers, options.Partitions, history);
        return (HistoryChecker.Check(history, stored, options.Partitions), nemesis.FalseDownings, history.Notes.ToList());
    }

    /// <summary>The note that says the faults stopped early because the harness failed; the spec fails on it.</summary>
    public const string AbortedNote = "faults stopped early";

    /// <summary>
    /// Starts (or restarts) a node, trying again when it does not start within <see cref="HostProcess"/>'s minute: at
    /// load 100 and more a start can take that long, and one slow start must not end a long run. Each failed start
    /// is noted with the end of what the node printed, and kept in its log.
    /// </summary>
    private async Task StartAsync(NemesisCluster.Node node)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await cluster.StartAsync(node);
                return;
            }
            catch (InvalidOperationException e) when (attempt < 3)
            {
                await File.AppendAllTextAsync(Path.Combine(node.DataDir, "node.log"), $"{e.Message}\n");
                var tail = e.Message.Length > 600 ? e.Message[^600..] : e.Message;
                history.Notes.Enqueue($"{history.Now:N1} s {node.Name} did not start (attempt {attempt}), trying again: {tail}");
            }
        }
    }

    /// <summary>One fault: chosen, injected, held, healed, and recovered from.</summary>
    public async Task<Fault> InjectAsync(int partitions)
    {
        var kind = kinds[random.Next(kinds.Count)];
        var nodes = cluster.Nodes;
        var target = nodes[random.Next(nodes.Count)];
        var others = nodes.Where(n => n != target).ToList();
        var hold = TimeSpan.FromSeconds(3 + random.NextDouble() * 4);
        var start = history.Now;
        IReadOnlyList<NemesisCluster.Node> targets = [target];
        switch (kind)
        {
            case "kill":
                var killedAt = DateTime.UtcNow;
                target.Process!.Kill();
                // From the moment the process is gone: an acknowledgement read after that came from a survivor
                // (a tenth of a second for bytes the dead node had already sent to cross the proxy).
                start = history.Now + 0.1;
                // Failover is measured with the node down: every partition serving again on the survivors.
                await AllPartitionsAcknowledgedAfterAsync(start, partitions, TimeSpan.FromSeconds(60));
                history.Notes.Enqueue($"{history.Now:N1} s " + FailoverTimeline.Render(target.Name, killedAt, start,
                    others.Select(o => o.Process?.Stderr + o.Process?.Stdout), history.Acknowledgements));
                break;
            case "pause":
                // Longer than the failure detector tolerates: the cluster downs the node while it is frozen.
                target.Process!.Stop();
                await Task.Delay(hold);
                target.Process.Continue();
                break;
            case "isolate":
                foreach (var other in others) NemesisCluster.Partition(target, other, cut: true);
                await Task.Delay(hold);
                foreach (var other in others) NemesisCluster.Partition(target, other, cut: false);
                break;
            case "bridge":
                // Two nodes lose each other; the third still sees both.
                targets = [target, others[0]];
                NemesisCluster.Partition(target, others[0], cut: true);
                await Task.Delay(hold);
                NemesisCluster.Partition(target, others[0], cut: false);
                break;
            case "pg-cut":
                target.Postgres.Cut();
                await Task.Delay(hold);
                target.Postgres.Restore();
                break;
            case "restart":
                try
                {
                    await target.Process!.TerminateAsync();
                }
                catch (OperationCanceledException)
                {
                    // A graceful stop that hangs is a finding, not the end of the run: noted, then killed.
                    history.Notes.Enqueue($"{history.Now:N1} s {target.Name} did not stop within 30 s of SIGTERM; killed");
                    target.Process!.Kill();
                }
                await StartAsync(target);
                break;
            case "slow-disk":
                target.Postgres.Pause();
                await Task.Delay(hold);
                target.Postgres.Resume();
                break;
        }
        var healed = history.Now;
        await SettleAsync(healed, targets, partitions);
        var fault = new Fault(kind, string.Join("+", targets.Select(t => t.Name)), start, healed);
        history.Faults.Enqueue(fault);
        return fault;
    }

    /// <summary>
    /// Restarts every node that is not running (a node the cluster downed stops by itself, a moment after it
    /// learns it), then waits until every partition has acknowledged a record since the last restart.
    /// </summary>
    public async Task SettleAsync(double since, IReadOnlyList<NemesisCluster.Node> targets, int partitions)
    {
        var deadline = history.Now + 60;
        // A downed node may take a few seconds to notice and stop: look again before calling the cluster settled.
        for (var round = 0; round < 3 && history.Now < deadline; round++)
        {
            foreach (var node in cluster.Nodes.Where(n => !n.Running))
            {
                if (!targets.Contains(node))
                {
                    FalseDownings++;
                    history.Notes.Enqueue($"{history.Now:N1} s FALSE DOWNING: {node.Name} stopped although no fault targeted it");
                }
                else history.Notes.Enqueue($"{history.Now:N1} s {node.Name} stopped (downed), restarting");
                await StartAsync(node);
                since = history.Now;
            }
            await AllPartitionsAcknowledgedAfterAsync(since, partitions, TimeSpan.FromSeconds(Math.Max(1, deadline - history.Now)));
            await Task.Delay(TimeSpan.FromSeconds(2));
        }
        if (await RestartTargetsDownedLateAsync(targets, deadline))
            await AllPartitionsAcknowledgedAfterAsync(history.Now, partitions, TimeSpan.FromSeconds(Math.Max(1, deadline - history.Now)));
    }

    /// <summary>
    /// A target the cluster downed learns it by gossip and stops by itself seconds later, possibly after the rounds
    /// of <see cref="SettleAsync"/>: seed 11's n3, isolated until 484.7 s, was downed at 485.7 s and stopped at
    /// 490.5 s, during the next fault, which counted it as a false downing. So a fault is settled only once a node
    /// it did not target lists every target Up and reachable; a target it does not list is waited for until it
    /// stops, and restarted. Returns whether any was restarted.
    /// </summary>
    private async Task<bool> RestartTargetsDownedLateAsync(IReadOnlyList<NemesisCluster.Node> targets, double deadline)
    {
        var restarted = false;
        var until = Math.Max(deadline, history.Now + 30);
        while (history.Now < until)
        {
            if (cluster.Nodes.FirstOrDefault(n => !targets.Contains(n) && n.Running) is not { } observer) return restarted;
            IReadOnlyList<ClusterMember> members;
            try
            {
                await using var connection = await PlatformConnection.ConnectAsync(observer.KafkaAddress);
                members = (await new PlatformAdmin(connection).ClusterStatusAsync()).Members;
            }
            catch (Exception e) when (e is PlatformException or TimeoutException or IOException or System.Net.Sockets.SocketException)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(500));
                continue;
            }
            var unlisted = targets.Where(t => !members.Any(m => m.Address == t.KafkaAddress && m is { Status: "Up", Reachable: true })).ToList();
            if (unlisted.Count == 0) return restarted;
            foreach (var node in unlisted.Where(n => !n.Running))
            {
                history.Notes.Enqueue($"{history.Now:N1} s {node.Name} stopped (downed) after the fault had settled, restarting");
                await StartAsync(node);
                restarted = true;
            }
            await Task.Delay(TimeSpan.FromMilliseconds(500));
        }
        history.Notes.Enqueue($"{history.Now:N1} s settle: not every target was listed Up and reachable in time");
        return restarted;
    }

    /// <summary>
    /// Waits until every partition has acknowledged a record after <paramref name="since"/>; a partition that does
    /// not within <paramref name="timeout"/> is noted (the report's unavailability shows how long) and the run goes on.
    /// </summary>
    private async Task AllPartitionsAcknowledgedAfterAsync(double since, int partitions, TimeSpan timeout)
    {
        HashSet<int> Serving() => history.Acknowledgements.Where(a => a.At > since).Select(a => a.Partition).ToHashSet();
        try
        {
            await Eventually.TrueAsync(() => Serving().Count == partitions, $"every partition acknowledging records after {since:N1} s",
                timeout, TimeSpan.FromMilliseconds(50));
        }
        catch (TimeoutException)
        {
            var silent = Enumerable.Range(0, partitions).Except(Serving());
            history.Notes.Enqueue($"{history.Now:N1} s UNAVAILABLE: partitions {string.Join(", ", silent)} acknowledged nothing for {timeout.TotalSeconds:N0} s after {since:N1} s");
        }
    }
}
