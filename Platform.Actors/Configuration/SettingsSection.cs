using Akka.Configuration;

namespace Platform.Actors.Configuration;

/// <summary>
/// One section of a node's HOCON (<c>platform.kafka</c>, ...) as a settings record reads it. Every key must be
/// there: defaults live only in hocon/platform.conf, so a missing key is a <see cref="ConfigurationException"/>
/// naming it when the node starts, never Akka's silent 0 or a number in code that drifts from the HOCON.
/// </summary>
internal readonly struct SettingsSection
{
    private readonly Config _config;

    private SettingsSection(Config config, string path)
    {
        _config = config;
        Path = path;
    }

    /// <summary>
    /// A section a library has already picked out, e.g. the lease configuration Akka.Coordination hands to a lease
    /// (its own keys over <c>akka.coordination.lease</c>); <paramref name="path"/> only names it in errors.
    /// </summary>
    public static SettingsSection Within(Config section, string path) => new(section, path);

    /// <summary>The section's full path, e.g. <c>platform.kafka</c>.</summary>
    public string Path { get; }

    public static SettingsSection Of(Config config, string path) =>
        config.HasPath(path) && config.GetConfig(path) is { } section
            ? new SettingsSection(section, path)
            : throw new ConfigurationException($"The setting {path} is missing (hocon/platform.conf has its defaults)");

    public int Int(string key) => Read(key, (c, k) => c.GetInt(k));

    public long Long(string key) => Read(key, (c, k) => c.GetLong(k));

    public double Double(string key) => Read(key, (c, k) => c.GetDouble(k));

    public bool Bool(string key) => Read(key, (c, k) => c.GetBoolean(k));

    public string String(string key) => Read(key, (c, k) => c.GetString(k));

    public TimeSpan Duration(string key) => Read(key, (c, k) => c.GetTimeSpan(k));

    /// <summary>A size such as <c>64MiB</c>, in bytes.</summary>
    public long Bytes(string key) => Read(key, (c, k) => c.GetByteSize(k)) ?? throw Missing(key);

    /// <summary>
    /// Reads a key, naming it when its value does not parse: Akka's parsers throw a bare FormatException
    /// ("The input string '-1s' was not in a correct format") that leaves an operator guessing which setting it was.
    /// </summary>
    private T Read<T>(string key, Func<Config, string, T> read)
    {
        var config = Required(key);
        try
        {
            return read(config, key);
        }
        catch (Exception e) when (e is FormatException or OverflowException or InvalidCastException)
        {
            throw new ConfigurationException($"The setting {Path}.{key} has a value that is not valid here: {e.Message}");
        }
    }

    private Config Required(string key) => _config.HasPath(key) ? _config : throw Missing(key);

    private ConfigurationException Missing(string key) =>
        new($"The setting {Path}.{key} is missing (hocon/platform.conf has its default)");
}
