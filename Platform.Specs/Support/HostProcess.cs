using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Platform.Specs.Support;

/// <summary>
/// Runs the real <c>platform</c> executable (Platform.Host's build output, copied next to the specs) as a
/// separate process, so that specs can kill a node with SIGKILL and drive the operator commands exactly
/// as a user's shell would.
/// </summary>
public sealed class HostProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private HostProcess(Process process, string? readyLine)
    {
        _process = process;
        if (readyLine is null) _ready.TrySetResult();
        _process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (_stdout) _stdout.AppendLine(e.Data);
        };
        _process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (_stderr) _stderr.AppendLine(e.Data);
            if (readyLine is not null && e.Data.Contains(readyLine, StringComparison.Ordinal)) _ready.TrySetResult();
        };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    /// <summary>The operating system's id of the process (e.g. for <c>bench --node-pid</c>).</summary>
    public int Id => _process.Id;

    public string Stdout
    {
        get
        {
            lock (_stdout) return _stdout.ToString();
        }
    }

    public string Stderr
    {
        get
        {
            lock (_stderr) return _stderr.ToString();
        }
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static Process Launch(IEnumerable<string> args, bool redirectInput)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = redirectInput,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "platform.dll"));
        foreach (var arg in args) info.ArgumentList.Add(arg);
        return Process.Start(info) ?? throw new InvalidOperationException("Could not start the platform executable");
    }

    /// <summary>
    /// Starts <c>platform node</c> and waits until it says it is up; its Kafka listener (what clients bootstrap
    /// from) on <paramref name="kafkaPort"/>, or a free port when not given.
    /// </summary>
    public static async Task<HostProcess> StartNodeAsync(string dataDir, int port, IReadOnlyList<string>? extraArgs = null, int? kafkaPort = null)
    {
        var kafka = extraArgs?.Contains("--kafka-port") == true ? [] : new[] { "--kafka-port", (kafkaPort ?? 0).ToString() };
        var http = extraArgs?.Contains("--http-port") == true ? [] : new[] { "--http-port", "0" };
        var host = new HostProcess(Launch(["node", "--data-dir", dataDir, "--port", port.ToString(), "--host", "127.0.0.1", .. kafka, .. http, .. extraArgs ?? []], false), "Platform node up");
        var finished = await Task.WhenAny(host._ready.Task, host._process.WaitForExitAsync(), Task.Delay(TimeSpan.FromSeconds(60)));
        if (!host._ready.Task.IsCompleted)
        {
            host.Kill();
            throw new InvalidOperationException($"The node did not start: {host.Stderr}{host.Stdout}");
        }
        return host;
    }

    /// <summary>Starts a command in the background (e.g. a long-running consume) without waiting for it.</summary>
    public static HostProcess Start(params string[] args)
    {
        var host = new HostProcess(Launch(args, redirectInput: true), null);
        host._process.StandardInput.Close();
        return host;
    }

    /// <summary>Starts a command whose standard input the spec writes as it goes (e.g. a produce under way).</summary>
    public static HostProcess StartWithInput(params string[] args) => new(Launch(args, redirectInput: true), null);

    /// <summary>The standard input of a command started with <see cref="StartWithInput"/>.</summary>
    public StreamWriter Input => _process.StandardInput;

    /// <summary>Waits for a background command to finish and returns its exit code.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cts.Token);
        _process.WaitForExit(); // flushes the asynchronous output readers
        return _process.ExitCode;
    }

    /// <summary>Runs a command to completion, feeding <paramref name="stdin"/>; returns exit code and output.</summary>
    public static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(string? stdin, params string[] args)
    {
        var host = new HostProcess(Launch(args, redirectInput: true), null);
        if (stdin is not null) await host._process.StandardInput.WriteAsync(stdin);
        host._process.StandardInput.Close();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        try
        {
            await host._process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            host.Kill();
            throw new TimeoutException($"platform {string.Join(' ', args)} did not finish: {host.Stderr}");
        }
        host._process.WaitForExit(); // flushes the asynchronous output readers
        return (host._process.ExitCode, host.Stdout, host.Stderr);
    }

    /// <summary>
    /// Runs a command to completion with bytes in and bytes out: standard output exactly as written (the line
    /// readers of <see cref="RunAsync"/> would decode it as text), standard error as text.
    /// </summary>
    public static async Task<(int ExitCode, byte[] Stdout, string Stderr)> RunBinaryAsync(byte[]? stdin, params string[] args)
    {
        using var process = Launch(args, redirectInput: true);
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var stdout = new MemoryStream();
        var reading = process.StandardOutput.BaseStream.CopyToAsync(stdout, timeout.Token);
        var stderr = process.StandardError.ReadToEndAsync(timeout.Token);
        try
        {
            if (stdin is not null) await process.StandardInput.BaseStream.WriteAsync(stdin, timeout.Token);
            process.StandardInput.Close();
            await process.WaitForExitAsync(timeout.Token);
            await reading;
            return (process.ExitCode, stdout.ToArray(), await stderr);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"platform {string.Join(' ', args)} did not finish");
        }
    }

    /// <summary>SIGKILL: no shutdown hooks, no flushing; what a crashed machine looks like to the node.</summary>
    public void Kill()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        _process.WaitForExit(10_000);
    }

    /// <summary>Whether the process has ended (e.g. a node that the cluster downed stops by itself).</summary>
    public bool HasExited => _process.HasExited;

    /// <summary>SIGSTOP: the process freezes as in a long GC pause or a stalled VM; <see cref="Continue"/> wakes it.</summary>
    public void Stop() => Signal("STOP");

    /// <summary>SIGCONT after <see cref="Stop"/>.</summary>
    public void Continue() => Signal("CONT");

    private void Signal(string signal)
    {
        if (!_process.HasExited) Process.Start("kill", [$"-{signal}", _process.Id.ToString()])!.WaitForExit();
    }

    /// <summary>SIGTERM, then waits for the graceful exit.</summary>
    public async Task<int> TerminateAsync()
    {
        Signal("TERM");
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await _process.WaitForExitAsync(timeout.Token);
        return _process.ExitCode;
    }

    public ValueTask DisposeAsync()
    {
        Kill();
        _process.Dispose();
        return ValueTask.CompletedTask;
    }
}
