namespace Platform.Actors.Hosting;

/// <summary>
/// A node could not start for a reason the operator can fix: a taken port, a data directory another node holds, a
/// directory that cannot be written, a store that cannot be opened. Its message is one line naming the cause and the
/// port or path, meant to be printed as it is (the host prints it and exits 1), without a stack trace: the trace would
/// only bury the one fact that matters.
/// </summary>
public sealed class NodeStartException(string message, Exception? inner = null) : Exception(message, inner);
