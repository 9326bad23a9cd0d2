using Platform.Specs.Support;

namespace Platform.Specs.EndToEnd;

/// <summary>
/// The operator's path to a TLS cluster with real processes: `platform certs create`, two `platform node`
/// processes with the certificates it made, and what a node with seeds but without certificates says.
/// </summary>
[Trait("Category", "Process")]
public sealed class TlsProcessSpecs
{
    [Fact]
    [Trait("Category", "Postgres")]
    public async Task Nodes_started_with_the_certificates_of_certs_create_form_a_cluster_over_mutual_TLS()
    {
        var dir = Path.Combine(TestNode.NewDataDir(), "certs");
        var created = await HostProcess.RunAsync(null, "certs", "create", "--out", dir, "--nodes", "n1,n2", "--password", "secret");
        Assert.True(created.ExitCode == 0, created.Stderr);
        Assert.True(File.Exists(Path.Combine(dir, "ca.crt")) && File.Exists(Path.Combine(dir, "n1.p12")) && File.Exists(Path.Combine(dir, "n2.p12")));

        var port = HostProcess.FreePort();
        // Members of a cluster share one journal (a node on its own SQLite file refuses to join).
        var database = await TestPostgres.NewDatabaseAsync();
        string[] Tls(string node) => ["--storage", "postgres", "--connection-string", database, "--seed", $"127.0.0.1:{port}", "--tls-cert", Path.Combine(dir, node + ".p12"), "--tls-cert-password", "secret", "--tls-ca", Path.Combine(dir, "ca.crt"), "--require-tls"];
        await using var first = await HostProcess.StartNodeAsync(TestNode.NewDataDir(), port, Tls("n1"));
        // The second node's only seed is the first: it is up once it joined the first over TLS.
        await using var second = await HostProcess.StartNodeAsync(TestNode.NewDataDir(), HostProcess.FreePort(), Tls("n2"));
        Assert.Contains("remoting over mutual TLS", first.Stderr);
        Assert.Contains("remoting over mutual TLS", second.Stderr);
        Assert.DoesNotContain("warning:", first.Stderr + second.Stderr);
    }

    [Fact]
    public async Task A_node_with_seeds_and_without_certificates_warns_and_refuses_to_start_with_require_tls()
    {
        var port = HostProcess.FreePort();
        var refused = await HostProcess.RunAsync(null, "node", "--data-dir", TestNode.NewDataDir(), "--port", port.ToString(), "--kafka-port", "0",
            "--seed", $"127.0.0.1:{port}", "--require-tls");
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("TLS is required", refused.Stderr);

        await using var node = await HostProcess.StartNodeAsync(TestNode.NewDataDir(), port, ["--seed", $"127.0.0.1:{port}"]);
        Assert.Contains("warning: remoting between cluster members is neither encrypted nor authenticated", node.Stderr);
        Assert.Contains("remoting UNPROTECTED", node.Stderr);
    }
}
