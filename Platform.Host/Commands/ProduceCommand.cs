using System.CommandLine;
using System.Globalization;
using System.Text;
using Akka.Configuration;
using Platform.Bench;
using Platform.Client;
using Platform.Host.Cli;

namespace Platform.Host.Commands;

/// <summary>
/// <c>platform produce TOPIC</c>: one record per line of standard input, or one record per <c>--file</c> (its
/// bytes exactly, as <c>kcat -P</c> sends file arguments). Exit code 0 means every record is acknowledged (in
/// the journal); anything else says how many were and the error the producer last saw.
/// </summary>
internal static class ProduceCommand
{
    public static Command Create()
    {
        var topicArgument = new Argument<string>("TOPIC") { Description = "The topic to write to" };
        var fileOption = new Option<string[]>("--file")
        {
            Description = "Send each file as exactly one record, its bytes as they are (binary is fine); standard input is not read",
            HelpName = "PATH...",
            AllowMultipleArgumentsPerToken = true,
        };
        var separatorOption = CliOptions.Text("--key-separator", "Line mode: the text before the first S is the key, the rest the value", "S");
        var lineFormatOption = CliOptions.Choice("--line-format",
            "Line mode: how a line (and its key) is read: text is UTF-8 as it is (a line that is not valid UTF-8 is refused), hex, base64",
            ValueFormat.Text, ValueFormat.Hex, ValueFormat.Base64);
        var rateOption = CliOptions.Number<long>("--rate", "At most this many records per second, paced by the clock (default: as fast as acknowledged)", min: 1);
        var deliveryTimeoutOption = CliOptions.Number<int>("--delivery-timeout-ms",
            "How long a record may wait for its acknowledgement, retries included (Kafka's delivery.timeout.ms; default: platform.client.producer.delivery-timeout, 120 s)", min: 1);
        var requestTimeoutOption = CliOptions.Number<int>("--request-timeout-ms",
            "How long one request may wait for its answer before it is retried (Kafka's request.timeout.ms; default: platform.client.producer.request-timeout, 5 s)", min: 1);
        var storageTimeoutOption = CliOptions.Number<int>("--storage-error-timeout-ms",
            "How long records are re-sent while the node answers KAFKA_STORAGE_ERROR in a row (a full disk, a lost database) before produce gives up (default: 10000; the client library's default is the delivery timeout)", min: 1);
        var bootstrap = ClientCommand.BootstrapOption();
        var command = new Command("produce", """
            Write records to a topic. Line mode (the default): one record per line of standard input, the line's bytes
            without its end (\n or \r\n), read as UTF-8 text (--line-format hex or base64 for other bytes). With --file:
            one record per file, byte for byte. Exits 0 only when every record was acknowledged. A progress line on
            standard error when that is a terminal.
            """).With(topicArgument, fileOption, separatorOption, lineFormatOption, rateOption, deliveryTimeoutOption, requestTimeoutOption, storageTimeoutOption, bootstrap);
        command.Validators.Add(result =>
        {
            if (result.GetResult(fileOption) is not { Implicit: false }) return;
            if (result.ValueOrDefault(fileOption) is not { Length: > 0 }) result.AddError("--file needs at least one path");
            foreach (var lineOnly in new Option[] { separatorOption, lineFormatOption })
                if (result.GetResult(lineOnly) is { Implicit: false })
                    result.AddError($"{lineOnly.Name} applies to line mode only: --file sends each file's bytes as they are");
        });
        separatorOption.Validators.Add(result =>
        {
            if (result.Tokens.Count > 0 && result.Tokens[^1].Value.Length == 0) result.AddError("--key-separator must not be empty");
        });
        command.SetAction(async (parse, _) =>
        {
            var delivery = parse.GetValue(deliveryTimeoutOption);
            var request = parse.GetValue(requestTimeoutOption);
            if (delivery is { } d && request is { } r && d < r)
                throw new UsageException($"--delivery-timeout-ms ({d}) must be at least --request-timeout-ms ({r}): a record gets at least one try");
            var files = parse.GetValue(fileOption) is { Length: > 0 } given ? given : null; // absent: an empty array, not null
            foreach (var file in files ?? [])
                if (!File.Exists(file)) throw new UsageException($"--file {file}: no such file");
            await using var connection = await ClientCommand.ConnectAsync(parse, bootstrap, Timeouts(delivery, request, parse.GetValue(storageTimeoutOption) ?? DefaultStorageErrorTimeoutMs));
            var input = new Input(parse.GetValue(topicArgument)!, files, parse.GetValue(separatorOption), parse.GetValue(lineFormatOption)!, parse.GetValue(rateOption));
            return await RunAsync(connection, input);
        });
        return command;
    }

    private sealed record Input(string Topic, string[]? Files, string? Separator, string LineFormat, long? Rate);

    /// <summary>
    /// A journal write that fails makes its partition restart from the journal within seconds; storage errors for
    /// longer than this mean the node's storage needs an operator, which the user should hear now, not after 120 s.
    /// </summary>
    private const int DefaultStorageErrorTimeoutMs = 10_000;

    /// <summary>The timeouts as the client's HOCON keys, so they are read where every other client setting is.</summary>
    private static Config Timeouts(int? deliveryMs, int? requestMs, int storageErrorMs)
    {
        var lines = new List<string> { string.Create(CultureInfo.InvariantCulture, $"platform.client.producer.storage-error-timeout = {storageErrorMs}ms") };
        if (deliveryMs is { } d) lines.Add(string.Create(CultureInfo.InvariantCulture, $"platform.client.producer.delivery-timeout = {d}ms"));
        if (requestMs is { } r)
        {
            lines.Add(string.Create(CultureInfo.InvariantCulture, $"platform.client.producer.request-timeout = {r}ms"));
            lines.Add(string.Create(CultureInfo.InvariantCulture, $"platform.client.request-timeout = {r}ms"));
        }
        return ConfigurationFactory.ParseString(string.Join('\n', lines));
    }

    private static async Task<int> RunAsync(PlatformConnection connection, Input input)
    {
        await using var producer = new PlatformProducer(connection) { AllowAutoCreateTopics = true };
        long sent = 0, acknowledged = 0;
        PlatformException? firstError = null;
        string? inputError = null;
        var pending = new List<Task>();
        var pacer = input.Rate is { } rate ? new Pacer(rate) : null;
        var progress = new TerminalProgress("produced");
        try
        {
            await foreach (var message in Records(input, e => inputError = e))
            {
                if (pacer is not null) await pacer.WaitForAsync(sent);
                sent++;
                var size = (message.Key?.Length ?? 0) + (message.Value?.Length ?? 0);
                Task<DeliveryResult> delivery;
                try
                {
                    delivery = producer.ProduceAsync(input.Topic, message);
                }
                catch (PlatformException e)
                {
                    firstError ??= e;
                    break;
                }
                pending.Add(delivery.ContinueWith(t =>
                {
                    if (t.IsCompletedSuccessfully)
                    {
                        Interlocked.Increment(ref acknowledged);
                        progress.Add(1, size);
                    }
                    else if (t.Exception?.InnerException is PlatformException e) Interlocked.CompareExchange(ref firstError, e, null);
                }, TaskScheduler.Default));
                if (pending.Count >= 100_000)
                {
                    await Task.WhenAll(pending);
                    pending.Clear();
                }
                if (firstError is not null) break; // e.g. unknown topic: every further record would fail the same way
            }
            await Task.WhenAll(pending);
            await producer.FlushAsync();
        }
        finally
        {
            progress.Dispose();
        }

        if (firstError is null && inputError is null && acknowledged == sent)
        {
            Console.Error.WriteLine(input.Files is null ? $"produced {acknowledged} records (lines of UTF-8 text)" : $"produced {acknowledged} records");
            return 0;
        }
        var reason = inputError ?? (firstError is null ? "some records were not acknowledged" : $"{firstError.Code}: {firstError.Reason}");
        Console.Error.WriteLine($"error: {reason} ({acknowledged} of {sent} records acknowledged)");
        return 1;
    }

    /// <summary>The records to send: one per file, or one per line; a line that does not decode ends the input with <paramref name="fail"/>.</summary>
    private static async IAsyncEnumerable<Message> Records(Input input, Action<string> fail)
    {
        if (input.Files is { } files)
        {
            foreach (var file in files) yield return new Message(null, await File.ReadAllBytesAsync(file));
            yield break;
        }
        var separator = input.Separator is null ? null : Encoding.UTF8.GetBytes(input.Separator);
        long number = 0;
        await using var stdin = Console.OpenStandardInput();
        await foreach (var line in LineReader.ReadAsync(stdin))
        {
            number++;
            var span = line.Span;
            byte[]? key = null;
            string? error = null;
            if (separator is not null && span.IndexOf(separator) is var at and >= 0)
            {
                key = ValueFormat.Parse(span[..at], input.LineFormat, out error);
                span = span[(at + separator.Length)..];
            }
            var value = error is null ? ValueFormat.Parse(span, input.LineFormat, out error) : null;
            if (error is not null)
            {
                fail($"line {number} {error}");
                yield break;
            }
            yield return new Message(key, value);
        }
    }
}
