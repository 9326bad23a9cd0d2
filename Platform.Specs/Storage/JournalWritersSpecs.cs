using Akka.Actor;
using Akka.Configuration;
using Akka.Persistence;
using Platform.Actors.Configuration;
using Platform.Specs.Support;

namespace Platform.Specs.Storage;

/// <summary>
/// A persistence id written by node A, then B, then A again, as a partition does when sharding moves it away
/// and back (a rebalance onto a joining node, then that node's death). Akka.Persistence.Sql stamps every event
/// with one writer id per journal, i.e. per node process, and Akka's default replay filter (repair-by-discard-old)
/// takes A's later events for a stale writer's and drops them on recovery: the partition came back with a
/// shorter log, handed the lost offsets out again, and acknowledged records vanished (found by the nemesis).
/// The journal's unique key on (persistence id, sequence number) already refuses forks, so the filter is off.
/// </summary>
[Trait("Category", "Postgres")]
public sealed class JournalWritersSpecs
{
    private sealed class Recorder : ReceivePersistentActor
    {
        private readonly List<string> _events = [];

        public Recorder(string id)
        {
            PersistenceId = id;
            // Events as bytes: Akka's byte-array serializer, since the node refuses JSON for anything.
            Recover<byte[]>(e => _events.Add(System.Text.Encoding.UTF8.GetString(e)));
            Command<string>(e => Persist(System.Text.Encoding.UTF8.GetBytes(e), _ =>
            {
                _events.Add(e);
                Sender.Tell(e);
            }));
            Command<int>(_ => Sender.Tell(_events.ToList()));
        }

        public override string PersistenceId { get; }
    }

    private static ActorSystem Node(string database) =>
        ActorSystem.Create("writers", PlatformConfig.ForNode(new NodeOptions(TestNode.NewDataDir(), "127.0.0.1", 0,
            ConfigurationFactory.ParseString("akka.actor.provider = local\nakka.loglevel = OFF"), null, StorageKind.Postgres, database)));

    private static async Task WriteAsync(ActorSystem system, params string[] events)
    {
        var recorder = system.ActorOf(Props.Create(() => new Recorder("moving-partition")));
        foreach (var e in events) await recorder.Ask<string>(e, TimeSpan.FromSeconds(20));
        await recorder.GracefulStop(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task Events_of_a_writer_that_wrote_before_another_are_all_recovered()
    {
        var database = await TestPostgres.NewDatabaseAsync();
        var a = Node(database);
        var b = Node(database);
        try
        {
            await WriteAsync(a, "a1", "a2");
            await WriteAsync(b, "b3", "b4");
            await WriteAsync(a, "a5", "a6");
            var recorder = b.ActorOf(Props.Create(() => new Recorder("moving-partition")));
            var recovered = await recorder.Ask<List<string>>(0, TimeSpan.FromSeconds(20));
            Assert.Equal(["a1", "a2", "b3", "b4", "a5", "a6"], recovered);
        }
        finally
        {
            await a.Terminate();
            await b.Terminate();
        }
    }
}
