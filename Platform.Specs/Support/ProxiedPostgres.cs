using Akka.Configuration;
using Npgsql;
using Platform.Actors.Configuration;
using Platform.Actors.Hosting;

namespace Platform.Specs.Support;

/// <summary>
/// A node whose journal is a fresh database on the real PostgreSQL server, reached through a <see cref="TcpProxy"/>
/// the spec cuts, pauses and restores: the database going away and coming back without touching the node.
/// </summary>
public static class ProxiedPostgres
{
    public static async Task<(PlatformNode Node, TcpProxy Proxy)> StartNodeAsync()
    {
        var database = new NpgsqlConnectionStringBuilder(await TestPostgres.NewDatabaseAsync());
        var proxy = new TcpProxy(database.Host!, database.Port);
        // Short timeouts, so that a cut shows within seconds instead of after Npgsql's 15 s default.
        var throughProxy = new NpgsqlConnectionStringBuilder(database.ConnectionString)
        {
            Host = "127.0.0.1", Port = proxy.Port, Timeout = 2, CommandTimeout = 3,
        };
        var node = await PlatformNode.StartAsync(PlatformConfig.ForNode(new NodeOptions(TestNode.NewDataDir(), "127.0.0.1", 0,
            ConfigurationFactory.ParseString("akka.loglevel = OFF"), null, StorageKind.Postgres, throughProxy.ConnectionString, KafkaPort: 0, HttpPort: 0)));
        return (node, proxy);
    }
}
