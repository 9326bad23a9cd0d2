using System.Diagnostics;
using System.Globalization;

namespace Platform.Bench;

/// <summary>
/// One line on standard error, rewritten twice a second, for operations that take a while: records, MB/s and
/// elapsed time. Only on a terminal: when standard error is redirected (a script, a log file, a spec) it writes
/// nothing, so output that programs read never carries carriage returns. The counters are read by a timer, so
/// the loop that counts pays an interlocked add and nothing else. In Platform.Bench, where `bench` counts its
/// phases, so that `platform produce` and `consume` show the same line.
/// </summary>
public sealed class TerminalProgress : IDisposable
{
    private readonly string _verb;
    private readonly Stopwatch _elapsed = Stopwatch.StartNew();
    private readonly Timer? _timer;
    private long _records;
    private long _bytes;
    private readonly object _gate = new();
    private int _width;
    private bool _stopped;

    /// <param name="verb">What is counted, e.g. "produced".</param>
    /// <param name="show">False where the line would get in the way even on a terminal (records printed to it).</param>
    public TerminalProgress(string verb, bool show = true)
    {
        _verb = verb;
        if (show && !Console.IsErrorRedirected) _timer = new Timer(_ => Draw(), null, TimeSpan.FromMilliseconds(500), TimeSpan.FromMilliseconds(500));
    }

    public void Add(long records, long bytes)
    {
        Interlocked.Add(ref _records, records);
        Interlocked.Add(ref _bytes, bytes);
    }

    private void Draw()
    {
        var seconds = _elapsed.Elapsed.TotalSeconds;
        var line = string.Create(CultureInfo.InvariantCulture,
            $"{_verb} {Interlocked.Read(ref _records):N0} records, {Interlocked.Read(ref _bytes) / 1e6 / Math.Max(seconds, 1e-3):0.00} MB/s, {_elapsed.Elapsed:hh\\:mm\\:ss}");
        lock (_gate)
        {
            if (_stopped) return;
            Console.Error.Write("\r" + line.PadRight(_width));
            _width = line.Length;
        }
    }

    /// <summary>Stops the timer and clears the line, so the command's last words start on a clean line.</summary>
    public void Dispose()
    {
        if (_timer is null) return;
        _timer.Dispose();
        lock (_gate)
        {
            _stopped = true; // a callback already under way draws nothing more
            if (_width > 0) Console.Error.Write("\r" + new string(' ', _width) + "\r");
        }
    }
}
