using Akka.Actor;
using Platform.Actors.Supervision;

namespace Platform.Actors.Configuration;

/// <summary>
/// A <c>registry-restart-backoff { min, max, random-factor, max-waiting }</c> section: how a persistent singleton that
/// stopped after a failed journal write or recovery is started again (<see cref="WaitingBackoffSupervisor"/>), so that
/// it recovers from what the journal holds instead of staying dead until the node restarts (issue #17: the topic
/// registry stopped after one failed write and every topic create timed out from then on).
/// </summary>
/// <param name="Min">The first wait before a stopped actor is started again.</param>
/// <param name="Max">The longest wait, however often it stopped.</param>
/// <param name="RandomFactor">The share by which each wait is randomised.</param>
/// <param name="MaxWaiting">Messages kept for the actor while it is stopped, at most; later ones go to dead letters.</param>
internal sealed record RestartBackoff(TimeSpan Min, TimeSpan Max, double RandomFactor, int MaxWaiting)
{
    /// <summary><paramref name="child"/> (named <paramref name="childName"/>) under a supervisor that starts it again when it stops.</summary>
    public Props Supervise(Props child, string childName) => WaitingBackoffSupervisor.Props(child, childName, this);

    /// <summary>
    /// The wait before start number <paramref name="restarts"/> + 1: <see cref="Min"/> doubled per earlier restart, at
    /// most <see cref="Max"/>, then stretched by up to <see cref="RandomFactor"/> (Akka's backoff formula).
    /// </summary>
    public TimeSpan Delay(int restarts)
    {
        var doubled = Min.TotalMilliseconds * Math.Pow(2, Math.Min(restarts, 30));
        var capped = Math.Min(Max.TotalMilliseconds, doubled);
        return TimeSpan.FromMilliseconds(capped * (1 + Random.Shared.NextDouble() * RandomFactor));
    }
}
