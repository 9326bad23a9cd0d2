using Platform.Host;
using Platform.Host.Commands;

// One executable for the node and the operator commands, with the names of Kafka's tools so that they can
// be scripted: `platform node`, `platform topics create ...`, `platform produce ...`, `platform consume ...`.
try
{
    var command = args.Length == 0 || args[0].StartsWith("--", StringComparison.Ordinal) ? "node" : args[0];
    var rest = args.Length == 0 || command != args[0] ? args : args[1..];
    return command switch
    {
        "node" => await NodeCommand.RunAsync(rest),
        "topics" => await TopicsCommand.RunAsync(rest),
        "produce" => await ProduceCommand.RunAsync(rest),
        "consume" => await ConsumeCommand.RunAsync(rest),
        "groups" => await GroupsCommand.RunAsync(rest),
        "cluster" => await ClusterCommand.RunAsync(rest),
        "certs" => await CertsCommand.RunAsync(rest),
        "bench" => await BenchCommand.RunAsync(rest),
        "help" or "-h" or "--help" => Usage.Print(Console.Out, 0),
        _ => throw new UsageException($"Unknown command '{command}'"),
    };
}
catch (UsageException e)
{
    Console.Error.WriteLine($"error: {e.Message}");
    Console.Error.WriteLine("Run 'platform help' for the commands and their options.");
    return 2;
}
catch (Platform.Actors.Hosting.NodeStartException e)
{
    // One line naming the cause and the port or path; the stack trace would only bury it (issue #17).
    Console.Error.WriteLine($"error: {e.Message}");
    return 1;
}
catch (PlatformException e)
{
    Console.Error.WriteLine($"error: {e.Code}: {e.Reason}");
    return 1;
}
catch (Exception e) when (e is ArgumentException or InvalidOperationException or IOException or TimeoutException
    or Akka.Configuration.ConfigurationException or System.Security.Cryptography.CryptographicException)
{
    Console.Error.WriteLine($"error: {e.Message}");
    return 1;
}
