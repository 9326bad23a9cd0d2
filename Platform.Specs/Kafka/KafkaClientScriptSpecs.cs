using System.Diagnostics;
using System.Text;

namespace Platform.Specs.Kafka;

/// <summary>
/// Unmodified Kafka clients outside .NET, each driven by a script in Kafka/Scripts that produces records and checks
/// every one comes back (key, value, headers, order per partition): kafka-python, confluent-kafka-python and kcat,
/// as Debian packages them (python3-kafka, python3-confluent-kafka, kcat; .ci/run installs them).
/// </summary>
[Trait("Category", "KafkaClients")]
public sealed class KafkaClientScriptSpecs(KafkaNodeFixture fixture) : IClassFixture<KafkaNodeFixture>
{

    // Debian's packages are installed for the system interpreter; a pyenv python3 first on PATH lacks them.
    private const string Python = "/usr/bin/python3";

    private static readonly TimeSpan ScriptTimeout = TimeSpan.FromSeconds(150);

    [Fact(Timeout = 180_000)]
    public Task Kafka_python_produces_and_consumes_back_every_record() => RunAsync(Python, "kafka_python_roundtrip.py", "kafka-python");

    [Fact(Timeout = 180_000)]
    public Task Confluent_kafka_python_produces_with_every_codec_and_consumes_back_every_record() =>
        RunAsync(Python, "confluent_kafka_roundtrip.py", "confluent-python");

    [Fact(Timeout = 180_000)]
    public Task Kcat_lists_produces_and_consumes_back_every_record() => RunAsync("/bin/bash", "kcat_roundtrip.sh", "kcat");

    [Fact]
    public Task Kafka_python_consumers_in_a_group_of_two_share_the_records() => RunAsync(Python, "kafka_python_roundtrip.py", "kafka-python-group", "--group");

    [Fact]
    public Task Confluent_kafka_python_consumers_in_a_group_of_two_share_the_records() =>
        RunAsync(Python, "confluent_kafka_roundtrip.py", "confluent-python-group", "--group");

    [Fact]
    public Task Kcat_consumers_in_a_group_of_two_share_the_records() => RunAsync("/bin/bash", "kcat_roundtrip.sh", "kcat-group", "--group");

    private async Task RunAsync(string interpreter, string script, string topicPrefix, params string[] flags)
    {
        const int partitions = 3;
        var topic = topicPrefix + "-" + Guid.NewGuid().ToString("N")[..8];
        await fixture.CreateTopicAsync(topic, partitions);
        var path = Path.Combine(AppContext.BaseDirectory, "Kafka", "Scripts", script);
        var start = new ProcessStartInfo(interpreter)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { path, fixture.Bootstrap, topic, partitions.ToString() }.Concat(flags)) start.ArgumentList.Add(argument);

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{interpreter} did not start");
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (stdout) stdout.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (stderr) stderr.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var timeout = new CancellationTokenSource(ScriptTimeout);
        var timedOut = false;
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            timedOut = true;
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
        // The exit event can precede the last lines of output; WaitForExit() without a timeout drains them.
        process.WaitForExit();
        string Report() => $"{script} {string.Join(' ', start.ArgumentList)}\n--- stdout\n{stdout}\n--- stderr\n{stderr}";
        Assert.False(timedOut, $"timed out after {ScriptTimeout}: {Report()}");
        Assert.True(process.ExitCode == 0, $"exit code {process.ExitCode}: {Report()}");
        Assert.Contains("OK", stdout.ToString());
    }
}
