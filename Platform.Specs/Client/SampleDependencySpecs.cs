using Platform.Specs.Support;

namespace Platform.Specs.Client;

/// <summary>
/// An application that references only Platform.Client ships no broker: its build output holds the wire
/// contract and Akka.Streams, never the broker's assembly, Akka.Remote, Akka.Cluster or Akka.Persistence.
/// </summary>
public sealed class SampleDependencySpecs
{
    [Fact]
    public void The_sample_application_output_contains_no_broker_assembly()
    {
        var specsOutput = new DirectoryInfo(AppContext.BaseDirectory);
        var framework = specsOutput.Name; // .../Platform.Specs/bin/<Configuration>/<framework>/
        var configuration = specsOutput.Parent!.Name;
        var sampleOutput = Path.Combine(Repository.Root, "samples", "TopicTransformer", "bin", configuration, framework);
        Assert.True(File.Exists(Path.Combine(sampleOutput, "TopicTransformer.dll")), $"the sample is built into {sampleOutput}");

        var assemblies = Directory.GetFiles(sampleOutput, "*.dll").Select(Path.GetFileName).ToList();
        Assert.Contains("Platform.Client.dll", assemblies);
        Assert.Contains("Platform.Protocol.dll", assemblies);
        Assert.DoesNotContain(assemblies, name => name is "Platform.Actors.dll" or "Akka.Remote.dll"
            || name!.StartsWith("Akka.Cluster", StringComparison.Ordinal) || name.StartsWith("Akka.Persistence", StringComparison.Ordinal));
    }
}
