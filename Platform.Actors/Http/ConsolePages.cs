using System.Globalization;
using System.Text;
using Platform.Client;
using static Platform.Actors.Http.ConsoleHtml;

namespace Platform.Actors.Http;

/// <summary>
/// The console's views: plain functions from what the admin client answered to <see cref="Markup"/>, every value
/// escaped by <see cref="HtmlHandler"/>. Kept apart from <see cref="WebConsole"/>, which fetches and acts.
/// </summary>
internal static class ConsolePages
{
    /// <summary>What a topic page shows of one partition's records.</summary>
    internal sealed record Browse(int Partition, long From, RecordFormat Format, string OffsetText, string TimeText, IReadOnlyList<ConsumeResult> Records);

    private static string Number(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    private static string Bytes(long? value) => value switch
    {
        null => "-",
        < 1024 => $"{value} B",
        < 1024 * 1024 => string.Create(CultureInfo.InvariantCulture, $"{value / 1024.0:0.0} KiB"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{value / (1024.0 * 1024):0.0} MiB"),
    };

    public static Markup Overview(ClusterStatus status, IReadOnlyList<TopicMetadata> topics, IReadOnlyList<(GroupDescription Group, long? Lag)> groups,
        ConsoleHistory history)
    {
        var members = Join(status.Members.Select(m => H($"""
            <tr><td>{m.Address}{(m.Address == status.Leader ? H($" <strong>(leader)</strong>") : default)}</td><td>{m.ClusterAddress}</td>
            <td>{m.Status}</td><td>{(m.Reachable ? "reachable" : "UNREACHABLE")}</td><td class="n">{m.Partitions}</td><td class="n">{m.Groups}</td>
            <td>{string.Join(", ", m.Roles.Where(r => !r.StartsWith("kafka=", StringComparison.Ordinal)))}</td></tr>
            """)));
        var topicRows = Join(topics.Select(t => H($"""
            <tr><td><a href="{Link("/topic", ("name", t.Name))}">{t.Name}</a></td><td class="n">{t.PartitionCount}</td>
            <td>{Chart(history.TopicRate(t.Name), $"records/s into {t.Name}")}</td></tr>
            """)));
        var groupRows = Join(groups.Select(g => H($"""
            <tr><td><a href="{Link("/group", ("id", g.Group.GroupId))}">{g.Group.GroupId}</a></td><td>{g.Group.State}</td>
            <td class="n">{g.Group.Members.Count}</td><td class="n lag">{(g.Lag is { } lag ? Number(lag) : "-")}</td>
            <td>{Chart(history.GroupLag(g.Group.GroupId), $"lag of {g.Group.GroupId}")}</td></tr>
            """)));
        return H($"""
            <h1>Cluster</h1>
            <table id="members"><tr><th>Kafka listener</th><th>cluster address</th><th>status</th><th>reachability</th><th>partitions hosted</th><th>groups coordinated</th><th>roles</th></tr>{members}</table>
            <h2>Topics</h2>
            <table id="topics"><tr><th>topic</th><th>partitions</th><th>records in per second</th></tr>{topicRows}</table>
            <form id="create-topic" method="post" action="/topic/create"><strong>Create topic</strong>
            <label>name <input name="name" required></label> <label>partitions <input name="partitions" type="number" min="1" value="1" required></label>
            <button type="submit">Create</button></form>
            <h2>Consumer groups</h2>
            <table id="groups"><tr><th>group</th><th>state</th><th>members</th><th>lag</th><th>lag, last minutes</th></tr>{groupRows}</table>
            """);
    }

    public static Markup Topic(TopicDescription topic, IReadOnlyList<long?> sizes, IReadOnlyList<ConsoleHistory.Point> rate, Browse browse)
    {
        var name = topic.Topic.Name;
        var partitions = Join(topic.Partitions.Select((p, i) => H($"""
            <tr><td class="n">{p.Partition}</td><td>{p.Leader}</td><td class="n">{p.LogStartOffset}</td><td class="n">{p.HighWatermark}</td>
            <td class="n">{Bytes(sizes[i])}</td><td><a href="{Link("/topic", ("name", name), ("partition", p.Partition.ToString(CultureInfo.InvariantCulture)), ("offset", p.LogStartOffset.ToString(CultureInfo.InvariantCulture)))}">browse</a></td></tr>
            """)));
        var configs = Join(topic.Configs.Select(c => H($"<tr><td>{c.Key}</td><td>{c.Value}</td></tr>")));
        return H($"""
            <h1>Topic {name}</h1>
            <p class="muted">id {topic.Topic.TopicId} · {topic.Partitions.Count} partitions · records in per second: {Chart(rate, $"records/s into {name}")}</p>
            <table id="partitions"><tr><th>partition</th><th>leader</th><th>log start</th><th>log end</th><th>size</th><th></th></tr>{partitions}</table>
            <form id="alter-partitions" method="post" action="/topic/alter"><strong>Partitions</strong> <input type="hidden" name="name" value="{name}">
            <label>new count <input name="partitions" type="number" min="1" value="{topic.Partitions.Count}"></label> <button type="submit">Alter</button></form>
            <h2>Records</h2>
            {BrowseForm(name, browse)}
            {Records(browse)}
            <h2>Configuration</h2>
            <table id="configs"><tr><th>key</th><th>value</th></tr>{configs}</table>
            """);
    }

    private static Markup BrowseForm(string topic, Browse browse)
    {
        Markup Option(RecordFormat f) => H($"<option value=\"{f.ToString().ToLowerInvariant()}\"{(browse.Format == f ? new Markup(" selected") : default)}>{f}</option>");
        return H($"""
            <form id="browse" method="get" action="/topic"><input type="hidden" name="name" value="{topic}">
            <label>partition <input name="partition" type="number" min="0" value="{browse.Partition}"></label>
            <label>from offset <input name="offset" value="{browse.OffsetText}"></label> <label>or from time (UTC) <input name="time" placeholder="2026-11-25T08:00:00Z" value="{browse.TimeText}"></label>
            <label>show as <select name="format">{Option(RecordFormat.Text)}{Option(RecordFormat.Json)}{Option(RecordFormat.Hex)}</select></label>
            <button type="submit">Show</button></form>
            """);
    }

    private static Markup Records(Browse browse)
    {
        if (browse.Records.Count == 0) return H($"<p class=\"muted\" id=\"no-records\">No records from offset {browse.From}.</p>");
        var rows = Join(browse.Records.Select(r => H($"""
            <tr><td class="n">{r.Offset}</td><td>{r.Timestamp.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss.fff", CultureInfo.InvariantCulture)}</td>
            <td><pre class="key">{ConsoleRecords.Show(r.Key, browse.Format)}</pre></td><td><pre class="value">{ConsoleRecords.Show(r.Value, browse.Format)}</pre></td>
            <td><pre>{Headers(r, browse.Format)}</pre></td></tr>
            """)));
        return H($"""<table id="records"><tr><th>offset</th><th>timestamp (UTC)</th><th>key</th><th>value</th><th>headers</th></tr>{rows}</table>""");
    }

    private static string Headers(ConsumeResult record, RecordFormat format)
    {
        var text = new StringBuilder();
        foreach (var header in record.Headers) text.Append(header.Key).Append(": ").Append(ConsoleRecords.Show(header.Value, format)).Append('\n');
        return text.ToString();
    }

    public static Markup Group(GroupDescription group, IReadOnlyList<PartitionLag> lag, IReadOnlyList<ConsoleHistory.Point> history, IReadOnlyList<TopicMetadata> topics)
    {
        var members = Join(group.Members.Select(m => H($"""
            <tr><td>{m.MemberId}</td><td>{m.ClientId}</td><td>{m.ClientHost}</td><td>{string.Join(", ", m.Assignment.Select(a => $"{a.Topic}-{a.Partition}"))}</td></tr>
            """)));
        var lags = Join(lag.Select(l => H($"""
            <tr><td>{l.Topic}</td><td class="n">{l.Partition}</td><td class="n">{(l.CurrentOffset is { } c ? c.ToString(CultureInfo.InvariantCulture) : "-")}</td>
            <td class="n">{(l.LogEndOffset >= 0 ? l.LogEndOffset.ToString(CultureInfo.InvariantCulture) : "-")}</td><td class="n lag">{(l.Lag is { } v ? v.ToString(CultureInfo.InvariantCulture) : "-")}</td>
            <td>{l.MemberId ?? "-"}</td></tr>
            """)));
        var topicOptions = Join(topics.Select(t => H($"<option>{t.Name}</option>")));
        return H($"""
            <h1>Group {group.GroupId}</h1>
            <p>state <strong id="group-state">{group.State}</strong> · protocol {(group.ProtocolName.Length > 0 ? group.ProtocolName : "-")} · {group.Members.Count} members</p>
            <h2>Members and assignment</h2>
            <table id="group-members"><tr><th>member id</th><th>client id</th><th>host</th><th>assigned partitions</th></tr>{members}</table>
            <h2>Lag</h2>
            <table id="lag"><tr><th>topic</th><th>partition</th><th>committed offset</th><th>log end</th><th>lag</th><th>member</th></tr>{lags}</table>
            <p>Total lag over the last minutes: {Chart(history, $"lag of {group.GroupId}", 480, 96)}</p>
            <h2>Reset offsets</h2>
            <form id="reset-offsets" method="post" action="/group/reset"><input type="hidden" name="group" value="{group.GroupId}">
            <label>topic <select name="topic">{topicOptions}</select></label>
            <label>to <select name="mode"><option value="earliest">earliest</option><option value="latest">latest</option><option value="offset">offset</option>
            <option value="datetime">time (ISO 8601)</option><option value="shift">shift by</option></select></label>
            <label>value <input name="value"></label> <button type="submit">Preview</button>
            <span class="muted">only while the group has no active members; nothing changes until you execute the plan</span></form>
            """);
    }

    public static Markup ResetPlan(string group, string topic, string mode, string value, IReadOnlyList<TopicPartitionOffset> plan, bool executed)
    {
        var rows = Join(plan.Select(p => H($"<tr><td>{p.Topic}</td><td class=\"n\">{p.Partition}</td><td class=\"n\">{p.Offset}</td></tr>")));
        var outcome = executed
            ? H($"<p class=\"ok\" id=\"reset-done\">Reset the offsets of group {group} for {plan.Count} partitions of {topic}.</p>")
            : H($"""
                <p class="muted">Nothing changed: this is the plan.</p>
                <form id="execute-reset" method="post" action="/group/reset"><input type="hidden" name="group" value="{group}"><input type="hidden" name="topic" value="{topic}">
                <input type="hidden" name="mode" value="{mode}"><input type="hidden" name="value" value="{value}"><input type="hidden" name="execute" value="1">
                <button type="submit">Execute</button></form>
                """);
        return H($"""
            <h1>Reset offsets of group {group}</h1>
            <table id="plan"><tr><th>topic</th><th>partition</th><th>new offset</th></tr>{rows}</table>
            {outcome}
            <p><a href="{Link("/group", ("id", group))}">back to the group</a></p>
            """);
    }
}
