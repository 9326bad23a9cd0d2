using System.Net;
using System.Text;
using Confluent.Kafka;
using Confluent.Kafka.Admin;
using Platform.Actors.Http;
using Platform.Specs.Support;
using TopicPartition = Confluent.Kafka.TopicPartition;

namespace Platform.Specs.Http;

/// <summary>
/// The web console over plain HTTP against a real node: untrusted names and record bytes come back escaped,
/// refusals carry the broker's Kafka error, a cross-site form post is refused; and its pure parts (the bounded
/// history, the record formats) on their own.
/// </summary>
public sealed class WebConsoleSpecs
{
    private static HttpClient Http => OperatorEndpointSpecs.Http;

    private const string Script = "<script>document.title='owned'</script>";
    private const string Image = "<img src=x onerror=alert(1)>";

    [Fact]
    public async Task Record_keys_values_headers_and_group_ids_are_shown_as_text_never_as_markup()
    {
        await using var node = await TestNode.StartAsync();
        using (var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = node.KafkaEndpoint }).Build())
            await admin.CreateTopicsAsync([new TopicSpecification { Name = "untrusted", NumPartitions = 1 }]);
        using (var producer = new ProducerBuilder<string, string>(new ProducerConfig { BootstrapServers = node.KafkaEndpoint }).Build())
        {
            await producer.ProduceAsync("untrusted", new Message<string, string>
            {
                Key = Script, Value = Image, Headers = [new Confluent.Kafka.Header("\"><svg onload=alert(1)>", Encoding.UTF8.GetBytes(Script))],
            });
        }
        const string group = "\"><script>alert(1)</script>";
        using (var consumer = new ConsumerBuilder<string, string>(new ConsumerConfig { BootstrapServers = node.KafkaEndpoint, GroupId = group }).Build())
            consumer.Commit([new TopicPartitionOffset("untrusted", 0, 0)]);

        foreach (var format in new[] { "text", "json", "hex" })
        {
            var page = await PageAsync($"{node.HttpEndpoint}/topic?name=untrusted&offset=0&format={format}");
            Assert.DoesNotContain("<script", page, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("<img", page, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("<svg onload", page, StringComparison.OrdinalIgnoreCase);
            if (format == "text") Assert.Contains("&lt;script&gt;document.title=&#x27;owned&#x27;&lt;/script&gt;", page);
            if (format == "hex") Assert.Contains("3c 73 63 72 69 70 74 3e", page); // "<script>"
        }
        var overview = await Eventually.ValueAsync(() => PageAsync($"{node.HttpEndpoint}/"), p => p.Contains("&lt;/script&gt;"), "the overview lists the group");
        Assert.DoesNotContain("<script", overview, StringComparison.OrdinalIgnoreCase);
        var groupPage = await PageAsync($"{node.HttpEndpoint}/group?id={Uri.EscapeDataString(group)}");
        Assert.DoesNotContain("<script", groupPage, StringComparison.OrdinalIgnoreCase);
        var response = await Http.GetAsync($"{node.HttpEndpoint}/");
        Assert.Contains("default-src 'none'", response.Headers.GetValues("Content-Security-Policy").Single());
    }

    [Fact]
    public async Task Refusals_carry_the_brokers_Kafka_error_and_a_cross_site_post_changes_nothing()
    {
        await using var node = await TestNode.StartAsync();
        var unknown = await Http.GetAsync($"{node.HttpEndpoint}/topic?name=nowhere");
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Contains("UnknownTopicOrPartition", await unknown.Content.ReadAsStringAsync());

        var badCount = await PostAsync(node.HttpEndpoint, "/topic/create", ("name", "counted"), ("partitions", "many"));
        Assert.Equal(HttpStatusCode.BadRequest, badCount.StatusCode);
        Assert.Contains("InvalidPartitions", await badCount.Content.ReadAsStringAsync());

        var badName = await PostAsync(node.HttpEndpoint, "/topic/create", ("name", "no/slashes"), ("partitions", "1"));
        Assert.Equal(HttpStatusCode.BadRequest, badName.StatusCode);
        Assert.Contains("InvalidTopicException", await badName.Content.ReadAsStringAsync());

        var created = await PostAsync(node.HttpEndpoint, "/topic/create", ("name", "grown"), ("partitions", "2"));
        Assert.Equal(HttpStatusCode.SeeOther, created.StatusCode);
        var shrunk = await PostAsync(node.HttpEndpoint, "/topic/alter", ("name", "grown"), ("partitions", "1"));
        Assert.Equal(HttpStatusCode.BadRequest, shrunk.StatusCode);
        Assert.Contains("InvalidPartitions", await shrunk.Content.ReadAsStringAsync());
        var grown = await PostAsync(node.HttpEndpoint, "/topic/alter", ("name", "grown"), ("partitions", "4"));
        Assert.Equal(HttpStatusCode.SeeOther, grown.StatusCode);
        Assert.Contains("<td class=\"n\">3</td>", await PageAsync($"{node.HttpEndpoint}/topic?name=grown"));

        var noGroup = await PostAsync(node.HttpEndpoint, "/group/reset", ("group", "nobody"), ("topic", "grown"), ("mode", "sideways"), ("value", ""));
        Assert.Equal(HttpStatusCode.BadRequest, noGroup.StatusCode);
        Assert.Contains("InvalidRequest", await noGroup.Content.ReadAsStringAsync());

        var notAForm = new HttpRequestMessage(HttpMethod.Post, $"{node.HttpEndpoint}/topic/create") { Content = new StringContent("{\"name\":\"json\"}", Encoding.UTF8, "application/json") };
        Assert.Equal(HttpStatusCode.BadRequest, (await Http.SendAsync(notAForm)).StatusCode);

        var crossSite = new HttpRequestMessage(HttpMethod.Post, $"{node.HttpEndpoint}/topic/create")
        {
            Content = new FormUrlEncodedContent([new("name", "planted"), new("partitions", "1")]),
        };
        crossSite.Headers.Add("Origin", "http://evil.example");
        Assert.Equal(HttpStatusCode.Forbidden, (await Http.SendAsync(crossSite)).StatusCode);
        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = node.KafkaEndpoint }).Build();
        Assert.DoesNotContain(admin.GetMetadata(TimeSpan.FromSeconds(10)).Topics, t => t.Topic == "planted");
    }

    [Fact]
    public void The_history_keeps_a_bounded_number_of_samples_and_series_and_forgets_what_is_gone()
    {
        var history = new ConsoleHistory(capacity: 3, maxSeries: 2);
        var start = DateTimeOffset.UnixEpoch;
        for (var i = 0; i < 5; i++)
            history.Record(start.AddSeconds(i), new Dictionary<string, long> { ["a"] = i * 10, ["b"] = 0, ["c"] = 1 },
                new Dictionary<string, long> { ["g"] = 100 - i });
        Assert.Equal([10, 10], history.TopicRate("a").Select(p => p.Value));
        Assert.Empty(history.TopicRate("c")); // the third series: over the bound
        Assert.Equal([98, 97, 96], history.GroupLag("g").Select(p => p.Value));
        history.Record(start.AddSeconds(5), new Dictionary<string, long> { ["b"] = 0 }, new Dictionary<string, long>());
        Assert.Empty(history.TopicRate("a"));
        Assert.Empty(history.GroupLag("g"));
    }

    [Fact]
    public void Record_bytes_show_as_text_indented_JSON_or_hex_and_long_values_are_cut()
    {
        var json = Encoding.UTF8.GetBytes("{\"a\":1}");
        Assert.Equal("{\"a\":1}", ConsoleRecords.Show(json, RecordFormat.Text));
        Assert.Equal("{\n  \"a\": 1\n}", ConsoleRecords.Show(json, RecordFormat.Json).ReplaceLineEndings("\n"));
        Assert.Equal("(not JSON) plain", ConsoleRecords.Show("plain"u8.ToArray(), RecordFormat.Json));
        Assert.Equal("00 ff 41", ConsoleRecords.Show([0, 255, 65], RecordFormat.Hex));
        Assert.Equal("(null)", ConsoleRecords.Show(null, RecordFormat.Hex));
        var shown = ConsoleRecords.Show(new byte[ConsoleRecords.MaxShownBytes + 10], RecordFormat.Hex);
        Assert.EndsWith($"({ConsoleRecords.MaxShownBytes + 10} bytes, first {ConsoleRecords.MaxShownBytes} shown)", shown);
    }

    private static async Task<string> PageAsync(string url)
    {
        var response = await Http.GetAsync(url);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        return await response.Content.ReadAsStringAsync();
    }

    private static Task<HttpResponseMessage> PostAsync(string endpoint, string path, params (string Name, string Value)[] form)
    {
        // The console's own pages post with their origin; HttpClient does not follow a 303 for us here.
        var request = new HttpRequestMessage(HttpMethod.Post, endpoint + path)
        {
            Content = new FormUrlEncodedContent(form.Select(f => new KeyValuePair<string, string>(f.Name, f.Value))),
        };
        request.Headers.Add("Origin", endpoint);
        return NoRedirects.SendAsync(request);
    }

    private static readonly HttpClient NoRedirects = new(new HttpClientHandler { AllowAutoRedirect = false }) { Timeout = TimeSpan.FromSeconds(15) };
}
