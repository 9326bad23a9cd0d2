using Akka.Actor;
using Akka.Persistence;
using Akka.TestKit.Xunit2;
using Microsoft.Data.Sqlite;
using Platform.Actors;
using Platform.Actors.Partitions;
using Platform.Actors.Storage;
using Platform.Actors.Topics;
using Platform.Specs.Support;

namespace Platform.Specs.Storage;

/// <summary>
/// The partitions' own journal writer on a real node's SQLite file (issue #16's paced latency), by mechanism: a
/// partition hands over its next batch while the previous one is still being written (Akka.Persistence allowed one
/// write in flight), an incarnation whose append failed gets none of its later appends stored (no gap in its log), and
/// its rows and deletes are Akka.Persistence.Sql's own, which the plugin's recovery reads.
/// </summary>
public sealed class SqliteJournalWriterSpecs
{
    /// <summary>The writer is off by default (hocon/platform.conf says why).</summary>
    private const string Direct = "platform.storage.sqlite.direct-partition-writes = on";

    /// <summary>Long enough that the writer waits for the spec's lock rather than failing its transaction.</summary>
    private const string LongBusyTimeout = "platform.storage.sqlite.busy-timeout = 60s\n" + Direct;

    [Fact]
    public async Task A_partition_hands_its_next_batches_to_the_writer_while_the_first_is_not_yet_written()
    {
        await using var node = await TestNode.StartAsync(extraHocon: LongBusyTimeout);
        using var kit = new TestKit(node.System);
        var topic = CreateTopic(node, kit);
        var probe = kit.CreateTestProbe();
        node.Gateway.Tell(new Produce(topic.TopicId, 0, NodeFixture.Batch("warm"), 0), probe.Ref);
        Assert.Equal(ErrorCode.None, probe.ExpectMsg<ProduceResult>(TimeSpan.FromSeconds(20)).Error);
        var writer = SqliteJournalWriter.For(node.System)!;
        Assert.NotNull(writer);

        // Nothing can commit while this connection holds the journal file's write lock.
        await using (var blocker = new SqliteConnection($"Data Source={SqliteStorage.DatabasePath(node.System.Settings.Config)};Pooling=False"))
        {
            blocker.Open();
            await using var held = blocker.BeginTransaction(deferred: false);
            for (var n = 1; n <= 3; n++) node.Gateway.Tell(new Produce(topic.TopicId, 0, NodeFixture.Batch($"b{n}"), n), probe.Ref);
            // All three are with the writer at once: through Akka.Persistence the second would wait for the first's write.
            await Eventually.TrueAsync(() => writer.InFlight == 3, "three appends of one partition in flight at once");
            probe.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
            held.Rollback();
        }

        var acks = Enumerable.Range(0, 3).Select(_ => probe.ExpectMsg<ProduceResult>(TimeSpan.FromSeconds(20))).ToList();
        Assert.All(acks, ack => Assert.Equal(ErrorCode.None, ack.Error));
        Assert.Equal([1L, 2L, 3L], acks.Select(a => a.BaseOffset));
        Assert.Equal(0, writer.InFlight);
    }

    [Fact]
    public async Task After_an_append_fails_no_later_append_of_that_incarnation_is_stored()
    {
        await using var node = await TestNode.StartAsync(extraHocon: Direct);
        using var kit = new TestKit(node.System);
        var writer = SqliteJournalWriter.For(node.System)!;
        var database = SqliteStorage.DatabasePath(node.System.Settings.Config);
        var persistenceId = $"spec-{Guid.NewGuid():N}";
        var probe = kit.CreateTestProbe();
        var incarnation = new SqliteJournalWriter.WriteStream();
        writer.Append(incarnation, persistenceId, 1, new RecordBatchAppended(NodeFixture.Batch("first")), probe.Ref);
        Assert.Equal(1, probe.ExpectMsg<JournalAppended>(TimeSpan.FromSeconds(10)).SequenceNr);
        // Another writer takes sequence number 2 first (as a second incarnation would, across a split).
        Insert(database, persistenceId, 2);

        writer.Append(incarnation, persistenceId, 2, new RecordBatchAppended(NodeFixture.Batch("second")), probe.Ref);
        writer.Append(incarnation, persistenceId, 3, new RecordBatchAppended(NodeFixture.Batch("third")), probe.Ref);

        var refusedByTheKey = probe.ExpectMsg<JournalAppendFailed>(TimeSpan.FromSeconds(10));
        Assert.Equal(2, refusedByTheKey.SequenceNr);
        Assert.True(new SqliteJournalErrors().IsDuplicateKey(refusedByTheKey.Cause), refusedByTheKey.Cause.ToString());
        // 3 would commit without the stream's guard: the log would hold another writer's 2 and this one's 3.
        Assert.Equal(3, probe.ExpectMsg<JournalAppendFailed>(TimeSpan.FromSeconds(10)).SequenceNr);
        Assert.Equal([1L, 2L], SequenceNumbers(database, persistenceId));

        // A fresh incarnation, which recovers to 2 first, writes on.
        writer.Append(new SqliteJournalWriter.WriteStream(), persistenceId, 3, new RecordBatchAppended(NodeFixture.Batch("third")), probe.Ref);
        Assert.Equal(3, probe.ExpectMsg<JournalAppended>(TimeSpan.FromSeconds(10)).SequenceNr);
        Assert.Equal([1L, 2L, 3L], SequenceNumbers(database, persistenceId));
    }

    [Fact]
    public async Task Its_rows_and_deletes_are_the_plugins_own_which_recovery_reads()
    {
        await using var node = await TestNode.StartAsync(extraHocon: Direct);
        using var kit = new TestKit(node.System);
        var writer = SqliteJournalWriter.For(node.System)!;
        var database = SqliteStorage.DatabasePath(node.System.Settings.Config);
        var persistenceId = $"spec-{Guid.NewGuid():N}";
        var probe = kit.CreateTestProbe();
        var stream = new SqliteJournalWriter.WriteStream();
        for (var n = 1; n <= 4; n++) writer.Append(stream, persistenceId, n, new RecordBatchAppended(NodeFixture.Batch($"r{n}")), probe.Ref);
        for (var n = 1; n <= 4; n++) Assert.Equal(n, probe.ExpectMsg<JournalAppended>(TimeSpan.FromSeconds(10)).SequenceNr);

        // The plugin replays them, decoded by the node's serializer.
        var journal = Persistence.Instance.Apply(node.System).JournalFor(null);
        journal.Tell(new ReplayMessages(1, long.MaxValue, long.MaxValue, persistenceId, probe.Ref));
        for (var n = 1; n <= 4; n++)
        {
            var replayed = probe.ExpectMsg<ReplayedMessage>(TimeSpan.FromSeconds(10)).Persistent;
            Assert.Equal(n, replayed.SequenceNr);
            Assert.IsType<RecordBatchAppended>(replayed.Payload);
        }
        Assert.Equal(4, probe.ExpectMsg<RecoverySuccess>(TimeSpan.FromSeconds(10)).HighestSequenceNr);

        // As Akka.Persistence.Sql's own delete: up to 3 removes 1 and 2 and keeps 3 marked deleted (the highest marked
        // row stays, so that the persistence id's next recovery starts after it even once everything is deleted); the
        // replay then has 4 alone.
        writer.Delete(stream, persistenceId, 3, probe.Ref);
        Assert.Equal(3, probe.ExpectMsg<DeleteMessagesSuccess>(TimeSpan.FromSeconds(10)).ToSequenceNr);
        Assert.Equal([3L, 4L], SequenceNumbers(database, persistenceId));
        journal.Tell(new ReplayMessages(1, long.MaxValue, long.MaxValue, persistenceId, probe.Ref));
        Assert.Equal(4, probe.ExpectMsg<ReplayedMessage>(TimeSpan.FromSeconds(10)).Persistent.SequenceNr);
        Assert.Equal(4, probe.ExpectMsg<RecoverySuccess>(TimeSpan.FromSeconds(10)).HighestSequenceNr);
        writer.Delete(stream, persistenceId, long.MaxValue, probe.Ref);
        probe.ExpectMsg<DeleteMessagesSuccess>(TimeSpan.FromSeconds(10));
        Assert.Equal([4L], SequenceNumbers(database, persistenceId));
        journal.Tell(new ReplayMessages(1, long.MaxValue, long.MaxValue, persistenceId, probe.Ref));
        Assert.Equal(4, probe.ExpectMsg<RecoverySuccess>(TimeSpan.FromSeconds(10)).HighestSequenceNr);
    }

    [Fact]
    public async Task The_plugins_own_writes_queue_at_the_same_writer_instead_of_competing_for_the_lock()
    {
        await using var node = await TestNode.StartAsync(extraHocon: LongBusyTimeout);
        using var kit = new TestKit(node.System);
        var writer = SqliteJournalWriter.For(node.System)!;
        var probe = kit.CreateTestProbe();
        await using (var blocker = new SqliteConnection($"Data Source={SqliteStorage.DatabasePath(node.System.Settings.Config)};Pooling=False"))
        {
            blocker.Open();
            await using var held = blocker.BeginTransaction(deferred: false);
            // The topic registry persists the new topic through Akka.Persistence: the write waits in the writer's queue.
            node.Gateway.Tell(new CreateTopic($"jw-{Guid.NewGuid():N}"[..12], 1, new Dictionary<string, string>()), probe.Ref);
            await Eventually.TrueAsync(() => writer.InFlight == 1, "the registry's write is with the node's journal writer");
            held.Rollback();
        }
        Assert.Equal(ErrorCode.None, probe.ExpectMsg<TopicCommandResult>(TimeSpan.FromSeconds(20)).Error);
        Assert.Equal(0, writer.InFlight);
    }

    [Fact]
    public async Task A_write_of_several_events_is_stored_whole_or_not_at_all()
    {
        await using var node = await TestNode.StartAsync(extraHocon: Direct);
        var writer = SqliteJournalWriter.For(node.System)!;
        var database = SqliteStorage.DatabasePath(node.System.Settings.Config);
        var persistenceId = $"spec-{Guid.NewGuid():N}";
        Insert(database, persistenceId, 2);

        // Akka's PersistAll is one AtomicWrite: 1 alone must not stay when 2 is refused.
        var refused = await Assert.ThrowsAsync<SqliteException>(() => writer.Write(
            [(persistenceId, 1L, new RecordBatchAppended(NodeFixture.Batch("one"))), (persistenceId, 2L, new RecordBatchAppended(NodeFixture.Batch("two")))]));
        Assert.True(new SqliteJournalErrors().IsDuplicateKey(refused));
        Assert.Equal([2L], SequenceNumbers(database, persistenceId));

        await writer.Write([(persistenceId, 3L, new RecordBatchAppended(NodeFixture.Batch("three"))), (persistenceId, 4L, new RecordBatchAppended(NodeFixture.Batch("four")))]);
        Assert.Equal([2L, 3L, 4L], SequenceNumbers(database, persistenceId));
    }

    private static void Insert(string database, string persistenceId, long sequenceNr)
    {
        using var connection = new SqliteConnection($"Data Source={database};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA busy_timeout = 10000; INSERT INTO journal (created, deleted, persistence_id, sequence_number, message, manifest, identifier, writer_uuid) " +
                              "VALUES (0, 0, $pid, $seq, x'00', 'E-RB', 0, 'spec')";
        command.Parameters.AddWithValue("$pid", persistenceId);
        command.Parameters.AddWithValue("$seq", sequenceNr);
        command.ExecuteNonQuery();
    }

    private static List<long> SequenceNumbers(string database, string persistenceId)
    {
        using var connection = new SqliteConnection($"Data Source={database};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT sequence_number FROM journal WHERE persistence_id = $pid ORDER BY sequence_number";
        command.Parameters.AddWithValue("$pid", persistenceId);
        using var reader = command.ExecuteReader();
        var numbers = new List<long>();
        while (reader.Read()) numbers.Add(reader.GetInt64(0));
        return numbers;
    }

    private static TopicInfo CreateTopic(Platform.Actors.Hosting.PlatformNode node, TestKit kit)
    {
        var probe = kit.CreateTestProbe();
        node.Gateway.Tell(new CreateTopic($"jw-{Guid.NewGuid():N}"[..12], 1, new Dictionary<string, string>()), probe.Ref);
        var result = probe.ExpectMsg<TopicCommandResult>(TimeSpan.FromSeconds(10));
        Assert.Equal(ErrorCode.None, result.Error);
        return result.Topic!;
    }
}
