using System.Text.Json;
using System.Text.RegularExpressions;
using Platform.Specs.Support;

namespace Platform.Specs.Http;

/// <summary>docs/grafana-dashboard.json imports (valid JSON with its data source input) and queries only documented metrics.</summary>
public sealed partial class GrafanaDashboardSpecs
{
    [GeneratedRegex(@"\b(?:kafka|platform)_[a-z0-9_]+")]
    private static partial Regex MetricName();

    [Fact]
    public void Every_metric_the_dashboard_queries_is_one_docs_operations_md_describes()
    {
        var dashboard = JsonDocument.Parse(File.ReadAllText(Path.Combine(Repository.Root, "docs", "grafana-dashboard.json"))).RootElement;
        Assert.Equal("DS_PROMETHEUS", dashboard.GetProperty("__inputs")[0].GetProperty("name").GetString());
        var expressions = dashboard.GetProperty("panels").EnumerateArray()
            .Where(p => p.TryGetProperty("targets", out _))
            .SelectMany(p => p.GetProperty("targets").EnumerateArray().Select(t => t.GetProperty("expr").GetString()!))
            .ToList();
        Assert.True(expressions.Count >= 10, "the dashboard has its panels");
        var documented = File.ReadAllText(Path.Combine(Repository.Root, "docs", "operations.md"));
        var queried = expressions.SelectMany(e => MetricName().Matches(e).Select(m => m.Value)).Distinct().ToList();
        // A histogram's series (_bucket, _sum, _count) are documented under the histogram's name.
        Assert.All(queried, name => Assert.True(documented.Contains($"| `{name}` |") || documented.Contains($"| `{Regex.Replace(name, "_(bucket|sum|count)$", "")}` |"),
            $"{name} is not in docs/operations.md's metric table"));
    }
}
