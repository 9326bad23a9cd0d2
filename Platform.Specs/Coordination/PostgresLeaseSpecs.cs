using System.Diagnostics;
using Akka.Actor;
using Akka.Configuration;
using Akka.Coordination;
using Npgsql;
using Platform.Actors.Configuration;
using Platform.Actors.Coordination;
using Platform.Specs.Support;

namespace Platform.Specs.Coordination;

/// <summary>
/// The split-brain resolver's lease on a real PostgreSQL server, as two nodes (two ActorSystems) contend for it:
/// one owner at a time, renewal past its heartbeat-timeout, expiry when its owner dies, release with its hold,
/// a takeover reported to the owner, and a database that does not answer failing the call.
/// Timings are shortened (heartbeat-timeout 1.5 s) so that the expiry specs take seconds.
/// </summary>
[Trait("Category", "Postgres")]
public sealed class PostgresLeaseSpecs : IAsyncLifetime
{
    private static readonly TimeSpan Ttl = TimeSpan.FromSeconds(1.5);
    private static readonly TimeSpan Hold = TimeSpan.FromSeconds(1);
    private const string LeaseName = "specs-akka-sbr";
    private readonly List<ActorSystem> _systems = [];
    private string _database = "";

    public async Task InitializeAsync() => _database = await TestPostgres.NewDatabaseAsync();

    public async Task DisposeAsync()
    {
        foreach (var system in _systems) await system.Terminate();
    }

    [Fact]
    public async Task Only_one_of_two_contenders_takes_the_lease_and_its_owner_takes_it_again()
    {
        var (a, b) = (Lease("a"), Lease("b"));

        Assert.True(await a.Acquire());
        Assert.False(await b.Acquire());
        Assert.True(a.CheckLease());
        Assert.False(b.CheckLease());
        Assert.True(await a.Acquire()); // the resolver acquires again for its next decision
        Assert.Equal("a", await OwnerAsync());
    }

    [Fact]
    public async Task A_held_lease_is_renewed_past_its_heartbeat_timeout()
    {
        var (a, b) = (Lease("a"), Lease("b"));
        Assert.True(await a.Acquire());

        var watch = Stopwatch.StartNew();
        var bTookIt = false;
        await Eventually.TrueAsync(async () =>
        {
            bTookIt |= await b.Acquire();
            return watch.Elapsed > Ttl * 3;
        }, "three heartbeat-timeouts of b trying", TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(200));

        Assert.False(bTookIt);
        Assert.True(a.CheckLease());
    }

    [Fact]
    public async Task The_lease_of_an_owner_that_died_expires_after_its_heartbeat_timeout_and_another_takes_it()
    {
        var a = Lease("a");
        var b = Lease("b");
        Assert.True(await a.Acquire());

        await _systems[0].Terminate(); // node a dies: nothing renews its row any more
        var died = Stopwatch.StartNew();
        Assert.False(await b.Acquire());
        await Eventually.TrueAsync(() => b.Acquire(), "b to take the expired lease", TimeSpan.FromSeconds(15), TimeSpan.FromMilliseconds(100));

        Assert.InRange(died.Elapsed, Ttl - TimeSpan.FromSeconds(1), Ttl + TimeSpan.FromSeconds(5));
        Assert.True(b.CheckLease());
        Assert.Equal("b", await OwnerAsync());
    }

    [Fact]
    public async Task A_released_lease_stays_with_its_owner_for_the_hold_then_another_takes_it()
    {
        var (a, b) = (Lease("a"), Lease("b"));
        Assert.True(await a.Acquire());

        Assert.True(await a.Release());
        var released = Stopwatch.StartNew();
        Assert.False(a.CheckLease());
        Assert.False(await b.Acquire());
        await Eventually.TrueAsync(() => b.Acquire(), "b to take the released lease", TimeSpan.FromSeconds(15), TimeSpan.FromMilliseconds(100));

        Assert.InRange(released.Elapsed, Hold - TimeSpan.FromSeconds(0.5), Hold + TimeSpan.FromSeconds(5));
        Assert.False(await a.Acquire());
    }

    [Fact]
    public async Task A_renewal_that_finds_the_lease_taken_over_calls_the_lost_callback()
    {
        var a = Lease("a");
        var lost = new TaskCompletionSource<Exception>(TaskCreationOptions.RunContinuationsAsynchronously);
        Assert.True(await a.Acquire(e => lost.TrySetResult(e)));

        // Another owner's row, as after an expiry that a renewal lost to the database missed.
        await ExecuteAsync("UPDATE platform_lease SET owner = 'b'");

        var cause = await lost.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.IsType<LeaseException>(cause);
        Assert.False(a.CheckLease());
    }

    [Fact]
    public async Task A_database_that_does_not_answer_fails_the_acquire_within_the_operation_timeout()
    {
        var unreachable = new NpgsqlConnectionStringBuilder(_database) { Host = "127.0.0.1", Port = HostProcess.FreePort() }.ConnectionString;
        var lease = Lease("a", unreachable);

        var watch = Stopwatch.StartNew();
        await Assert.ThrowsAsync<LeaseException>(() => lease.Acquire());

        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"took {watch.Elapsed}");
        Assert.False(lease.CheckLease());
    }

    [Fact]
    public void A_node_without_PostgreSQL_is_refused_at_start()
    {
        var system = System(PlatformConfig.Defaults); // SQLite, the single-node default
        var error = Assert.ThrowsAny<Exception>(() => LeaseProvider.Get(system).GetLease(LeaseName, "akka.coordination.lease.postgres", "a"));

        Assert.Contains("needs the cluster's PostgreSQL", (error.InnerException ?? error).Message);
    }

    /// <summary>A node of its own for each owner, as in a cluster: the lease as the resolver gets it.</summary>
    private Lease Lease(string owner, string? connectionString = null)
    {
        var config = ConfigurationFactory.ParseString($$"""
            akka.coordination.lease.postgres {
              heartbeat-interval = 300ms
              heartbeat-timeout = {{Ttl.TotalMilliseconds}}ms
              lease-operation-timeout = 2s
              hold-after-release = {{Hold.TotalMilliseconds}}ms
              connection-string = "{{connectionString ?? _database}}"
            }
            """).WithFallback(PlatformConfig.Defaults);
        var lease = LeaseProvider.Get(System(config)).GetLease(LeaseName, "akka.coordination.lease.postgres", owner);
        Assert.IsType<PostgresLease>(lease);
        return lease;
    }

    private ActorSystem System(Config config)
    {
        var system = ActorSystem.Create($"lease-{_systems.Count}", ConfigurationFactory.ParseString("akka.actor.provider = local").WithFallback(config));
        _systems.Add(system);
        return system;
    }

    private async Task<string> OwnerAsync()
    {
        await using var connection = new NpgsqlConnection(_database);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"SELECT owner FROM platform_lease WHERE lease_name = '{LeaseName}'", connection);
        return (string)(await command.ExecuteScalarAsync())!;
    }

    private async Task ExecuteAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(_database);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
