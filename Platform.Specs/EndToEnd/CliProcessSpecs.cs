using System.Diagnostics;
using System.Text;
using Platform.Specs.Support;

namespace Platform.Specs.EndToEnd;

/// <summary>
/// The `platform` executable as an operator meets it, as a process: help, version and the wording of mistakes
/// (issue #17 item 4), and bytes that go through produce and consume unchanged (item 2), with a record too large
/// for the producer refused on the client (item 3).
/// </summary>
[Trait("Category", "Process")]
public sealed class CliProcessSpecs
{
    [Fact]
    public async Task Help_version_and_mistakes_answer_as_operators_tools_do()
    {
        var version = await HostProcess.RunAsync(null, "--version");
        Assert.True(version.ExitCode == 0, version.Stderr);
        Assert.Matches(@"^\d+\.\d+\.\d+", version.Stdout);

        foreach (var help in new[] { new[] { "consume", "--help" }, ["consume", "-h"], ["help", "consume"] })
        {
            var consume = await HostProcess.RunAsync(null, help);
            Assert.True(consume.ExitCode == 0, consume.Stderr);
            Assert.Contains("--from-beginning", consume.Stdout);
            Assert.Contains("--format <text|hex|base64|raw>", consume.Stdout);
            Assert.Contains("[default: text]", consume.Stdout);
        }
        var create = await HostProcess.RunAsync(null, "topics", "create", "-h");
        Assert.Contains("--partitions <N>", create.Stdout);
        var node = await HostProcess.RunAsync(null, "node", "--help");
        Assert.Contains("--log-level", node.Stdout);
        Assert.Contains("PLATFORM_PORT or 9192", node.Stdout);

        async Task Refused(string message, params string[] args)
        {
            var result = await HostProcess.RunAsync(null, args);
            Assert.True(result.ExitCode == 2, $"exit {result.ExitCode}: {result.Stderr}");
            Assert.Contains($"error: {message}", result.Stderr);
            Assert.DoesNotContain("   at ", result.Stderr);
        }
        await Refused("unknown option --form-beginning (did you mean --from-beginning?)", "consume", "t", "--form-beginning");
        await Refused("--partitions takes a whole number, got 'abc'", "topics", "create", "t", "--partitions", "abc");
        await Refused("--max-messages must be at least 1, got 0", "consume", "t", "--max-messages", "0");
        await Refused("unknown topics subcommand 'crate' (did you mean create?)", "topics", "crate", "t");
        await Refused("unknown command 'consme' (did you mean consume?)", "consme", "t");
        await Refused("--key-separator applies to line mode only", "produce", "t", "--file", "/etc/hostname", "--key-separator", ":");
        await Refused("--rate does not apply to bench --groups", "bench", "--groups", "--rate", "5");
        await Refused("--steps does not apply to bench", "bench", "--steps", "1,2");
        await Refused("--steps takes positive numbers separated by commas, got '1,x'", "bench", "--curve", "partitions", "--steps", "1,x");
        await Refused("--partitions does not apply to bench --recovery", "bench", "--recovery", "10", "--partitions", "3");
        await Refused("--offset needs --partition", "consume", "t", "--offset", "3");
        await Refused("--storage takes sqlite, postgres or postgresql, got 'mysql'", "node", "--storage", "mysql");
        await Refused("Required argument missing for option: '--format'", "consume", "t", "--format"); // not a crash in a validator

        // What the completion script asks: the words that may come at the cursor, from the same declarations.
        var script = await HostProcess.RunAsync(null, "completion", "bash");
        Assert.Contains("complete -o default -F _platform_complete platform", script.Stdout);
        var formats = await HostProcess.RunAsync(null, "[suggest:19]", "consume t --format ");
        Assert.Equal(["base64", "hex", "raw", "text"], formats.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        var options = await HostProcess.RunAsync(null, "[suggest:16]", "consume t --from");
        Assert.Equal("--from-beginning", options.Stdout.Trim());
        await Refused("unknown option --prot (did you mean --port?)", "--prot", "9193"); // options alone run a node, as before
    }

    [Fact]
    public async Task A_megabyte_of_random_bytes_round_trips_through_produce_file_and_consume_raw_byte_for_byte()
    {
        var kafkaPort = HostProcess.FreePort();
        var server = $"127.0.0.1:{kafkaPort}";
        // --log-level is akka.loglevel: at WARNING the node's INFO lines (a dozen at every start) are gone.
        await using var node = await HostProcess.StartNodeAsync(TestNode.NewDataDir(), HostProcess.FreePort(), ["--log-level", "warning"], kafkaPort: kafkaPort);
        Assert.Contains($"PID {node.Id}", node.Stderr); // what the README kills the node by
        Assert.DoesNotContain("[INFO]", node.Stderr);
        var created = await HostProcess.RunAsync(null, "topics", "create", "bytes", "--partitions", "1", "--bootstrap-server", server);
        Assert.True(created.ExitCode == 0, created.Stderr);

        var random = new byte[1_000_000];
        new Random(17).NextBytes(random);
        var small = new byte[] { 0x6f, 0x6b, 0xff, 0xfe, 0x0a, 0x41 }; // "ok", two bytes that are not UTF-8, "\nA"
        var files = Path.Combine(TestNode.NewDataDir(), "files");
        Directory.CreateDirectory(files);
        await File.WriteAllBytesAsync(Path.Combine(files, "random.bin"), random);
        await File.WriteAllBytesAsync(Path.Combine(files, "small.bin"), small);
        var produced = await HostProcess.RunAsync(null, "produce", "bytes", "--file", Path.Combine(files, "random.bin"), Path.Combine(files, "small.bin"),
            "--bootstrap-server", server);
        Assert.True(produced.ExitCode == 0, produced.Stderr);
        Assert.Contains("produced 2 records", produced.Stderr);

        var raw = await HostProcess.RunBinaryAsync(null, "consume", "bytes", "--from-beginning", "--format", "raw", "--max-messages", "1", "--bootstrap-server", server);
        Assert.True(raw.ExitCode == 0, raw.Stderr);
        Assert.Equal(random.Length, raw.Stdout.Length);
        Assert.True(random.AsSpan().SequenceEqual(raw.Stdout), "the bytes came back changed");

        var text = await HostProcess.RunBinaryAsync(null, "consume", "bytes", "--partition", "0", "--offset", "1", "--max-messages", "1", "--bootstrap-server", server);
        Assert.Equal("ok\\xff\\xfe\nA\n", Encoding.UTF8.GetString(text.Stdout)); // escaped, never U+FFFD
        var hex = await HostProcess.RunAsync(null, "consume", "bytes", "--partition", "0", "--offset", "1", "--max-messages", "1", "--format", "hex",
            "--bootstrap-server", server);
        Assert.Equal("6f6bfffe0a41\n", hex.Stdout);
        var base64 = await HostProcess.RunBinaryAsync(null, "consume", "bytes", "--from-beginning", "--max-messages", "1", "--format", "base64", "--bootstrap-server", server);
        Assert.Equal(random, Convert.FromBase64String(Encoding.ASCII.GetString(base64.Stdout).TrimEnd('\n')));
    }

    [Fact]
    public async Task Line_mode_reads_UTF8_text_refuses_other_bytes_and_a_line_over_max_request_size_fails_at_once()
    {
        var kafkaPort = HostProcess.FreePort();
        var server = $"127.0.0.1:{kafkaPort}";
        await using var node = await HostProcess.StartNodeAsync(TestNode.NewDataDir(), HostProcess.FreePort(), kafkaPort: kafkaPort);
        await HostProcess.RunAsync(null, "topics", "create", "lines", "--partitions", "1", "--bootstrap-server", server);

        var utf8 = await HostProcess.RunBinaryAsync(Encoding.UTF8.GetBytes("k1:grüße\r\nk2:日本\n"), "produce", "lines", "--key-separator", ":", "--bootstrap-server", server);
        Assert.True(utf8.ExitCode == 0, utf8.Stderr);
        var hexLine = await HostProcess.RunBinaryAsync("6b33:41ff\n"u8.ToArray(), "produce", "lines", "--key-separator", ":", "--line-format", "hex", "--bootstrap-server", server);
        Assert.True(hexLine.ExitCode == 0, hexLine.Stderr);
        var invalid = await HostProcess.RunBinaryAsync([0x61, 0x0a, 0xc3, 0x28, 0x0a], "produce", "lines", "--bootstrap-server", server);
        Assert.Equal(1, invalid.ExitCode);
        Assert.Contains("line 2 is not valid UTF-8", invalid.Stderr);
        var back = await HostProcess.RunAsync(null, "consume", "lines", "--from-beginning", "--print-key", "--max-messages", "4", "--bootstrap-server", server);
        Assert.Equal(["k1\tgrüße", "k2\t日本", "k3\tA\\xff", "null\ta"], back.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));

        // --rate paces by the clock: 11 records at 20 a second take at least half a second (the 11th is due at 0.5 s).
        var paced = Stopwatch.StartNew();
        var rated = await HostProcess.RunAsync(string.Concat(Enumerable.Range(0, 11).Select(i => $"r{i}\n")), "produce", "lines", "--rate", "20", "--bootstrap-server", server);
        Assert.True(rated.ExitCode == 0, rated.Stderr);
        Assert.True(paced.Elapsed >= TimeSpan.FromMilliseconds(500), $"took {paced.Elapsed}");

        // A 20 MB line: refused by the producer before anything is sent, not after a delivery timeout.
        var huge = new byte[20_000_001];
        Array.Fill(huge, (byte)'a');
        huge[^1] = (byte)'\n';
        var watch = Stopwatch.StartNew();
        var tooLarge = await HostProcess.RunBinaryAsync(huge, "produce", "lines", "--bootstrap-server", server);
        watch.Stop();
        Assert.Equal(1, tooLarge.ExitCode);
        Assert.Contains("MessageTooLarge", tooLarge.Stderr);
        Assert.Contains("max.request.size", tooLarge.Stderr);
        // Refused on the client, before anything was sent: the producer's MessageTooLarge (naming max.request.size)
        // and nothing in the topic. Before, it waited out the delivery timeout (127 s); a wall-clock bound here
        // only measured the machine's load (15 s for start-up and reading 20 MB at load 100).
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(60), $"took {watch.Elapsed}");
        var end = await HostProcess.RunAsync(null, "topics", "describe", "lines", "--bootstrap-server", server);
        Assert.Matches(@"(?m)^0\s+0\s+15\s", end.Stdout); // the 4 + 11 lines above: the 20 MB one never arrived
        Console.WriteLine($"a 20 MB line failed with MessageTooLarge after {watch.ElapsedMilliseconds} ms (the whole process, start-up included)");
    }

    [Fact]
    public async Task Produce_gives_up_within_seconds_when_the_nodes_storage_keeps_failing_and_says_it_was_the_storage()
    {
        var kafkaPort = HostProcess.FreePort();
        var server = $"127.0.0.1:{kafkaPort}";
        var dataDir = TestNode.NewDataDir();
        await using var node = await HostProcess.StartNodeAsync(dataDir, HostProcess.FreePort(), kafkaPort: kafkaPort);
        await HostProcess.RunAsync(null, "topics", "create", "disk", "--partitions", "1", "--bootstrap-server", server);
        var before = await HostProcess.RunAsync("stored\n", "produce", "disk", "--bootstrap-server", server);
        Assert.True(before.ExitCode == 0, before.Stderr);

        // Every journal insert fails from now on, as on a full disk: the node answers KAFKA_STORAGE_ERROR, which Kafka
        // calls retriable. Before, produce retried it for the whole delivery timeout (120 s) and then blamed a timeout.
        await NodeDatabase.ExecuteAsync(dataDir, """
            CREATE TRIGGER disk_full BEFORE INSERT ON journal BEGIN SELECT RAISE(ABORT, 'database or disk is full (spec)'); END;
            """);
        var watch = Stopwatch.StartNew();
        // Paced, so that many batches queue behind the first: they share its storage and fail with it, instead of
        // each waiting out storage-error-timeout in turn until the delivery timeout.
        var lines = string.Concat(Enumerable.Range(0, 5_000).Select(i => $"lost-{i}\n"));
        var failed = await HostProcess.RunAsync(lines, "produce", "disk", "--rate", "2000", "--bootstrap-server", server);
        watch.Stop();
        Assert.Equal(1, failed.ExitCode);
        Assert.Contains("KafkaStorageError", failed.Stderr);
        Assert.Contains("storage-error-timeout is 10 s", failed.Stderr);
        Assert.Contains("0 of 5000 records acknowledged", failed.Stderr);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(60), $"took {watch.Elapsed}"); // 10 s of storage errors, not 120 s
        Console.WriteLine($"produce gave up on a failing disk after {watch.ElapsedMilliseconds} ms: {failed.Stderr.Trim()}");

        // The node kept serving: once the disk takes writes again, produce and consume work, and nothing acknowledged went.
        await NodeDatabase.ExecuteAsync(dataDir, "DROP TRIGGER disk_full");
        var after = await HostProcess.RunAsync("healed\n", "produce", "disk", "--bootstrap-server", server);
        Assert.True(after.ExitCode == 0, after.Stderr);
        var back = await HostProcess.RunAsync(null, "consume", "disk", "--from-beginning", "--max-messages", "2", "--bootstrap-server", server);
        Assert.Equal(["stored", "healed"], back.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }
}
