using System.Reflection;
using PublicApiGenerator;
using Platform.Specs.Support;

namespace Platform.Specs.PublicApi;

/// <summary>
/// What each assembly offers its users, as a reviewed text: the spec fails when the public surface changes and
/// the approved file was not updated with it, so a change to the API is a deliberate diff, never an accident
/// (Akka.NET guards its own surface the same way). To accept a change, copy the <c>.received.txt</c> the failure
/// names over the <c>.approved.txt</c> beside it and commit both the code and the file. Every shipped assembly
/// is here: the broker's only surface is what Platform.Host needs to start and stop a node (its machinery is
/// internal, visible to the specs alone), Platform.Bench offers the Host its benchmarks, and the Host, an
/// executable, offers nothing.
/// </summary>
public sealed class PublicApiSpecs
{
    [Theory]
    [InlineData("Platform.Protocol")]
    [InlineData("Platform.Client")]
    [InlineData("Platform.Actors")]
    [InlineData("Platform.Bench")]
    [InlineData("platform")] // Platform.Host, the executable
    public void The_public_surface_is_the_approved_one(string assemblyName)
    {
        var assembly = Assembly.Load(assemblyName);
        var api = assembly.GeneratePublicApi(new ApiGeneratorOptions
        {
            ExcludeAttributes = ["System.Runtime.Versioning.TargetFrameworkAttribute", "System.Reflection.AssemblyMetadataAttribute"],
        }).ReplaceLineEndings("\n");
        var folder = Path.Combine(Repository.Root, "Platform.Specs", "PublicApi");
        var approvedPath = Path.Combine(folder, $"{assemblyName}.approved.txt");
        var receivedPath = Path.Combine(folder, $"{assemblyName}.received.txt");
        var approved = File.Exists(approvedPath) ? File.ReadAllText(approvedPath).ReplaceLineEndings("\n") : "";
        if (approved == api)
        {
            File.Delete(receivedPath);
            return;
        }
        File.WriteAllText(receivedPath, api);
        Assert.Fail($"The public API of {assemblyName} changed. Review {receivedPath} and, if the change is meant, copy it over {approvedPath}.");
    }
}
