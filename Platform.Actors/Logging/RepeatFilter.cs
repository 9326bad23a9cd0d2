namespace Platform.Actors.Logging;

/// <summary>
/// Which log events to write and which to count: the first of a cause (its level and message template, whichever actor
/// logs it) in each interval is written, the rest only counted, and <see cref="Flush"/> turns each count into one line.
/// A full disk made every partition log the same failure for every write: 127,000 lines in 4 minutes (issue #17);
/// with this it is one line per cause per interval, with how many were left out. Pure, so that it is tested without an
/// ActorSystem; the <see cref="PlatformLogger"/> owns one and calls <see cref="Flush"/> on a timer.
/// </summary>
internal sealed class RepeatFilter
{
    private readonly Dictionary<(int Level, string Template), Window> _windows = new();

    /// <summary>A cause's current interval: when it began, and how many of its events were counted since.</summary>
    private sealed class Window(DateTime start)
    {
        public DateTime Start { get; set; } = start;

        public int Suppressed { get; set; }

        public string Source { get; set; } = "";
    }

    /// <summary>One line to write for a cause's repeats.</summary>
    public sealed record Repeats(int Level, string Template, string Source, int Count);

    /// <summary>Whether to write this event now (the first of its cause in the interval) or only count it.</summary>
    public bool Admit(int level, string template, string source, DateTime now, TimeSpan interval)
    {
        var key = (level, template);
        if (!_windows.TryGetValue(key, out var window) || now - window.Start >= interval && window.Suppressed == 0)
        {
            _windows[key] = new Window(now);
            return true;
        }
        window.Suppressed++;
        window.Source = source;
        return false;
    }

    /// <summary>
    /// The counts of causes whose interval is over, to be written one line each; their windows start again (a cause that
    /// keeps repeating is written once per interval, as a count), and quiet causes are forgotten.
    /// </summary>
    public IReadOnlyList<Repeats> Flush(DateTime now, TimeSpan interval)
    {
        var lines = new List<Repeats>();
        foreach (var (key, window) in _windows.ToList())
        {
            if (now - window.Start < interval) continue;
            if (window.Suppressed == 0)
            {
                _windows.Remove(key);
                continue;
            }
            lines.Add(new Repeats(key.Level, key.Template, window.Source, window.Suppressed));
            window.Start = now;
            window.Suppressed = 0;
        }
        return lines;
    }
}
