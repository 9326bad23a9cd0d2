using Platform.Actors.Producers;

namespace Platform.Specs.Producers;

/// <summary>The allocator's rules without an actor: blocks, handing out, recovery that never repeats an id.</summary>
public sealed class ProducerIdAllocatorStateSpecs
{
    /// <summary>Drives the state as the actor does: persist (here: apply) a block when asked, hand out otherwise.</summary>
    private static (ProducerIdAllocatorState State, long Id, ProducerIdBlockReserved? Reserved) Allocate(ProducerIdAllocatorState state, int blockSize)
    {
        ProducerIdBlockReserved? reserved = null;
        var decision = state.Decide(blockSize);
        if (decision.Reserve is { } block)
        {
            reserved = block;
            state = state.Apply(block);
            decision = state.Decide(blockSize);
        }
        Assert.Equal(ErrorCode.None, decision.Error);
        return (state.HandedOut(decision.ProducerId), decision.ProducerId, reserved);
    }

    [Fact]
    public void The_first_request_reserves_a_block_and_the_next_ones_are_answered_from_it()
    {
        var state = ProducerIdAllocatorState.Empty;
        var reservations = new List<ProducerIdBlockReserved>();
        var ids = new List<long>();
        for (var i = 0; i < 25; i++)
        {
            (state, var id, var reserved) = Allocate(state, blockSize: 10);
            ids.Add(id);
            if (reserved is not null) reservations.Add(reserved);
        }
        Assert.Equal(Enumerable.Range(0, 25).Select(i => (long)i), ids);
        Assert.Equal([new ProducerIdBlockReserved(0, 10), new ProducerIdBlockReserved(10, 20), new ProducerIdBlockReserved(20, 30)], reservations);
        Assert.Equal((25L, 30L), (state.NextProducerId, state.ReservedUpTo));
    }

    [Fact]
    public void A_recovered_allocator_starts_after_the_last_reserved_block()
    {
        // The journal holds two blocks; ids of the second may or may not have been handed out before the crash.
        var replayed = ProducerIdAllocatorState.Empty
            .Apply(new ProducerIdBlockReserved(0, 1000))
            .Apply(new ProducerIdBlockReserved(1000, 2000))
            .Recovered();
        var decision = replayed.Decide(1000);
        Assert.Equal(new ProducerIdBlockReserved(2000, 3000), decision.Reserve);
        var (_, id, _) = Allocate(replayed, 1000);
        Assert.Equal(2000, id);
    }

    [Fact]
    public void Ids_stay_unique_across_any_sequence_of_crashes()
    {
        // The journal is the list of reserved blocks; a crash keeps it and loses everything else.
        var journal = new List<ProducerIdBlockReserved>();
        var handedOut = new HashSet<long>();
        var random = new Random(11);
        var state = ProducerIdAllocatorState.Empty.Recovered();
        for (var step = 0; step < 2000; step++)
        {
            if (random.Next(50) == 0)
            {
                state = journal.Aggregate(ProducerIdAllocatorState.Empty, (s, e) => s.Apply(e)).Recovered();
                continue;
            }
            (state, var id, var reserved) = Allocate(state, blockSize: random.Next(1, 20));
            if (reserved is not null) journal.Add(reserved);
            Assert.True(handedOut.Add(id), $"producer id {id} was handed out twice");
        }
    }

    [Fact]
    public void A_snapshot_restores_the_reservation_and_skips_its_rest()
    {
        var (state, _, _) = Allocate(ProducerIdAllocatorState.Empty, 100);
        var restored = ProducerIdAllocatorState.FromSnapshot(state.ToSnapshot());
        Assert.Equal((100L, 100L), (restored.NextProducerId, restored.ReservedUpTo));
        // Events after the snapshot still apply; one from before it cannot move the reservation back.
        Assert.Equal(100, restored.Apply(new ProducerIdBlockReserved(0, 100)).ReservedUpTo);
        Assert.Equal(200, restored.Apply(new ProducerIdBlockReserved(100, 200)).ReservedUpTo);
    }

    [Fact]
    public void Only_the_offered_id_can_be_handed_out_and_exhaustion_is_an_error()
    {
        var state = ProducerIdAllocatorState.Empty.Apply(new ProducerIdBlockReserved(0, 2));
        Assert.Throws<InvalidOperationException>(() => state.HandedOut(1));
        Assert.Throws<InvalidOperationException>(() => state.HandedOut(2));
        Assert.Throws<ArgumentOutOfRangeException>(() => state.Decide(0));

        var nearTheEnd = ProducerIdAllocatorState.FromSnapshot(new ProducerIdAllocatorSnapshot(long.MaxValue - 5));
        var refused = nearTheEnd.Decide(10);
        Assert.Equal(ErrorCode.UnknownServerError, refused.Error);
        Assert.Null(refused.Reserve);
        Assert.Equal(long.MaxValue, nearTheEnd.Decide(5).Reserve!.EndProducerId);
    }
}
