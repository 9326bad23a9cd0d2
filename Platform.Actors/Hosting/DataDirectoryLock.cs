using System.Globalization;

namespace Platform.Actors.Hosting;

/// <summary>
/// The OS lock a node on SQLite holds on its data directory (<c>DATA/.lock</c>, opened with
/// <see cref="FileShare.None"/>, which .NET turns into an exclusive <c>flock</c> on Linux) for as long as it runs.
/// Two nodes on one SQLite file both acknowledged writes with different high watermarks until one's journal failed
/// for good (issue #17); the lock makes the second node refuse to start instead. The kernel drops the lock when the
/// process dies, however it dies, so a node killed with SIGKILL never leaves a stale lock behind.
/// </summary>
internal sealed class DataDirectoryLock : IDisposable
{
    public const string FileName = ".lock";

    private readonly FileStream _file;

    private DataDirectoryLock(FileStream file) => _file = file;

    /// <summary>
    /// Takes the lock on <paramref name="directory"/> (which exists), writing this process's id into it for operators,
    /// or throws a <see cref="NodeStartException"/> naming the directory and, where the OS tells, the holder's PID.
    /// </summary>
    public static DataDirectoryLock Acquire(string directory)
    {
        var path = Path.Combine(directory, FileName);
        FileStream file;
        try
        {
            file = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new NodeStartException($"The data directory {directory} is not writable: {e.Message}", e);
        }
        catch (IOException e) when (IsLockedByOther(e))
        {
            var holder = Holder(path) is { } pid ? $" (process {pid})" : "";
            throw new NodeStartException($"The data directory {directory} is in use by another node{holder}: one node per data directory", e);
        }
        catch (IOException e)
        {
            throw new NodeStartException($"The data directory {directory} is not writable: {e.Message}", e);
        }
        try
        {
            file.SetLength(0);
            file.Write(System.Text.Encoding.ASCII.GetBytes(Environment.ProcessId.ToString(CultureInfo.InvariantCulture) + "\n"));
            file.Flush();
        }
        catch (IOException e)
        {
            file.Dispose();
            throw new NodeStartException($"The data directory {directory} is not writable: {e.Message}", e);
        }
        return new DataDirectoryLock(file);
    }

    // EWOULDBLOCK (11 on Linux) from flock, as .NET reports a sharing violation on Unix; 32 on Windows.
    private static bool IsLockedByOther(IOException e) => (e.HResult & 0xFFFF) is 11 or 32;

    /// <summary>
    /// The PID holding the lock, from Linux's /proc (the lock file is unreadable to us: reading it would need the lock).
    /// Null when unknown (another OS, or /proc not readable).
    /// </summary>
    private static int? Holder(string path)
    {
        try
        {
            if (!OperatingSystem.IsLinux()) return null;
            var full = Path.GetFullPath(path);
            foreach (var line in File.ReadLines("/proc/locks"))
            {
                var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (fields.Length < 5 || fields[1] != "FLOCK" || !int.TryParse(fields[4], CultureInfo.InvariantCulture, out var pid)) continue;
                var fds = $"/proc/{pid}/fd";
                if (!Directory.Exists(fds)) continue;
                foreach (var fd in Directory.EnumerateFileSystemEntries(fds))
                    if (new FileInfo(fd).LinkTarget == full) return pid;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Only a better message was at stake.
        }
        return null;
    }

    public void Dispose() => _file.Dispose();
}
