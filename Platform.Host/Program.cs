using System.CommandLine;
using Platform.Host.Cli;
using Platform.Host.Commands;

// One executable for the node and the operator commands, with the names of Kafka's tools so that they can
// be scripted: `platform node`, `platform topics create ...`, `platform produce ...`, `platform consume ...`.
// Parsing, help, --version, typo hints and completion come from System.CommandLine; errors are worded here.
var root = PlatformCli.Create();
if (CompletionCommand.TrySuggest(root, args)) return 0;
var result = root.Parse(PlatformCli.Normalize(args));
// Help, --version and [suggest] have actions of their own that run even when the rest of the line is wrong;
// anything else with an error gets the parse-error action, replaced here by one worded line and exit code 2.
if (result.Action is System.CommandLine.Invocation.ParseErrorAction)
{
    Console.Error.WriteLine($"error: {ParseErrors.Describe(result)}");
    Console.Error.WriteLine($"Run '{ParseErrors.HelpCommand(result)}' for its options.");
    return 2;
}
try
{
    return await result.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = null });
}
catch (UsageException e)
{
    Console.Error.WriteLine($"error: {e.Message}");
    Console.Error.WriteLine($"Run '{ParseErrors.HelpCommand(result)}' for its options.");
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
catch (Exception e) when (e is ArgumentException or InvalidOperationException or IOException or TimeoutException or UnauthorizedAccessException
    or Akka.Configuration.ConfigurationException or System.Security.Cryptography.CryptographicException)
{
    Console.Error.WriteLine($"error: {e.Message}");
    return 1;
}
