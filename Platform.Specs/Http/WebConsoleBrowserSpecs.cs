using Confluent.Kafka;
using Confluent.Kafka.Admin;
using OpenQA.Selenium;
using OpenQA.Selenium.Support.UI;
using Platform.Actors.Hosting;
using Platform.Specs.Support;
using TopicPartition = Confluent.Kafka.TopicPartition;

namespace Platform.Specs.Http;

/// <summary>
/// The web console in a real browser (Debian's headless Chromium through Selenium) against a real node, with a
/// workload of an unmodified Kafka client (Confluent.Kafka): the pages show its topic, group and lag; the
/// create-topic form makes a topic the Kafka admin API then sees; a reset of offsets is previewed, then executed.
/// Screenshots are kept in artifacts/console/.
/// </summary>
[Trait("Category", "Browser")]
public sealed class WebConsoleBrowserSpecs
{
    private const string Topic = "orders";
    private const string Group = "billing";

    [ChromiumFact]
    public async Task The_console_shows_a_known_workload_and_its_forms_act_on_the_cluster()
    {
        // Samples every 200 ms, so the lag chart has points within the spec's first seconds.
        await using var node = await TestNode.StartAsync(extraHocon: "platform.http.console.sample-interval = 200ms");
        await WorkloadAsync(node);
        using var browser = Chromium.Start();
        var wait = new WebDriverWait(browser, TimeSpan.FromSeconds(30));
        // A form post navigates: an element found on the page being left goes stale when the next page replaces it
        // (StaleElementReferenceException from the h1 read after "create", captured in a CI run). Waiting on the
        // new page's content means trying again, as for an element not there yet.
        wait.IgnoreExceptionTypes(typeof(StaleElementReferenceException));

        // Overview: the member, the topic and the group with its lag (20 - 10 on partition 0, 10 - 5 on partition 1).
        await Eventually.TrueAsync(() =>
        {
            browser.Navigate().GoToUrl(node.HttpEndpoint + "/");
            return browser.FindElements(By.CssSelector("#groups td.lag")).Any(td => td.Text == "15");
        }, "the overview shows the group's lag");
        Assert.Equal("Platform console", browser.FindElement(By.CssSelector("header a")).Text);
        Assert.Contains("Up", browser.FindElement(By.Id("members")).Text);
        Assert.Contains(node.KafkaEndpoint, browser.FindElement(By.Id("members")).Text);
        Assert.Contains(Topic, browser.FindElement(By.Id("topics")).Text);
        Assert.Contains(Group, browser.FindElement(By.Id("groups")).Text);
        Assert.Empty(browser.FindElements(By.TagName("script")));

        // The group: state, lag per partition, and the lag chart once the history has two samples.
        browser.FindElement(By.LinkText(Group)).Click();
        wait.Until(d => d.FindElements(By.Id("lag")).Count > 0);
        Assert.Equal("Empty", browser.FindElement(By.Id("group-state")).Text);
        var lags = browser.FindElements(By.CssSelector("#lag td.lag")).Select(td => td.Text).ToList();
        Assert.Equal(["10", "5"], lags);
        await Eventually.TrueAsync(() =>
        {
            browser.Navigate().Refresh();
            return browser.FindElements(By.CssSelector("svg.chart polyline")).Count > 0;
        }, "the group page draws its lag chart");
        Chromium.Screenshot(browser, "group.png");

        // The topic: partitions with their offsets, and records browsed from offset 0 as JSON.
        browser.Navigate().GoToUrl($"{node.HttpEndpoint}/topic?name={Topic}&partition=0&offset=0&format=json");
        var partitions = browser.FindElement(By.Id("partitions")).Text;
        Assert.Contains("20", partitions);
        var values = browser.FindElements(By.CssSelector("#records pre.value")).Select(v => v.Text).ToList();
        Assert.Equal(20, values.Count);
        Assert.Contains("\"n\": 0", values[0]);
        Chromium.Screenshot(browser, "topic.png");

        // Create a topic through the form: the Kafka admin API sees it, with its partitions.
        browser.Navigate().GoToUrl(node.HttpEndpoint + "/");
        browser.FindElement(By.CssSelector("#create-topic input[name=name]")).SendKeys("made-in-browser");
        var count = browser.FindElement(By.CssSelector("#create-topic input[name=partitions]"));
        count.Clear();
        count.SendKeys("3");
        browser.FindElement(By.CssSelector("#create-topic button")).Click();
        wait.Until(d => d.FindElement(By.TagName("h1")).Text == "Topic made-in-browser");
        using (var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = node.KafkaEndpoint }).Build())
        {
            var metadata = admin.GetMetadata("made-in-browser", TimeSpan.FromSeconds(10));
            Assert.Equal(Confluent.Kafka.ErrorCode.NoError, metadata.Topics.Single().Error.Code);
            Assert.Equal(3, metadata.Topics.Single().Partitions.Count);
        }
        // The same form again: the broker's refusal, as the CLI would print it.
        browser.Navigate().GoToUrl(node.HttpEndpoint + "/");
        browser.FindElement(By.CssSelector("#create-topic input[name=name]")).SendKeys("made-in-browser");
        browser.FindElement(By.CssSelector("#create-topic button")).Click();
        wait.Until(d => d.FindElements(By.CssSelector("p.error")).Count > 0);
        Assert.Contains("TopicAlreadyExists", browser.FindElement(By.CssSelector("p.error")).Text);

        // Reset the group's offsets to the earliest: a preview that changes nothing, then the execution.
        browser.Navigate().GoToUrl($"{node.HttpEndpoint}/group?id={Group}");
        browser.FindElements(By.CssSelector("#reset-offsets select[name=topic] option")).Single(o => o.Text == Topic).Click();
        browser.FindElement(By.CssSelector("#reset-offsets select[name=mode] option[value=earliest]")).Click();
        browser.FindElement(By.CssSelector("#reset-offsets button")).Click();
        wait.Until(d => d.FindElements(By.Id("plan")).Count > 0);
        Assert.Equal(new long[] { 10, 5 }, await CommittedAsync(node));
        browser.FindElement(By.CssSelector("#execute-reset button")).Click();
        wait.Until(d => d.FindElements(By.Id("reset-done")).Count > 0);
        Assert.Equal(new long[] { 0, 0 }, await CommittedAsync(node));
        Chromium.Screenshot(browser, "reset.png");

        browser.Navigate().GoToUrl(node.HttpEndpoint + "/");
        Chromium.Screenshot(browser, "overview.png");
    }

    /// <summary>20 and 10 JSON records on the topic's two partitions, and the group's commits at 10 and 5.</summary>
    private static async Task WorkloadAsync(PlatformNode node)
    {
        using (var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = node.KafkaEndpoint }).Build())
            await admin.CreateTopicsAsync([new TopicSpecification { Name = Topic, NumPartitions = 2 }]);
        using (var producer = new ProducerBuilder<string, string>(new ProducerConfig { BootstrapServers = node.KafkaEndpoint, Acks = Acks.All }).Build())
        {
            for (var i = 0; i < 20; i++) producer.Produce(new TopicPartition(Topic, 0), new Message<string, string> { Key = $"k{i}", Value = $"{{\"n\":{i}}}" });
            for (var i = 0; i < 10; i++) producer.Produce(new TopicPartition(Topic, 1), new Message<string, string> { Key = $"k{i}", Value = $"{{\"n\":{i}}}" });
            Assert.Equal(0, producer.Flush(TimeSpan.FromSeconds(30)));
        }
        using var consumer = new ConsumerBuilder<string, string>(new ConsumerConfig { BootstrapServers = node.KafkaEndpoint, GroupId = Group, EnableAutoCommit = false }).Build();
        consumer.Commit([new TopicPartitionOffset(Topic, 0, 10), new TopicPartitionOffset(Topic, 1, 5)]);
    }

    private static Task<long[]> CommittedAsync(PlatformNode node)
    {
        using var consumer = new ConsumerBuilder<string, string>(new ConsumerConfig { BootstrapServers = node.KafkaEndpoint, GroupId = Group, EnableAutoCommit = false }).Build();
        var committed = consumer.Committed([new TopicPartition(Topic, 0), new TopicPartition(Topic, 1)], TimeSpan.FromSeconds(10));
        return Task.FromResult(committed.OrderBy(c => c.Partition.Value).Select(c => c.Offset.Value).ToArray());
    }
}
