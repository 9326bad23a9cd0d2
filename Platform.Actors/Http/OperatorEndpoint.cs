using System.Net;
using System.Text.Json;
using Akka.Actor;
using Akka.Cluster;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Platform.Actors.Configuration;
using Platform.Actors.Health;
using Platform.Actors.Hosting;
using Platform.Actors.Kafka;
using Platform.Actors.Metrics;

namespace Platform.Actors.Http;

/// <summary>
/// A node's HTTP endpoint for operators: <c>/health/live</c>, <c>/health/ready</c>, <c>/metrics</c> and the web
/// console at <c>/</c> (<see cref="WebConsole"/>). Kestrel on
/// a port of its own (<c>platform.http</c>), sharing nothing with the Kafka listener, so a flood of Kafka clients
/// cannot starve a health probe and a scraper cannot reach the Kafka port. Handlers only ask actors, each ask
/// with a timeout; none blocks an actor. Started with the node and stopped at the end of its shutdown, so
/// readiness reports a leaving node as not ready until the last moment.
/// </summary>
internal sealed class OperatorEndpoint : IAsyncDisposable
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private readonly WebApplication _app;
    private readonly PrometheusExporter _exporter;
    private readonly WebConsole _console;

    private OperatorEndpoint(WebApplication app, PrometheusExporter exporter, WebConsole console, string host, int port)
    {
        _app = app;
        _exporter = exporter;
        _console = console;
        Host = host;
        Port = port;
    }

    public string Host { get; }

    /// <summary>The port bound (the configured one, or the one the system chose for port 0).</summary>
    public int Port { get; }

    public static async Task<OperatorEndpoint> StartAsync(ActorSystem system, HttpSettings settings, KafkaSettings kafkaSettings, KafkaListener kafka,
        BrokerMetrics metrics, IActorRef registry, IActorRef partitions, IActorRef groups, TopicCache topics, Placement placement, int partitionShards)
    {
        var self = Cluster.Get(system).SelfAddress;
        var probe = system.ActorOf(StorageProbe.Props($"storage-probe-{self.Host}-{self.Port}"), "storage-probe");
        var readiness = new ReadinessChecks(system, registry, probe, kafka, kafkaSettings, settings);
        var sampler = new BrokerSampler(partitions, groups, topics, settings);
        BrokerGauges.Register(metrics.Meter, system, kafka, sampler, topics, placement, partitionShards);
        system.ActorOf(SplitBrainObserver.Props(metrics), "split-brain-observer");
        var exporter = new PrometheusExporter(metrics.Meter);
        var console = new WebConsole(system, $"{kafka.AdvertisedHost}:{kafka.AdvertisedPort}", partitions, settings);

        var address = StartupGuards.Resolve(settings.Host);
        // The empty builder: no configuration files, no console logging, no routing; three paths need none of it.
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().ConfigureKestrel(options =>
        {
            options.AddServerHeader = false;
            options.Listen(address, settings.Port);
        });
        // Kestrel's own socket sets .NET's ReuseAddress, which on Linux lets a second node share the port.
        builder.WebHost.UseSockets(sockets => sockets.CreateBoundListenSocket = endpoint =>
            ExclusivePort.Listen("The HTTP endpoint", ((IPEndPoint)endpoint).Address, ((IPEndPoint)endpoint).Port));
        var app = builder.Build();
        app.Run(context => context.Request.Path.Value switch
        {
            "/health/live" => WriteJson(context, StatusCodes.Status200OK, new { status = "live" }),
            "/health/ready" => Ready(context, readiness),
            "/metrics" => Metrics(context, sampler, exporter),
            var path when WebConsole.Serves(path) => console.HandleAsync(context),
            _ => WriteJson(context, StatusCodes.Status404NotFound, new { error = "Not found: try / (the web console), /health/live, /health/ready or /metrics" }),
        });
        try
        {
            await app.StartAsync();
        }
        catch (Exception e) when (e is IOException or NodeStartException)
        {
            await console.DisposeAsync();
            exporter.Dispose();
            await app.DisposeAsync();
            // Kestrel may wrap what the listen socket's factory threw in an IOException of its own.
            for (Exception? cause = e; cause is not null; cause = cause.InnerException)
                if (cause is NodeStartException taken) throw taken;
            throw new NodeStartException($"The HTTP endpoint cannot bind {settings.Host}:{settings.Port}: {e.Message}", e);
        }
        var bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Select(a => new Uri(a)).First();
        return new OperatorEndpoint(app, exporter, console, settings.Host, bound.Port);
    }

    private static async Task Ready(HttpContext context, ReadinessChecks readiness)
    {
        var report = await readiness.RunAsync();
        await WriteJson(context, report.Ready ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable, report);
    }

    private static async Task Metrics(HttpContext context, BrokerSampler sampler, PrometheusExporter exporter)
    {
        await sampler.RefreshAsync();
        context.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
        await context.Response.WriteAsync(exporter.Scrape());
    }

    private static Task WriteJson<T>(HttpContext context, int status, T body)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json; charset=utf-8";
        return context.Response.WriteAsync(JsonSerializer.Serialize(body, Json));
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        await _console.DisposeAsync();
        _exporter.Dispose();
    }
}
