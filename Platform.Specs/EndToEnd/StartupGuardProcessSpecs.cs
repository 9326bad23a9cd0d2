using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Platform.Specs.Support;

namespace Platform.Specs.EndToEnd;

/// <summary>
/// A second `platform node` process started wrong (issue #17 item 1): on a port another node or program holds, on
/// another node's data directory, on a directory that is a file, lacks its parent or is read-only, or on a PostgreSQL
/// that does not answer. Each exits 1 with one line naming the cause and the port or path, and no stack trace; the
/// first node keeps serving its clients.
/// </summary>
[Trait("Category", "Process")]
public sealed class StartupGuardProcessSpecs
{
    private static async Task<string> ExpectRefused(params string[] args)
    {
        var result = await HostProcess.RunAsync(null, ["node", "--host", "127.0.0.1", .. args]);
        Assert.True(result.ExitCode == 1, $"exit {result.ExitCode}: {result.Stderr}");
        var lines = result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.True(lines.Length == 1, $"one line expected, got: {result.Stderr}");
        Assert.StartsWith("error: ", lines[0]);
        Assert.DoesNotContain("   at ", result.Stderr);
        return lines[0];
    }

    private static string Port(int port) => port.ToString(System.Globalization.CultureInfo.InvariantCulture);

    [Fact]
    public async Task A_second_node_on_a_taken_port_or_data_directory_exits_1_naming_it_and_the_first_keeps_serving()
    {
        var dataDir = TestNode.NewDataDir();
        var (remoting, kafka, http) = (HostProcess.FreePort(), HostProcess.FreePort(), HostProcess.FreePort());
        await using var first = await HostProcess.StartNodeAsync(dataDir, remoting, ["--kafka-port", Port(kafka), "--http-port", Port(http)]);
        var server = $"127.0.0.1:{kafka}";
        var created = await HostProcess.RunAsync(null, "topics", "create", "kept", "--partitions", "2", "--bootstrap-server", server);
        Assert.True(created.ExitCode == 0, created.Stderr);

        Assert.Contains($"The Kafka listener port 127.0.0.1:{kafka} is already in use",
            await ExpectRefused("--data-dir", TestNode.NewDataDir(), "--port", Port(HostProcess.FreePort()), "--kafka-port", Port(kafka), "--http-port", "0"));
        Assert.Contains($"The remoting port 127.0.0.1:{remoting} is already in use",
            await ExpectRefused("--data-dir", TestNode.NewDataDir(), "--port", Port(remoting), "--kafka-port", "0", "--http-port", "0"));
        Assert.Contains($"The HTTP endpoint port 127.0.0.1:{http} is already in use",
            await ExpectRefused("--data-dir", TestNode.NewDataDir(), "--port", Port(HostProcess.FreePort()), "--kafka-port", "0", "--http-port", Port(http)));
        Assert.Contains($"The data directory {dataDir} is in use by another node (process {first.Id})",
            await ExpectRefused("--data-dir", dataDir, "--port", Port(HostProcess.FreePort()), "--kafka-port", "0", "--http-port", "0"));

        // The first node still answers every client alone: the same topics on every try, as before the attempts.
        for (var i = 0; i < 5; i++)
        {
            var list = await HostProcess.RunAsync(null, "topics", "list", "--bootstrap-server", server);
            Assert.True(list.ExitCode == 0, list.Stderr);
            Assert.Equal("kept", list.Stdout.Trim());
        }
        var produced = await HostProcess.RunAsync("a\nb\n", "produce", "kept", "--bootstrap-server", server);
        Assert.True(produced.ExitCode == 0, produced.Stderr);
        using var health = new HttpClient();
        Assert.Equal(HttpStatusCode.OK, (await health.GetAsync($"http://127.0.0.1:{http}/health/live")).StatusCode);
    }

    [Fact]
    public async Task A_node_whose_Kafka_port_another_program_holds_exits_1_naming_the_port()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port;
        Assert.Contains($"The Kafka listener port 127.0.0.1:{port} is already in use",
            await ExpectRefused("--data-dir", TestNode.NewDataDir(), "--port", Port(HostProcess.FreePort()), "--kafka-port", Port(port), "--http-port", "0"));
    }

    [Fact]
    public async Task A_data_directory_that_is_a_file_or_lacks_its_parent_is_refused_naming_the_path()
    {
        var parent = TestNode.NewDataDir();
        var file = Path.Combine(parent, "a-file");
        await File.WriteAllTextAsync(file, "not a directory");
        Assert.Contains($"The data directory {file} is a file",
            await ExpectRefused("--data-dir", file, "--port", Port(HostProcess.FreePort()), "--kafka-port", "0", "--http-port", "0"));
        var orphan = Path.Combine(parent, "missing", "data");
        Assert.Contains($"The data directory {orphan} cannot be created: its parent {Path.Combine(parent, "missing")} does not exist",
            await ExpectRefused("--data-dir", orphan, "--port", Port(HostProcess.FreePort()), "--kafka-port", "0", "--http-port", "0"));
        Assert.False(Directory.Exists(Path.Combine(parent, "missing")));
    }

    [Fact]
    public async Task A_read_only_data_directory_is_refused_naming_the_path()
    {
        // A read-only file system is the one thing that stops root (which runs the suite) from writing: a mode does not.
        var dir = TestNode.NewDataDir();
        if (!await Mount("mount", "-t", "tmpfs", "-o", "ro,size=1m", "tmpfs", dir))
            Assert.Fail("This spec needs root to mount a read-only tmpfs (the suite runs as root in .ci/run)");
        try
        {
            Assert.Contains($"The data directory {dir} is not writable",
                await ExpectRefused("--data-dir", dir, "--port", Port(HostProcess.FreePort()), "--kafka-port", "0", "--http-port", "0"));
        }
        finally
        {
            await Mount("umount", dir);
        }
    }

    [Fact]
    public async Task A_node_whose_PostgreSQL_does_not_answer_exits_1_naming_its_host_and_the_error()
    {
        var port = HostProcess.FreePort();
        var line = await ExpectRefused("--data-dir", TestNode.NewDataDir(), "--port", Port(HostProcess.FreePort()), "--kafka-port", "0", "--http-port", "0",
            "--storage", "postgres", "--connection-string", $"Host=127.0.0.1;Port={port};Username=platform;Password=x;Database=platform");
        Assert.Contains($"PostgreSQL at 127.0.0.1:{port} (database platform) cannot be reached", line);
        Assert.Contains("refused", line);
    }

    private static async Task<bool> Mount(string command, params string[] args)
    {
        using var process = Process.Start(new ProcessStartInfo(command, args) { RedirectStandardError = true, RedirectStandardOutput = true })!;
        await process.WaitForExitAsync();
        return process.ExitCode == 0;
    }
}
