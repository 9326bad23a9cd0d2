using System.Text;
using Platform.Client;

namespace Platform.Host.Commands;

/// <summary>
/// <c>platform produce TOPIC</c>: one record per line of standard input. Exit code 0 means every record
/// is acknowledged (in the journal); anything else says how many were.
/// </summary>
internal static class ProduceCommand
{
    public static async Task<int> RunAsync(string[] args)
    {
        var line = new CommandLine(args, new HashSet<string>());
        if (line.Positionals.Count != 1) throw new UsageException("produce needs exactly one topic name");
        var topic = line.Positionals[0];
        var separator = line.Option("key-separator");
        if (separator is "") throw new UsageException("--key-separator must not be empty");
        await using var connection = await ClientCommand.ConnectAsync(line);
        line.RejectUnknown();

        await using var producer = new PlatformProducer(connection) { AllowAutoCreateTopics = true };
        long sent = 0, acknowledged = 0;
        PlatformException? firstError = null;
        var pending = new List<Task>();
        using var stdin = new StreamReader(Console.OpenStandardInput(), Encoding.UTF8);
        while (await stdin.ReadLineAsync() is { } text)
        {
            byte[]? key = null;
            var value = text;
            if (separator is not null && text.IndexOf(separator, StringComparison.Ordinal) is var at and >= 0)
            {
                key = Encoding.UTF8.GetBytes(text[..at]);
                value = text[(at + separator.Length)..];
            }
            sent++;
            Task<DeliveryResult> delivery;
            try
            {
                delivery = producer.ProduceAsync(topic, new Message(key, Encoding.UTF8.GetBytes(value)));
            }
            catch (PlatformException e)
            {
                firstError ??= e;
                break;
            }
            pending.Add(delivery.ContinueWith(t =>
            {
                if (t.IsCompletedSuccessfully) Interlocked.Increment(ref acknowledged);
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

        if (firstError is null && acknowledged == sent)
        {
            Console.Error.WriteLine($"produced {acknowledged} records");
            return 0;
        }
        var reason = firstError is null ? "some records were not acknowledged" : $"{firstError.Code}: {firstError.Reason}";
        Console.Error.WriteLine($"error: {reason} ({acknowledged} of {sent} records acknowledged)");
        return 1;
    }
}
