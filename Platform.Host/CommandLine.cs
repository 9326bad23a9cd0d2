using System.Globalization;

namespace Platform.Host;

/// <summary>A mistake in how a command was called: printed as one line with a hint, exit code 2.</summary>
internal sealed class UsageException(string message) : Exception(message);

/// <summary>
/// The parsed arguments of one command: positionals, <c>--name value</c> options (repeatable) and
/// <c>--flag</c> switches. Deliberately small: the commands' shapes are fixed by Kafka's tools, and a
/// dependency-free parser keeps errors exactly as we word them.
/// </summary>
internal sealed class CommandLine
{
    private readonly Dictionary<string, List<string>> _options = new(StringComparer.Ordinal);
    private readonly HashSet<string> _flags = new(StringComparer.Ordinal);
    private readonly HashSet<string> _used = new(StringComparer.Ordinal);

    public CommandLine(IEnumerable<string> args, IReadOnlySet<string> flagNames)
    {
        using var e = args.GetEnumerator();
        while (e.MoveNext())
        {
            var arg = e.Current;
            if (arg.StartsWith("--", StringComparison.Ordinal) && arg.Length > 2)
            {
                var name = arg[2..];
                string? inline = null;
                if (name.IndexOf('=') is var eq and > 0)
                {
                    inline = name[(eq + 1)..];
                    name = name[..eq];
                }
                if (flagNames.Contains(name) && inline is null)
                {
                    _flags.Add(name);
                    continue;
                }
                if (inline is null && !e.MoveNext()) throw new UsageException($"Option --{name} needs a value");
                var value = inline ?? e.Current;
                if (!_options.TryGetValue(name, out var list)) _options[name] = list = [];
                list.Add(value);
            }
            else
            {
                Positionals.Add(arg);
            }
        }
    }

    public List<string> Positionals { get; } = [];

    public bool Flag(string name)
    {
        _used.Add(name);
        return _flags.Contains(name);
    }

    public string? Option(string name)
    {
        _used.Add(name);
        return _options.TryGetValue(name, out var values) ? values[^1] : null;
    }

    public IReadOnlyList<string> Options(string name)
    {
        _used.Add(name);
        return _options.TryGetValue(name, out var values) ? values : [];
    }

    public string Required(string name, string what) => Option(name) ?? throw new UsageException($"Missing --{name} ({what})");

    public long? Long(string name, long min = long.MinValue)
    {
        var raw = Option(name);
        if (raw is null) return null;
        if (!long.TryParse(raw, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) || value < min)
            throw new UsageException($"--{name} must be a whole number{(min > long.MinValue ? $" of at least {min}" : "")}, got '{raw}'");
        return value;
    }

    public int? Int(string name, int min = int.MinValue)
    {
        var value = Long(name, min);
        if (value is > int.MaxValue) throw new UsageException($"--{name} is too large: {value}");
        return (int?)value;
    }

    /// <summary>Rejects options the command does not know, so a typo is an error rather than ignored.</summary>
    public void RejectUnknown()
    {
        var unknown = _options.Keys.Concat(_flags).FirstOrDefault(k => !_used.Contains(k));
        if (unknown is not null) throw new UsageException($"Unknown option --{unknown}");
    }
}
