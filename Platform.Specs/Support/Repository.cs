namespace Platform.Specs.Support;

/// <summary>The repository's root folder (the one holding Platform.sln), found upwards from the specs' output.</summary>
public static class Repository
{
    public static string? TryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Platform.sln"))) directory = directory.Parent;
        return directory?.FullName;
    }

    public static string Root => TryRoot() ?? throw new InvalidOperationException($"No Platform.sln above {AppContext.BaseDirectory}");
}
