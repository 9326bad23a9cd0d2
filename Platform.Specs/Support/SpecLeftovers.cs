using System.Diagnostics;
using System.Globalization;
using Npgsql;

namespace Platform.Specs.Support;

/// <summary>
/// Removing what a spec run creates (issue #17 item 7): data directories <c>/tmp/platform-spec-PID-…</c> and PostgreSQL
/// databases <c>platform_spec_PID_…</c>, both named after the test process.
/// <para>
/// Why a watcher process and not a ProcessExit handler: the test host is killed soon after the last spec, while the
/// nodes still inside it shut down, and a handler there never got to run. A small shell started with the first
/// directory or database waits for the test process to end and then removes its directories and drops its databases
/// (with psql, where installed). What a watcher could not remove (no psql, the machine stopped) the next run removes:
/// names whose PID no longer runs. Never a name without a PID: it may belong to a run in another worktree on the same
/// machine, from before the names carried one.
/// </para>
/// </summary>
public static class SpecLeftovers
{
    private static readonly Lazy<bool> Watcher = new(StartWatcher, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>Starts this test process's watcher, once.</summary>
    public static void WatchThisProcess() => _ = Watcher.Value;

    public static bool OfEndedProcess(string suffix, char separator)
    {
        var end = suffix.IndexOf(separator);
        return end > 0 && int.TryParse(suffix[..end], NumberStyles.None, CultureInfo.InvariantCulture, out var pid) && !Running(pid);
    }

    private static bool Running(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    private static bool StartWatcher()
    {
        var pid = Environment.ProcessId;
        var postgres = new NpgsqlConnectionStringBuilder(TestPostgres.Server);
        var script = $$"""
            while kill -0 {{pid}} 2>/dev/null; do sleep 1; done
            rm -rf {{Path.GetTempPath()}}platform-spec-{{pid}}-*
            command -v psql >/dev/null || exit 0
            psql -Atc "SELECT datname FROM pg_database WHERE datname LIKE 'platform\_spec\_{{pid}}\_%'" | while read -r name; do
              psql -qc "DROP DATABASE IF EXISTS $name WITH (FORCE)" >/dev/null 2>&1
            done
            """;
        var info = new ProcessStartInfo("sh") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add(script);
        info.Environment["PGHOST"] = postgres.Host;
        info.Environment["PGPORT"] = postgres.Port.ToString(CultureInfo.InvariantCulture);
        info.Environment["PGUSER"] = postgres.Username;
        info.Environment["PGPASSWORD"] = postgres.Password;
        info.Environment["PGDATABASE"] = "postgres";
        using var watcher = Process.Start(info);
        return watcher is not null;
    }
}
