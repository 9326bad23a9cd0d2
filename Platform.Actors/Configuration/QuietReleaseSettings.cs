namespace Platform.Actors.Configuration;

/// <summary>
/// The <c>platform.node.release-memory-when-quiet</c> section: when a process that runs a node alone gives memory back
/// to the OS (<see cref="Hosting.PlatformNode.ReleaseMemoryWhenQuietAsync"/>).
/// </summary>
/// <param name="Window">How long each measure of the process's allocation runs; a release follows a quiet window.</param>
/// <param name="QuietAllocation">The most a window may allocate and still be quiet, in bytes.</param>
/// <param name="Reclaimable">The least the process must have allocated since the last release for another, in bytes.</param>
internal sealed record QuietReleaseSettings(TimeSpan Window, long QuietAllocation, long Reclaimable);
