using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Encodings.Web;

namespace Platform.Actors.Http;

/// <summary>A piece of HTML that is already safe: built by <see cref="ConsoleHtml.H"/> or a constant of ours.</summary>
internal readonly record struct Markup(string Value)
{
    public override string ToString() => Value;
}

/// <summary>
/// Builds <see cref="Markup"/> from an interpolated string whose every hole is HTML-escaped unless it is already
/// <see cref="Markup"/>. Escaping is the default rather than a call to remember: record keys and values, topic
/// names, group and client ids are all chosen by whoever reaches the Kafka port, so a forgotten call would be a
/// stored XSS in an operator's browser.
/// </summary>
[InterpolatedStringHandler]
internal ref struct HtmlHandler
{
    private readonly StringBuilder _text;

    public HtmlHandler(int literalLength, int formattedCount) => _text = new StringBuilder(literalLength + formattedCount * 16);

    public void AppendLiteral(string value) => _text.Append(value);

    public void AppendFormatted(Markup value) => _text.Append(value.Value);

    public void AppendFormatted<T>(T value) =>
        _text.Append(HtmlEncoder.Default.Encode(Convert.ToString(value, CultureInfo.InvariantCulture) ?? ""));

    public readonly Markup ToMarkup() => new(_text.ToString());
}

/// <summary>The console's page frame, its escaping builder and its inline SVG charts; no script anywhere.</summary>
internal static class ConsoleHtml
{
    /// <summary>No script, no remote anything: pages work offline and injected markup could not run even if it got through.</summary>
    public const string ContentSecurityPolicy = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'";

    private const string Style = """
        body{font:14px system-ui,sans-serif;margin:0;color:#1b1f24;background:#f6f7f9}
        header{background:#1f2d3d;color:#fff;padding:10px 20px;display:flex;gap:24px;align-items:center}
        header a{color:#fff;text-decoration:none;font-weight:600}header nav a{font-weight:400;margin-right:16px}
        main{padding:16px 20px}h1{font-size:20px}h2{font-size:16px;margin-top:28px}
        table{border-collapse:collapse;background:#fff;margin:8px 0}th,td{border:1px solid #d8dde3;padding:4px 8px;text-align:left;vertical-align:top}
        th{background:#eef1f4}td.n{text-align:right;font-variant-numeric:tabular-nums}
        pre{margin:0;white-space:pre-wrap;word-break:break-all;max-width:560px;font:12px ui-monospace,monospace}
        form{background:#fff;border:1px solid #d8dde3;padding:8px 12px;margin:8px 0;display:inline-block}
        .error{background:#fde8e8;border:1px solid #e0a0a0;padding:8px 12px}.ok{background:#e8f6ea;border:1px solid #9fd0a8;padding:8px 12px}
        .muted{color:#6a737d}svg{background:#fff;border:1px solid #d8dde3}
        """;

    public static Markup H(ref HtmlHandler html) => html.ToMarkup();

    public static Markup Join(IEnumerable<Markup> parts) => new(string.Concat(parts.Select(p => p.Value)));

    public static string Page(string title, string node, Markup body) => H($"""
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><title>{title} · Platform console</title>
        <style>{new Markup(Style)}</style></head>
        <body><header><a href="/">Platform console</a><nav><a href="/">Overview</a><a href="/metrics">Metrics</a><a href="/health/ready">Readiness</a></nav>
        <span class="muted">node {node}</span></header>
        <main>{body}</main></body></html>
        """).Value;

    /// <summary>A link to a console page with its query escaped for the URL (then for HTML by the builder).</summary>
    public static string Link(string path, params (string Name, string Value)[] query) =>
        path + (query.Length == 0 ? "" : "?" + string.Join("&", query.Select(q => $"{q.Name}={Uri.EscapeDataString(q.Value)}")));

    /// <summary>
    /// A small line chart of <paramref name="points"/> (oldest first) as inline SVG, with its latest value and
    /// maximum in the title; "no data yet" until there are two points.
    /// </summary>
    public static Markup Chart(IReadOnlyList<ConsoleHistory.Point> points, string label, int width = 160, int height = 32)
    {
        if (points.Count < 2) return H($"<span class=\"muted\">no data yet</span>");
        var max = Math.Max(1, points.Max(p => p.Value));
        var step = (double)(width - 2) / (points.Count - 1);
        var coordinates = string.Join(" ", points.Select((p, i) => string.Create(CultureInfo.InvariantCulture,
            $"{1 + i * step:0.#},{height - 1 - (double)p.Value / max * (height - 2):0.#}")));
        var span = points[^1].At - points[0].At;
        return H($"""<svg class="chart" width="{width}" height="{height}" role="img" aria-label="{label}"><title>{label}: {points[^1].Value} now, {max} at most over {(int)span.TotalSeconds} s</title><polyline fill="none" stroke="#2f6fbd" stroke-width="1.5" points="{coordinates}"/></svg>""");
    }
}
