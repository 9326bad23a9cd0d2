using System.CommandLine;
using Platform.Host.Cli;

namespace Platform.Host.Commands;

/// <summary>
/// <c>platform completion bash|zsh</c>: a script for the shell that asks this executable for completions through
/// System.CommandLine's <c>[suggest:POSITION]</c> directive, so commands, options and their values (topics' formats,
/// log levels...) complete from the same declarations that parse them. No dotnet-suggest tool needed.
/// </summary>
internal static class CompletionCommand
{
    public static Command Create()
    {
        var shell = new Argument<string>("SHELL") { Description = "bash or zsh" };
        shell.AcceptOnlyFromAmong("bash", "zsh");
        var command = new Command("completion", "Print a shell completion script; load it with: source <(platform completion bash)").With(shell);
        command.SetAction(parse =>
        {
            Console.Write(parse.GetValue(shell) == "zsh" ? "autoload -U +X bashcompinit && bashcompinit\n" + Bash : Bash);
            return 0;
        });
        return command;
    }

    /// <summary>
    /// Answers the <c>[suggest:POSITION] "LINE"</c> directive the script sends. Done here rather than by the library's
    /// own directive, which gives way to a parse error when the word being completed is an option's missing value
    /// (<c>consume t --format </c>), exactly where a completion is wanted most.
    /// </summary>
    public static bool TrySuggest(RootCommand root, string[] args)
    {
        if (args is not [var directive, var line] || !directive.StartsWith("[suggest:", StringComparison.Ordinal) || !directive.EndsWith(']')
            || !int.TryParse(directive["[suggest:".Length..^1], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var position))
            return false;
        foreach (var item in root.Parse(line).GetCompletions(Math.Min(position, line.Length))) Console.WriteLine(item.Label);
        return true;
    }

    // The line without the executable's name, and the cursor moved back by as much: what the directive expects.
    private const string Bash = """
        _platform_complete() {
          local line="${COMP_LINE#* }"
          local position=$(( COMP_POINT - ${#COMP_LINE} + ${#line} ))
          local IFS=$'\n'
          COMPREPLY=( $(command "${COMP_WORDS[0]}" "[suggest:${position}]" "${line}" 2>/dev/null) )
        }
        complete -o default -F _platform_complete platform

        """;
}
