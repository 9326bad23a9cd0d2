using Akka.Actor;
using Akka.Pattern;

namespace Platform.Actors.Configuration;

/// <summary>
/// A <c>registry-restart-backoff { min, max, random-factor }</c> section: how a persistent singleton that stopped after a failed
/// journal write or recovery is started again (Akka's <see cref="BackoffSupervisor"/>), so that it recovers from what
/// the journal holds instead of staying dead until the node restarts (issue #17: the topic registry stopped after one
/// failed write and every topic create timed out from then on).
/// </summary>
/// <param name="Min">The first wait before a stopped actor is started again.</param>
/// <param name="Max">The longest wait, however often it stopped.</param>
/// <param name="RandomFactor">The share by which each wait is randomised.</param>
internal sealed record RestartBackoff(TimeSpan Min, TimeSpan Max, double RandomFactor)
{
    /// <summary><paramref name="child"/> (named <paramref name="childName"/>) under a backoff supervisor that restarts it when it stops.</summary>
    public Props Supervise(Props child, string childName) => BackoffSupervisor.Props(child, childName, Min, Max, RandomFactor);
}
