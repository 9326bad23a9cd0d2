using System.Text.RegularExpressions;
using Platform.Actors.Configuration;
using Platform.Specs.Support;

namespace Platform.Specs.Configuration;

/// <summary>
/// A scan of the broker's and the client's sources: every <c>platform.</c> HOCON path their code reads, writes
/// or names in a comment exists in the assembly's embedded defaults (hocon/platform.conf for Platform.Actors,
/// hocon/client.conf for Platform.Client), so a renamed or removed setting cannot linger as a key that
/// silently reads nothing, or as text that documents a setting no longer there. Keys read relative to a
/// section (<c>SettingsSection.Of(config, "platform.kafka")</c>, <c>GetConfig("platform.kafka")</c>) count
/// under that section.
/// </summary>
public sealed partial class HoconPathsInSourceSpecs
{
    /// <summary>Names that look like paths but are files: the embedded defaults themselves and the SQLite database.</summary>
    private static readonly HashSet<string> FileNames = ["platform.conf", "platform.db"];

    [Fact]
    public void Every_platform_path_in_the_broker_sources_is_in_the_embedded_defaults() =>
        AssertEveryPathIn("Platform.Actors", PlatformConfig.Defaults, "hocon/platform.conf");

    [Fact]
    public void Every_platform_path_in_the_client_sources_is_in_the_embedded_client_defaults() =>
        AssertEveryPathIn("Platform.Client", Platform.Client.ClientSettings.DefaultConfig, "hocon/client.conf");

    private static void AssertEveryPathIn(string project, Akka.Configuration.Config defaults, string file)
    {
        var paths = Sources(project).SelectMany(source => NamedPaths(source.Text).Concat(RelativePaths(source.Text)).Select(path => (source.File, Path: path))).ToList();
        Assert.NotEmpty(paths);
        // The broker's web console is a client of its own node: the client's settings it names are checked against client.conf.
        var missing = paths.Where(p => !defaults.HasPath(p.Path)
                && !(p.Path.StartsWith("platform.client", StringComparison.Ordinal) && Platform.Client.ClientSettings.DefaultConfig.HasPath(p.Path)))
            .Select(p => $"{p.Path} ({p.File})").Distinct().ToList();
        Assert.True(missing.Count == 0, $"Not in {file}: " + string.Join(", ", missing));
    }

    [Fact]
    public void The_scan_sees_full_paths_and_keys_read_relative_to_their_section()
    {
        var text = string.Join("\n", Sources("Platform.Actors").Select(s => s.Text));
        var named = NamedPaths(text).ToHashSet();
        var relative = Sources("Platform.Actors").Concat(Sources("Platform.Client")).SelectMany(s => RelativePaths(s.Text)).ToHashSet();
        Assert.Contains("platform.tls.require", named);
        Assert.Contains("platform.kafka.advertised-port", relative);
        Assert.Contains("platform.partition.journal-read-timeout", relative);
        Assert.Contains("platform.producer-ids.restart-backoff.random-factor", relative);
        Assert.Contains("platform.gateway.cluster-status-timeout", relative);
        Assert.Contains("platform.client.producer.max-buffered-bytes", relative);
        Assert.Contains("platform.client.committer.max-interval", relative);
    }

    [Fact]
    public void A_path_not_in_the_defaults_is_found()
    {
        const string code = """
            var k = SettingsSection.Of(config, "platform.kafka");
            var port = k.Int("prot");
            var g = config.GetConfig("platform.group");
            var tick = g.GetTimeSpan("tock");
            // platform.node.data-dir
            """;
        var paths = NamedPaths(code).Concat(RelativePaths(code)).ToList();
        Assert.Equal(["platform.node.data-dir", "platform.kafka.prot", "platform.group.tock"],
            paths.Where(p => !PlatformConfig.Defaults.HasPath(p)));
    }

    /// <summary>Every full path, in literals and comments alike; a path followed by <c>.*</c> stands for its section.</summary>
    private static IEnumerable<string> NamedPaths(string text) =>
        FullPath().Matches(text).Select(m => m.Value).Where(path => !FileNames.Contains(path));

    /// <summary>Keys read through a variable holding a section: <c>var k = SettingsSection.Of(config, "platform.kafka")</c>, then <c>k.Int("port")</c>.</summary>
    private static IEnumerable<string> RelativePaths(string text)
    {
        foreach (Match section in SectionVariable().Matches(text))
        {
            var (variable, path) = (section.Groups["var"].Value, section.Groups["path"].Value);
            var read = new Regex($@"\b{Regex.Escape(variable)}\.(?:Int|Long|Double|Bool|String|Duration|Bytes|Get\w+)\(""(?<key>[^""]+)""");
            foreach (Match key in read.Matches(text)) yield return $"{path}.{key.Groups["key"].Value}";
        }
    }

    private static IEnumerable<(string File, string Text)> Sources(string project)
    {
        var root = Path.Combine(Repository.Root, project);
        var files = Directory.EnumerateFiles(root, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}") && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}"))
            .ToList();
        Assert.NotEmpty(files);
        return files.Select(f => (Path.GetRelativePath(root, f), File.ReadAllText(f)));
    }

    [GeneratedRegex(@"(?<![\w./-])platform(?:\.[a-z][a-z0-9-]*)+")]
    private static partial Regex FullPath();

    [GeneratedRegex(@"var (?<var>\w+) = (?:SettingsSection\.Of\(\w+, |[^;\n]*?GetConfig\()""(?<path>platform[\w.-]*)""\)")]
    private static partial Regex SectionVariable();
}
