using System.Diagnostics;
using Platform.Actors;
using Platform.Client;
using Platform.Specs.Support;

namespace Platform.Specs.Topics;

/// <summary>
/// The topic registry after a failed journal write (issue #17 item 3; before, it stopped for good and every create
/// answered "No answer to CreateTopic within 30 s" until the node restarted): the create that met the failure is
/// answered KAFKA_STORAGE_ERROR at once, and once the store takes writes again the registry, restarted from the
/// journal after its backoff, creates topics again; a create sent during the backoff waits for it and is answered. Real node, real SQLite: a trigger fails the registry's inserts.
/// </summary>
public sealed class TopicRegistryRestartSpecs
{
    [Fact]
    public async Task A_failed_registry_write_is_answered_with_a_storage_error_at_once_and_the_registry_comes_back()
    {
        var dataDir = TestNode.NewDataDir();
        // A backoff long enough that the next create surely arrives while the registry is stopped.
        await using var node = await TestNode.StartAsync(dataDir, extraHocon: """
            platform.node.registry-restart-backoff { min = 5s, max = 5s, random-factor = 0 }
            """);
        await using var connection = await PlatformConnection.ConnectAsync(node.KafkaEndpoint);
        var admin = new PlatformAdmin(connection);
        await admin.CreateTopicAsync("before", 1);

        await NodeDatabase.ExecuteAsync(dataDir, """
            CREATE TRIGGER fail_registry BEFORE INSERT ON journal WHEN NEW.persistence_id = 'topic-registry'
            BEGIN SELECT RAISE(ABORT, 'disk full (spec)'); END;
            """);
        var watch = Stopwatch.StartNew();
        var failed = await Assert.ThrowsAsync<PlatformException>(() => admin.CreateTopicAsync("during", 1));
        Assert.Equal(ErrorCode.KafkaStorageError, failed.Code);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"answered after {watch.Elapsed}");

        // The registry is now stopped for its backoff. A create sent meanwhile waits for the restarted registry and is
        // answered by it; before, Akka's backoff supervisor dropped it and it timed out after the request timeout (30 s).
        await NodeDatabase.ExecuteAsync(dataDir, "DROP TRIGGER fail_registry");
        watch.Restart();
        var created = await admin.CreateTopicAsync("after", 2);
        Assert.Equal(2, created.PartitionCount);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(25), $"the create that waited for the registry was answered after {watch.Elapsed}");
        var names = (await admin.ListTopicsAsync()).Select(t => t.Name).Order().ToList();
        Assert.Equal(["after", "before"], names);
    }
}
