using System.Text.Json.Serialization;

namespace Platform.Actors.Health;

/// <summary>One readiness check's outcome as /health/ready shows it: its name, "ok" or "failed", and why.</summary>
internal sealed record HealthCheckResult(string Name, string Status, string Reason)
{
    [JsonIgnore]
    public bool Ok => Status == "ok";

    public static HealthCheckResult Passed(string name, string reason) => new(name, "ok", reason);

    public static HealthCheckResult Failed(string name, string reason) => new(name, "failed", reason);
}

/// <summary>The node's readiness: "ready" only when every check passed (then /health/ready answers 200, else 503).</summary>
internal sealed record HealthReport(string Status, IReadOnlyList<HealthCheckResult> Checks)
{
    [JsonIgnore]
    public bool Ready => Status == "ready";

    public static HealthReport Of(IReadOnlyList<HealthCheckResult> checks) => new(checks.All(c => c.Ok) ? "ready" : "not ready", checks);
}
