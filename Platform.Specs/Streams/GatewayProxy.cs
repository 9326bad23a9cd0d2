using Akka.Actor;
using Akka.Configuration;
using Platform.Actors.Hosting;
using Platform.Actors.Log;
using Platform.Protocol.Records;
using Platform.Actors.Partitions;
using Platform.Client;

namespace Platform.Specs.Streams;

/// <summary>
/// A stand-in node for client specs: an ActorSystem named like a node, on its own port, whose "gateway"
/// forwards every request to a real node's gateway. It counts the records that fetches carried back to the
/// client (what a consumer took from the node), can hold produce requests back (a stalled node) and can be
/// shut down (a node that goes away), all without touching the client.
/// </summary>
public sealed class GatewayProxy : IAsyncDisposable
{
    private sealed record Hold(bool On);

    private sealed class ProxyActor : ReceiveActor
    {
        private readonly List<(Produce Request, IActorRef Sender)> _held = [];
        private bool _holding;

        public ProxyActor(IActorRef gateway, GatewayProxy owner)
        {
            Receive<Fetch>(fetch =>
            {
                var sender = Sender;
                gateway.Ask<FetchResult>(fetch, TimeSpan.FromSeconds(30)).ContinueWith(t =>
                {
                    if (!t.IsCompletedSuccessfully) return;
                    var records = t.Result.Batches.Sum(batch => RecordBatch.Decode(batch).Count(r => r.Offset >= fetch.Offset));
                    Interlocked.Add(ref owner._fetchedRecords, records);
                    lock (owner) owner.MaxRecordsPerFetch = Math.Max(owner.MaxRecordsPerFetch, records);
                    Interlocked.Increment(ref owner._fetches);
                    sender.Tell(t.Result);
                }, TaskScheduler.Default);
            });
            Receive<Produce>(produce =>
            {
                Interlocked.Increment(ref owner._produces);
                if (_holding) _held.Add((produce, Sender));
                else gateway.Forward(produce);
            });
            Receive<Hold>(hold =>
            {
                _holding = hold.On;
                if (_holding) return;
                foreach (var (request, sender) in _held) gateway.Tell(request, sender);
                _held.Clear();
            });
            ReceiveAny(message => gateway.Forward(message));
        }
    }

    private readonly ActorSystem _system;
    private IActorRef _proxy = ActorRefs.Nobody;
    private long _fetchedRecords;
    private long _fetches;
    private long _produces;

    private GatewayProxy(ActorSystem system, string endpoint)
    {
        _system = system;
        Endpoint = endpoint;
    }

    /// <summary>host:port to use as a bootstrap server.</summary>
    public string Endpoint { get; }

    /// <summary>Records the node sent to clients through this proxy (at or after each fetch's offset).</summary>
    public long FetchedRecords => Interlocked.Read(ref _fetchedRecords);

    public long Fetches => Interlocked.Read(ref _fetches);

    /// <summary>Produce requests (batches) clients sent through this proxy.</summary>
    public long Produces => Interlocked.Read(ref _produces);

    /// <summary>The most records one fetch response carried.</summary>
    public int MaxRecordsPerFetch { get; private set; }

    public static async Task<GatewayProxy> StartAsync(PlatformNode node)
    {
        var system = ActorSystem.Create(PlatformNode.SystemName, ConfigurationFactory.ParseString("akka.loglevel = ERROR")
            .WithFallback(ClientSettings.DefaultConfig));
        var connection = await PlatformConnection.ConnectAsync(node.Endpoint, system: system);
        var address = ((ExtendedActorSystem)system).Provider.DefaultAddress;
        var proxy = new GatewayProxy(system, $"{address.Host}:{address.Port}");
        var gateway = connection.Gateway!; // just connected
        proxy._proxy = system.ActorOf(Props.Create(() => new ProxyActor(gateway, proxy)), Actors.Gateway.Gateway.Name);
        return proxy;
    }

    /// <summary>Produce requests wait in the proxy (the node never sees them) until <see cref="Release"/>.</summary>
    public void HoldProduces() => _proxy.Tell(new Hold(true));

    public void Release() => _proxy.Tell(new Hold(false));

    /// <summary>The proxy's ActorSystem goes away: to the client, its node stopped answering.</summary>
    public Task StopAsync() => _system.Terminate();

    public async ValueTask DisposeAsync() => await _system.Terminate();
}
