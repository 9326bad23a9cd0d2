using System.CommandLine;

namespace Platform.Host.Cli;

/// <summary>
/// Words a parse error the way operators' tools do: the first mistake in one line, an unknown option or command
/// with the closest known name ("unknown option --form-beginning (did you mean --from-beginning?)"). The
/// library's own error action prints every error and a whole help page, which buries the one line that matters.
/// </summary>
internal static class ParseErrors
{
    public static string Describe(ParseResult result)
    {
        var command = result.CommandResult.Command;
        var unmatched = result.UnmatchedTokens;
        if (unmatched.FirstOrDefault(t => t.StartsWith('-') && t.Length > 1 && !IsNumber(t)) is { } option)
        {
            var name = option.Split('=', 2)[0];
            return $"unknown option {name}{Hint(name, OptionNames(command))}";
        }
        if (unmatched.Count > 0 && command.Subcommands.Count > 0)
        {
            var what = command is RootCommand ? "command" : $"{command.Name} subcommand";
            return $"unknown {what} '{unmatched[0]}'{Hint(unmatched[0], command.Subcommands.Select(c => c.Name))}";
        }
        if (unmatched.Count > 0) return $"unexpected argument '{unmatched[0]}'";
        return result.Errors[0].Message;
    }

    /// <summary>The command whose help fits the error: the one being parsed.</summary>
    public static string HelpCommand(ParseResult result)
    {
        var names = new List<string>();
        for (var c = result.CommandResult; c is not null; c = c.Parent as System.CommandLine.Parsing.CommandResult)
            if (c.Command is not RootCommand) names.Insert(0, c.Command.Name);
        return string.Join(' ', ["platform", .. names, "--help"]);
    }

    private static bool IsNumber(string token) => double.TryParse(token, System.Globalization.CultureInfo.InvariantCulture, out _);

    private static IEnumerable<string> OptionNames(Command command) =>
        command.Options.SelectMany(o => o.Aliases.Prepend(o.Name)).Where(n => n.StartsWith("--", StringComparison.Ordinal));

    private static string Hint(string given, IEnumerable<string> known)
    {
        var best = known.Select(k => (Name: k, Distance: Distance(given, k))).OrderBy(k => k.Distance).FirstOrDefault();
        // A third of the word may differ (two letters swapped count as two): close enough to be a typo.
        return best.Name is not null && best.Distance <= Math.Max(2, given.Length / 3) ? $" (did you mean {best.Name}?)" : "";
    }

    /// <summary>Levenshtein distance: insertions, deletions and substitutions.</summary>
    internal static int Distance(string a, string b)
    {
        var previous = Enumerable.Range(0, b.Length + 1).ToArray();
        var current = new int[b.Length + 1];
        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            (previous, current) = (current, previous);
        }
        return previous[b.Length];
    }
}
