using System.Net;
using System.Net.Sockets;
using Platform.Specs.Support;

namespace Platform.Specs.Http;

/// <summary>The operator's path with a real `platform node` process: --http-port, the printed address, health and metrics over HTTP.</summary>
[Trait("Category", "Process")]
public sealed class OperatorEndpointProcessSpecs
{
    [Fact]
    public async Task A_node_process_serves_health_and_metrics_on_its_http_port_and_prints_where()
    {
        var httpPort = HostProcess.FreePort();
        await using var node = await HostProcess.StartNodeAsync(TestNode.NewDataDir(), HostProcess.FreePort(), ["--http-port", httpPort.ToString()]);
        Assert.Contains($"health and metrics at http://127.0.0.1:{httpPort}", node.Stderr);

        var ready = await Eventually.ValueAsync(() => OperatorEndpointSpecs.Http.GetAsync($"http://127.0.0.1:{httpPort}/health/ready"),
            r => r.StatusCode == HttpStatusCode.OK, "the node process is ready");
        Assert.Contains("\"status\":\"ready\"", await ready.Content.ReadAsStringAsync());
        var metrics = await OperatorEndpointSpecs.Http.GetStringAsync($"http://127.0.0.1:{httpPort}/metrics");
        Assert.Contains("platform_cluster_members{status=\"Up\"} 1\n", metrics);
    }

    [Fact]
    public async Task A_node_whose_http_port_is_taken_refuses_to_start_and_names_the_port()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port;
        var result = await HostProcess.RunAsync(null, "node", "--data-dir", TestNode.NewDataDir(), "--port", HostProcess.FreePort().ToString(),
            "--kafka-port", "0", "--http-port", port.ToString());
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains($"The HTTP endpoint port 127.0.0.1:{port} is already in use", result.Stderr);
    }
}
