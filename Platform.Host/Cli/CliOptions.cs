using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Numerics;

namespace Platform.Host.Cli;

/// <summary>
/// How the commands declare their options on System.CommandLine, so that every number is read the same way
/// and a bad one is named with what it takes ("--partitions takes a whole number, got 'abc'") instead of the
/// library's "Cannot parse argument ... as expected type System.Int32".
/// </summary>
internal static class CliOptions
{
    /// <summary>A whole number of at least <paramref name="min"/>; null when absent unless a default is given (shown in help).</summary>
    public static Option<T?> Number<T>(string name, string description, T? min = null, T? defaultValue = null, string helpName = "N")
        where T : struct, IBinaryInteger<T>, IMinMaxValue<T>
    {
        var option = new Option<T?>(name)
        {
            Description = description,
            HelpName = helpName,
            CustomParser = result => Parse(result, name, min ?? T.MinValue),
        };
        if (defaultValue is { } value) option.DefaultValueFactory = _ => value;
        return option;
    }

    private static T? Parse<T>(ArgumentResult result, string name, T min) where T : struct, IBinaryInteger<T>, IMinMaxValue<T>
    {
        if (result.Tokens.Count == 0) return null;
        var raw = result.Tokens[^1].Value;
        if (!T.TryParse(raw, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value))
        {
            var range = min == T.MinValue ? "" : $" of at least {min}";
            result.AddError(long.TryParse(raw, NumberStyles.Integer, CultureInfo.InvariantCulture, out _) || BigInteger.TryParse(raw, NumberStyles.Integer, CultureInfo.InvariantCulture, out _)
                ? $"{name} is out of range: {raw} (at most {T.MaxValue})"
                : $"{name} takes a whole number{range}, got '{raw}'");
            return null;
        }
        if (value < min)
        {
            result.AddError($"{name} must be at least {min}, got {raw}");
            return null;
        }
        return value;
    }

    public static Option<string?> Text(string name, string description, string helpName, string? defaultValue = null)
    {
        var option = new Option<string?>(name) { Description = description, HelpName = helpName };
        if (defaultValue is not null) option.DefaultValueFactory = _ => defaultValue;
        return option;
    }

    /// <summary>One of a fixed set of words (offered by completion); the first is the default.</summary>
    public static Option<string> Choice(string name, string description, params string[] choices) =>
        new Option<string>(name) { Description = description, DefaultValueFactory = _ => choices[0] }.OneOf(StringComparer.Ordinal, choices);

    /// <summary>
    /// Accepts only <paramref name="choices"/> and offers them to completion. Instead of the library's
    /// AcceptOnlyFromAmong, whose error is a list on several lines that does not name the option, the error is
    /// one line: "--storage takes sqlite or postgres, got 'foo'".
    /// </summary>
    public static Option<T> OneOf<T>(this Option<T> option, StringComparer comparer, params string[] choices)
    {
        option.CompletionSources.Add(choices);
        option.HelpName ??= string.Join('|', choices);
        option.Validators.Add(result =>
        {
            if (result.Tokens.Count > 0 && result.Tokens[^1].Value is var given && !choices.Contains(given, comparer))
                result.AddError($"{option.Name} takes {string.Join(", ", choices[..^1])} or {choices[^1]}, got '{given}'");
        });
        return option;
    }

    /// <summary>A switch: present or not, never followed by a value (as the hand-written parser had it).</summary>
    public static Option<bool> Flag(string name, string description) =>
        new(name) { Description = description, Arity = ArgumentArity.Zero };

    /// <summary>
    /// An option's value inside a command's validator: its default when the option has an error of its own (a missing
    /// or malformed value), which is reported already; the library's GetValue throws there instead.
    /// </summary>
    public static T? ValueOrDefault<T>(this CommandResult result, Option<T> option)
    {
        if (result.GetResult(option) is { } given && given.Errors.Any()) return default;
        try
        {
            return result.GetValue(option);
        }
        catch (InvalidOperationException)
        {
            return default;
        }
    }

    /// <summary>Adds options to a command and returns it, so a command reads as one declaration.</summary>
    public static Command With(this Command command, params Symbol[] symbols)
    {
        foreach (var symbol in symbols)
        {
            switch (symbol)
            {
                case Option option: command.Options.Add(option); break;
                case Argument argument: command.Arguments.Add(argument); break;
                case Command sub: command.Subcommands.Add(sub); break;
            }
        }
        return command;
    }
}
