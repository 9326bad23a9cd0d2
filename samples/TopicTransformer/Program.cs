using Akka.Actor;
using TopicTransformer;

// dotnet run --project samples/TopicTransformer -- [--bootstrap-server HOST:PORT] [--group G] INPUT OUTPUT
// Runs until Ctrl-C, then stops reading, lets the stream finish and commit, and leaves the group.
var positional = new List<string>();
var server = Environment.GetEnvironmentVariable("PLATFORM_BOOTSTRAP_SERVER") ?? "127.0.0.1:9092";
var group = "topic-transformer";
for (var i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--bootstrap-server" when i + 1 < args.Length:
            server = args[++i];
            break;
        case "--group" when i + 1 < args.Length:
            group = args[++i];
            break;
        default:
            positional.Add(args[i]);
            break;
    }
}
if (positional.Count != 2)
{
    Console.Error.WriteLine("usage: TopicTransformer [--bootstrap-server HOST:PORT] [--group G] INPUT OUTPUT");
    return 2;
}

// A local ActorSystem runs the stream; the stages connect to the Kafka listeners themselves.
using var system = ActorSystem.Create("topic-transformer");
var control = Transformer.Run(system, server, group, positional[0], positional[1]);
Console.Error.WriteLine($"transforming {positional[0]} -> {positional[1]} in group {group} via {server}; Ctrl-C to stop");

var stop = new TaskCompletionSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    stop.TrySetResult();
};
var finished = await Task.WhenAny(stop.Task, control.StreamCompletion);
if (finished == control.StreamCompletion && control.StreamCompletion.IsFaulted)
{
    Console.Error.WriteLine($"error: {control.StreamCompletion.Exception!.InnerException!.Message}");
    await control.Shutdown();
    return 1;
}
await control.DrainAndShutdown();
Console.Error.WriteLine("stopped: everything read was written and committed");
await system.Terminate();
return 0;
