using System.Globalization;
using Akka.Actor;
using Akka.Event;
using Microsoft.AspNetCore.Http;
using Platform.Actors.Configuration;
using Platform.Actors.Partitions;
using Platform.Client;
using static Platform.Actors.Http.ConsoleHtml;

namespace Platform.Actors.Http;

/// <summary>
/// The web console at <c>/</c> of a node's operator endpoint: server-rendered HTML pages with plain forms and no
/// script, so it needs no build step, no CDN and works offline. Pages read the cluster through the node's own
/// Kafka listener (<see cref="ConsoleClient"/>); changes (create topic, add partitions, reset a group's offsets)
/// are the CLI's admin calls, so they are validated and refused exactly as the CLI's are. Partition sizes are
/// asked of the partition entities through sharding, each ask under the endpoint's ask timeout.
/// </summary>
internal sealed class WebConsole : IAsyncDisposable
{
    private readonly ConsoleClient _client;
    private readonly ConsoleHistory _history;
    private readonly ConsoleSampler _sampler;
    private readonly ConsoleSettings _settings;
    private readonly IActorRef _partitions;
    private readonly TimeSpan _askTimeout;
    private readonly string _node;

    public WebConsole(ActorSystem system, string kafkaEndpoint, IActorRef partitions, HttpSettings settings)
    {
        _settings = settings.Console;
        _client = new ConsoleClient(kafkaEndpoint, _settings);
        _history = new ConsoleHistory(_settings.HistorySamples, _settings.MaxSampledSeries);
        _sampler = new ConsoleSampler(_client, _history, _settings, Akka.Event.Logging.GetLogger(system, "console"));
        _partitions = partitions;
        _askTimeout = settings.AskTimeout;
        _node = kafkaEndpoint;
    }

    /// <summary>The paths the console answers; the endpoint keeps its own 404 for anything else.</summary>
    public static bool Serves(string? path) => path is "/" or "/topic" or "/group" or "/topic/create" or "/topic/alter" or "/group/reset";

    public async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        _sampler.Start();
        try
        {
            if (HttpMethods.IsPost(request.Method) && !SameOrigin(request))
            {
                await Write(context, StatusCodes.Status403Forbidden, "Refused", H($"<p class=\"error\">A change must come from this console's own pages.</p>"));
                return;
            }
            var (status, title, body) = (request.Method, request.Path.Value) switch
            {
                ("GET", "/") => (200, "Overview", await OverviewAsync()),
                ("GET", "/topic") => (200, request.Query["name"].ToString(), await TopicAsync(request.Query)),
                ("GET", "/group") => (200, request.Query["id"].ToString(), await GroupAsync(request.Query)),
                ("POST", "/topic/create") => await CreateTopicAsync(context, await request.ReadFormAsync()),
                ("POST", "/topic/alter") => await AlterPartitionsAsync(context, await request.ReadFormAsync()),
                ("POST", "/group/reset") => await ResetOffsetsAsync(await request.ReadFormAsync()),
                _ => (405, "Method not allowed", H($"<p class=\"error\">{request.Method} is not served at {request.Path.Value}.</p>")),
            };
            if (status == StatusCodes.Status303SeeOther) return;
            await Write(context, status, title, body);
        }
        catch (PlatformException e)
        {
            var status = e.Code is ErrorCode.UnknownTopicOrPartition or ErrorCode.GroupIdNotFound ? StatusCodes.Status404NotFound : StatusCodes.Status400BadRequest;
            await Write(context, status, "Refused", Refusal(e));
        }
        catch (Exception e) when (e is InvalidOperationException or BadHttpRequestException && !context.Response.HasStarted)
        {
            // A post that is not a form (another content type, a body cut short): the request's fault, not the node's.
            await Write(context, StatusCodes.Status400BadRequest, "Bad request", H($"<p class=\"error\">The form could not be read: {e.Message}</p>"));
        }
        catch (Exception e) when (e is AskTimeoutException or TimeoutException or OperationCanceledException or IOException)
        {
            await Write(context, StatusCodes.Status503ServiceUnavailable, "Unavailable",
                H($"<p class=\"error\">The node could not answer in time: {e.Message}</p>"));
        }
    }

    /// <summary>The Kafka error code and the broker's reason, as the CLI prints them.</summary>
    private static Markup Refusal(PlatformException e) => H($"<p class=\"error\"><strong>{e.Code}</strong>: {e.Reason}</p>");

    /// <summary>
    /// A cross-site form post (another page in the operator's browser) is refused: the endpoint has no login, so
    /// the Origin (or Referer) naming this host is what tells the console's own forms apart.
    /// </summary>
    private static bool SameOrigin(HttpRequest request)
    {
        var origin = request.Headers.Origin.ToString();
        if (string.IsNullOrEmpty(origin)) origin = request.Headers.Referer.ToString();
        return string.IsNullOrEmpty(origin)
            || (Uri.TryCreate(origin, UriKind.Absolute, out var uri) && string.Equals(uri.Authority, request.Host.Value, StringComparison.OrdinalIgnoreCase));
    }

    private async Task Write(HttpContext context, int status, string title, Markup body)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/html; charset=utf-8";
        context.Response.Headers.ContentSecurityPolicy = ContentSecurityPolicy;
        context.Response.Headers.XContentTypeOptions = "nosniff";
        context.Response.Headers.CacheControl = "no-store";
        await context.Response.WriteAsync(Page(title, _node, body));
    }

    private async Task<Markup> OverviewAsync()
    {
        var admin = await _client.AdminAsync();
        var statusing = admin.ClusterStatusAsync();
        var listing = admin.ListTopicsAsync();
        var grouping = GroupsAsync(admin);
        await Task.WhenAll(statusing, listing, grouping);
        var (status, topics, groups) = (await statusing, await listing, await grouping);
        return ConsolePages.Overview(status, topics, groups, _history);
    }

    private static async Task<IReadOnlyList<(GroupDescription Group, long? Lag)>> GroupsAsync(PlatformAdmin admin)
    {
        var ids = await admin.ListGroupsAsync();
        return await Task.WhenAll(ids.Select(async id =>
        {
            var description = admin.DescribeGroupAsync(id);
            var lag = admin.GroupLagAsync(id);
            await Task.WhenAll(description, lag);
            return (await description, (long?)(await lag).Sum(l => l.Lag ?? 0));
        }));
    }

    private async Task<Markup> TopicAsync(IQueryCollection query)
    {
        var name = query["name"].ToString();
        var admin = await _client.AdminAsync();
        var topic = await admin.DescribeTopicAsync(name);
        var sizes = await Task.WhenAll(topic.Partitions.Select(p => SizeAsync(topic.Topic.TopicId, p.Partition)));
        var browse = await BrowseAsync(admin, topic, query);
        return ConsolePages.Topic(topic, sizes, _history.TopicRate(name), browse);
    }

    /// <summary>Bytes of the partition's log, asked of its entity wherever it runs; null when it does not answer in time.</summary>
    private async Task<long?> SizeAsync(Guid topicId, int partition)
    {
        try
        {
            var status = await _partitions.Ask<PartitionStatus>(new GetPartitionStatus(topicId, partition), _askTimeout);
            return status.Error == ErrorCode.None ? status.SizeBytes : null;
        }
        catch (Exception e) when (e is AskTimeoutException or TaskCanceledException)
        {
            return null;
        }
    }

    /// <summary>
    /// Records of one partition from an offset, from a time (the first record at or after it, as ListOffsets finds
    /// it), or else the newest <see cref="ConsoleSettings.MaxRecords"/>; read with a consumer of its own that the
    /// page disposes, up to the high watermark or the browse timeout.
    /// </summary>
    private async Task<ConsolePages.Browse> BrowseAsync(PlatformAdmin admin, TopicDescription topic, IQueryCollection query)
    {
        var format = ConsoleRecords.Parse(query["format"]);
        var partitionText = query["partition"].ToString();
        var partition = 0;
        if (partitionText.Length > 0 && (!int.TryParse(partitionText, NumberStyles.None, CultureInfo.InvariantCulture, out partition) || partition >= topic.Partitions.Count))
            throw new PlatformException(ErrorCode.UnknownTopicOrPartition, $"Topic '{topic.Topic.Name}' has no partition '{partitionText}'");
        if (topic.Partitions.Count == 0) return new ConsolePages.Browse(0, -1, format, "", "", []);
        var described = topic.Partitions[partition];
        var offsetText = query["offset"].ToString();
        var timeText = query["time"].ToString();
        long from;
        if (offsetText.Length > 0)
        {
            if (!long.TryParse(offsetText, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out from))
                throw new PlatformException(ErrorCode.InvalidRequest, $"The offset must be a whole number, got '{offsetText}'");
        }
        else if (timeText.Length > 0)
        {
            from = await admin.OffsetForTimeAsync(topic.Topic.Name, partition, ParseTime(timeText, "time"));
        }
        else
        {
            from = Math.Max(described.LogStartOffset, described.HighWatermark - _settings.MaxRecords);
        }
        from = Math.Clamp(from, described.LogStartOffset, described.HighWatermark);
        var records = new List<ConsumeResult>();
        if (from < described.HighWatermark)
        {
            await using var consumer = new PlatformConsumer(await _client.ConnectionAsync(), AutoOffsetReset.Earliest);
            consumer.Assign([new TopicPartitionOffset(topic.Topic.Name, partition, from)]);
            using var deadline = new CancellationTokenSource(_settings.BrowseTimeout);
            while (records.Count < _settings.MaxRecords && !deadline.IsCancellationRequested)
            {
                // The browse deadline ends the page; a consumer's error (a corrupt batch, a lost node) is the page's
                // answer through the handler's refusal, never a silently shorter list.
                ConsumeResult? record;
                try
                {
                    record = await consumer.ConsumeAsync(_settings.BrowseTimeout, deadline.Token);
                }
                catch (OperationCanceledException) when (deadline.IsCancellationRequested)
                {
                    break;
                }
                if (record is null) break;
                records.Add(record);
                if (record.Offset + 1 >= described.HighWatermark) break;
            }
        }
        return new ConsolePages.Browse(partition, from, format, offsetText, timeText, records);
    }

    /// <summary>ISO 8601, or a browser's datetime-local value (no zone: taken as UTC), as the CLI's --to-datetime.</summary>
    private static DateTimeOffset ParseTime(string text, string field) =>
        DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time)
            ? time
            : throw new PlatformException(ErrorCode.InvalidRequest, $"The {field} takes an ISO 8601 time such as 2026-11-25T08:00:00Z, got '{text}'");

    private static int Partitions(IFormCollection form) =>
        int.TryParse(form["partitions"].ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out var count)
            ? count
            : throw new PlatformException(ErrorCode.InvalidPartitions, $"The partition count must be a whole number, got '{form["partitions"]}'");

    private async Task<(int, string, Markup)> CreateTopicAsync(HttpContext context, IFormCollection form)
    {
        var name = form["name"].ToString();
        var created = await (await _client.AdminAsync()).CreateTopicAsync(name, Partitions(form));
        return SeeOther(context, Link("/topic", ("name", created.Name), ("created", "1")));
    }

    private async Task<(int, string, Markup)> AlterPartitionsAsync(HttpContext context, IFormCollection form)
    {
        var name = form["name"].ToString();
        var altered = await (await _client.AdminAsync()).CreatePartitionsAsync(name, Partitions(form));
        return SeeOther(context, Link("/topic", ("name", altered.Name), ("altered", "1")));
    }

    /// <summary>Post, redirect, get: a reload of the page after a change does not repeat the change.</summary>
    private static (int, string, Markup) SeeOther(HttpContext context, string location)
    {
        context.Response.StatusCode = StatusCodes.Status303SeeOther;
        context.Response.Headers.Location = location;
        return (StatusCodes.Status303SeeOther, "", default);
    }

    /// <summary>Shows the plan; commits it only when the form says execute, as <c>groups reset-offsets --execute</c>.</summary>
    private async Task<(int, string, Markup)> ResetOffsetsAsync(IFormCollection form)
    {
        var group = form["group"].ToString();
        var topic = form["topic"].ToString();
        var value = form["value"].ToString();
        long Number() => long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n)
            ? n
            : throw new PlatformException(ErrorCode.InvalidRequest, $"This reset needs a whole number, got '{value}'");
        var mode = form["mode"].ToString();
        var target = mode switch
        {
            "earliest" => OffsetResetTarget.Earliest,
            "latest" => OffsetResetTarget.Latest,
            "offset" => OffsetResetTarget.Offset(Number()),
            "datetime" => OffsetResetTarget.Time(ParseTime(value, "reset time")),
            "shift" => OffsetResetTarget.Shift(Number()),
            _ => throw new PlatformException(ErrorCode.InvalidRequest, $"Unknown reset '{mode}': earliest, latest, offset, datetime or shift"),
        };
        var admin = await _client.AdminAsync();
        var plan = await admin.PlanOffsetResetAsync(group, topic, target);
        var execute = form["execute"].ToString() == "1";
        if (execute) await admin.CommitOffsetsAsync(group, plan);
        return (200, group, ConsolePages.ResetPlan(group, topic, mode, value, plan, execute));
    }

    private async Task<Markup> GroupAsync(IQueryCollection query)
    {
        var id = query["id"].ToString();
        var admin = await _client.AdminAsync();
        if (!(await admin.ListGroupsAsync()).Contains(id)) throw new PlatformException(ErrorCode.GroupIdNotFound, $"Group '{id}' does not exist");
        var describing = admin.DescribeGroupAsync(id);
        var lagging = admin.GroupLagAsync(id);
        var listing = admin.ListTopicsAsync();
        await Task.WhenAll(describing, lagging, listing);
        return ConsolePages.Group(await describing, await lagging, _history.GroupLag(id), await listing);
    }

    public async ValueTask DisposeAsync()
    {
        await _sampler.DisposeAsync();
        await _client.DisposeAsync();
    }
}
