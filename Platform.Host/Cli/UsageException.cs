namespace Platform.Host.Cli;

/// <summary>
/// A mistake in how a command was called that the parser cannot see (options that exclude each other, a
/// malformed key=value): printed as one line with a hint, exit code 2, like the parser's own errors.
/// </summary>
internal sealed class UsageException(string message) : Exception(message);
