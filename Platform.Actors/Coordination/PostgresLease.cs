using System.Diagnostics;
using Akka.Actor;
using Akka.Coordination;
using Akka.Event;
using Npgsql;

namespace Platform.Actors.Coordination;

/// <summary>
/// An Akka.Coordination <see cref="Lease"/> on the cluster's PostgreSQL, for the split-brain resolver's
/// <c>lease-majority</c> strategy: when members become unreachable, only the side whose leader takes the lease
/// downs the other side; a side that cannot take it downs itself. No NuGet lease fits (Akka.Coordination ships
/// Kubernetes and Azure leases), and the database is the one arbiter every node already reaches.
/// <para>
/// One row per lease name holds the owner and an expiry in the database's clock (<c>now()</c>), so the nodes'
/// clocks never matter. Acquire is one atomic upsert that succeeds when the row is new, expired, or already
/// this owner's; the owner renews it every <c>heartbeat-interval</c> for <c>heartbeat-timeout</c> more. A
/// renewal that finds the row taken, or that has not succeeded for <c>heartbeat-timeout</c>, loses the lease.
/// Release stops renewing and leaves the row with its owner for <see cref="PostgresLeaseSettings.HoldAfterRelease"/>:
/// Akka's resolver releases twice <c>stable-after</c> after the downed members are removed, sooner than the other
/// side of a real split may try (it waits <c>acquire-lease-delay-for-minority</c> after its own stable-after), and
/// a lease free by then would let that side down the majority too.
/// </para>
/// Every call is asynchronous I/O bounded by <c>lease-operation-timeout</c>; a database that does not answer
/// fails the call with a <see cref="LeaseException"/>, which the resolver treats as not acquired.
/// </summary>
internal sealed class PostgresLease : Lease
{
    private readonly PostgresLeaseSettings _settings;
    private readonly NpgsqlDataSource _dataSource;
    private readonly ILoggingAdapter _log;
    private readonly object _gate = new();
    private readonly SemaphoreSlim _tableCreated = new(1, 1);
    private bool _tableExists;
    private CancellationTokenSource? _renewal;
    private Action<Exception>? _leaseLost;
    // Stopwatch timestamp until which the lease is certainly ours: when the last successful acquire or renewal
    // statement was sent, plus heartbeat-timeout (the row's expiry was set after that, so it is no earlier).
    private long _heldUntil;

    /// <summary>Called by Akka.Coordination's LeaseProvider (by reflection) with the lease section.</summary>
    public PostgresLease(LeaseSettings settings, ExtendedActorSystem system) : base(settings)
    {
        _settings = PostgresLeaseSettings.Create(settings, system.Settings.Config);
        _dataSource = NpgsqlDataSource.Create(_settings.ConnectionString);
        _log = Akka.Event.Logging.GetLogger(system, typeof(PostgresLease));
        system.RegisterOnTermination(() =>
        {
            StopRenewal();
            _dataSource.Dispose();
        });
    }

    public override Task<bool> Acquire() => Acquire(null!);

    public override async Task<bool> Acquire(Action<Exception> leaseLostCallback)
    {
        var (rows, started) = await RunAsync("acquire", (connection, token) => ExecuteAsync(connection, $"""
            INSERT INTO {_settings.Table} (lease_name, owner, expires_at) VALUES (@name, @owner, now() + @ttl)
            ON CONFLICT (lease_name) DO UPDATE SET owner = EXCLUDED.owner, expires_at = EXCLUDED.expires_at
            WHERE {_settings.Table}.owner = EXCLUDED.owner OR {_settings.Table}.expires_at < now()
            """, Settings.TimeoutSettings.HeartbeatTimeout, token));
        if (rows != 1) return false;
        lock (_gate)
        {
            _heldUntil = started + ToTicks(Settings.TimeoutSettings.HeartbeatTimeout);
            _leaseLost = leaseLostCallback;
            if (_renewal is null)
            {
                _renewal = new CancellationTokenSource();
                _ = RenewAsync(_renewal.Token);
            }
        }
        _log.Info("Lease {0} acquired by {1}", Settings.LeaseName, Settings.OwnerName);
        return true;
    }

    public override async Task<bool> Release()
    {
        StopRenewal();
        // Shortens the expiry to hold-after-release at the most; never lengthens it past the last renewal's.
        await RunAsync("release", (connection, token) => ExecuteAsync(connection, $"""
            UPDATE {_settings.Table} SET expires_at = LEAST(expires_at, now() + @ttl)
            WHERE lease_name = @name AND owner = @owner
            """, _settings.HoldAfterRelease, token));
        _log.Info("Lease {0} released by {1} (kept for {2} more)", Settings.LeaseName, Settings.OwnerName, _settings.HoldAfterRelease);
        return true;
    }

    public override bool CheckLease()
    {
        lock (_gate) return _renewal is not null && Stopwatch.GetTimestamp() < _heldUntil;
    }

    private async Task RenewAsync(CancellationToken stop)
    {
        using var timer = new PeriodicTimer(Settings.TimeoutSettings.HeartbeatInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(stop))
            {
                try
                {
                    // Only a row still ours and unexpired is renewed: an expired lease may already be another's
                    // in every way but the row, and must not come back to life.
                    var (rows, started) = await RunAsync("renew", (connection, token) => ExecuteAsync(connection, $"""
                        UPDATE {_settings.Table} SET expires_at = now() + @ttl
                        WHERE lease_name = @name AND owner = @owner AND expires_at >= now()
                        """, Settings.TimeoutSettings.HeartbeatTimeout, token));
                    if (rows == 1)
                    {
                        lock (_gate) _heldUntil = started + ToTicks(Settings.TimeoutSettings.HeartbeatTimeout);
                        continue;
                    }
                    Lose(new LeaseException($"Lease {Settings.LeaseName} was taken over or expired before {Settings.OwnerName} renewed it"), stop);
                    return;
                }
                catch (LeaseException e) when (!stop.IsCancellationRequested)
                {
                    if (Stopwatch.GetTimestamp() < Volatile.Read(ref _heldUntil))
                    {
                        _log.Warning("Lease {0}: renewal failed, tried again in {1}: {2}", Settings.LeaseName, Settings.TimeoutSettings.HeartbeatInterval, e.Message);
                        continue;
                    }
                    Lose(e, stop);
                    return;
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // Released, lost, or the system terminated.
        }
        catch (Exception e)
        {
            // Nothing awaits this loop: an unexpected failure must not end the renewals silently while CheckLease
            // still says held; it is logged and the lease given up, as a failed renewal is.
            _log.Error(e, "Lease {0}: renewal stopped by an unexpected error", Settings.LeaseName);
            Lose(e, stop);
        }
    }

    private void Lose(Exception cause, CancellationToken renewal)
    {
        Action<Exception>? callback;
        lock (_gate)
        {
            if (renewal.IsCancellationRequested) return; // released meanwhile: nothing was lost
            callback = _leaseLost;
            _leaseLost = null;
            _heldUntil = 0;
            _renewal?.Dispose();
            _renewal = null;
        }
        _log.Warning("Lease {0} lost by {1}: {2}", Settings.LeaseName, Settings.OwnerName, cause.Message);
        callback?.Invoke(cause);
    }

    private void StopRenewal()
    {
        lock (_gate)
        {
            _renewal?.Cancel();
            _renewal?.Dispose();
            _renewal = null;
            _leaseLost = null;
            _heldUntil = 0;
        }
    }

    /// <summary>One database call within lease-operation-timeout; any failure becomes a <see cref="LeaseException"/>.</summary>
    private async Task<T> RunAsync<T>(string operation, Func<NpgsqlConnection, CancellationToken, Task<T>> call)
    {
        using var timeout = new CancellationTokenSource(Settings.TimeoutSettings.OperationTimeout);
        try
        {
            await using var connection = await _dataSource.OpenConnectionAsync(timeout.Token);
            await EnsureTableAsync(connection, timeout.Token);
            return await call(connection, timeout.Token);
        }
        catch (Exception e) when (e is NpgsqlException or OperationCanceledException or TimeoutException or System.Net.Sockets.SocketException)
        {
            throw new LeaseException(
                $"Lease {Settings.LeaseName}: {operation} by {Settings.OwnerName} failed within {Settings.TimeoutSettings.OperationTimeout}: {e.Message}", e);
        }
    }

    /// <summary>Runs one statement; returns the rows it changed and the Stopwatch timestamp just before it ran (no
    /// later than the database's <c>now()</c> in it, so an expiry counted from there is never later than the row's).</summary>
    private async Task<(int Rows, long Started)> ExecuteAsync(NpgsqlConnection connection, string sql, TimeSpan ttl, CancellationToken token)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.AddWithValue("name", Settings.LeaseName);
        command.Parameters.AddWithValue("owner", Settings.OwnerName);
        command.Parameters.AddWithValue("ttl", ttl);
        var started = Stopwatch.GetTimestamp();
        return (await command.ExecuteNonQueryAsync(token), started);
    }

    private async Task EnsureTableAsync(NpgsqlConnection connection, CancellationToken token)
    {
        if (Volatile.Read(ref _tableExists)) return;
        await _tableCreated.WaitAsync(token);
        try
        {
            if (_tableExists) return;
            await using var command = new NpgsqlCommand(
                $"CREATE TABLE IF NOT EXISTS {_settings.Table} (lease_name text PRIMARY KEY, owner text NOT NULL, expires_at timestamptz NOT NULL)",
                connection);
            try
            {
                await command.ExecuteNonQueryAsync(token);
            }
            catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.UniqueViolation or PostgresErrorCodes.DuplicateTable)
            {
                // Another node created it at the same moment (IF NOT EXISTS does not cover a concurrent create).
            }
            Volatile.Write(ref _tableExists, true);
        }
        finally
        {
            _tableCreated.Release();
        }
    }

    private static long ToTicks(TimeSpan span) => (long)(span.TotalSeconds * Stopwatch.Frequency);
}
