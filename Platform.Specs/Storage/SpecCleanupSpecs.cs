using System.Diagnostics;

using Platform.Specs.Support;

namespace Platform.Specs.Storage;

/// <summary>Spec runs leave no PostgreSQL databases and no data directories behind (issue #17 item 7).</summary>
public sealed class SpecCleanupSpecs
{
    private static async Task<int> EndedProcessId()
    {
        using var process = Process.Start(new ProcessStartInfo("true"))!;
        await process.WaitForExitAsync();
        return process.Id;
    }

    [Fact]
    [Trait("Category", "PostgreSQL")]
    public async Task Databases_of_a_test_process_that_ended_are_dropped_by_the_next_new_database()
    {
        var left = await TestPostgres.NewDatabaseOfAsync(await EndedProcessId());
        Assert.Contains(left, await TestPostgres.ListAsync());
        await TestPostgres.NewDatabaseAsync();
        var names = await TestPostgres.ListAsync();
        Assert.DoesNotContain(left, names);
        Assert.DoesNotContain(names, n => n.StartsWith("platform_spec_", StringComparison.Ordinal) && SpecLeftovers.OfEndedProcess(n["platform_spec_".Length..], '_'));
    }

    [Fact]
    public async Task Data_directories_of_a_test_process_that_ended_are_removed_by_the_next_new_one()
    {
        var left = Directory.CreateTempSubdirectory($"platform-spec-{await EndedProcessId()}-").FullName;
        await File.WriteAllTextAsync(Path.Combine(left, "platform.db"), "left behind");
        var fresh = TestNode.NewDataDir();
        Assert.False(Directory.Exists(left));
        Assert.True(Directory.Exists(fresh));
        Assert.StartsWith($"platform-spec-{Environment.ProcessId}-", Path.GetFileName(fresh));
    }
}
