using System.Runtime.CompilerServices;
using Akka.Actor;
using Platform.Actors.Kafka;
using Platform.Actors.Producers;

namespace Platform.Specs.Kafka;

/// <summary>
/// The Kafka listener's cache of which producer ids the allocator handed out. Found as a hang of `bench --rate`: a
/// refresh answered before its Ask was awaited stayed cached as finished, so every id handed out after it was
/// refused with UNKNOWN_PRODUCER_ID for the node's lifetime. The allocator here runs on Akka's calling-thread
/// dispatcher, so it always answers that early, and the spec is deterministic.
/// </summary>
public sealed class AllocatedProducerIdsSpecs : Akka.TestKit.Xunit2.TestKit
{
    private sealed class Allocator : ReceiveActor
    {
        public Allocator(StrongBox<long> handedOutUpTo) =>
            Receive<GetProducerIdBound>(_ => Sender.Tell(new ProducerIdBound(handedOutUpTo.Value)));
    }

    [Fact]
    public async Task Ids_handed_out_after_an_early_answered_refresh_are_still_recognised()
    {
        var handedOutUpTo = new StrongBox<long>(10);
        var allocator = Sys.ActorOf(Props.Create(() => new Allocator(handedOutUpTo)).WithDispatcher("akka.test.calling-thread-dispatcher"));
        var ids = new AllocatedProducerIds(allocator, TimeSpan.FromSeconds(5));

        Assert.True(await ids.IsAllocatedAsync(5));
        Assert.False(await ids.IsAllocatedAsync(12)); // not handed out yet: refused
        handedOutUpTo.Value = 20; // the allocator hands out more ids
        Assert.True(await ids.IsAllocatedAsync(12));
        Assert.True(await ids.IsAllocatedAsync(19));
        Assert.False(await ids.IsAllocatedAsync(20));
    }
}
