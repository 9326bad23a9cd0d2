using Akka.Actor;
using Akka.Actor.Setup;
using Akka.Configuration;
using Akka.Remote.Transport.DotNetty;

namespace Platform.Actors.Remoting;

/// <summary>What <see cref="RemotingSecurity.Plan"/> decided: the node's configuration and, for TLS, its setup.</summary>
public sealed record RemotingPlan(RemotingExposure Exposure, Config Config, DotNettySslSetup? Ssl)
{
    /// <summary>The ActorSystem's setup: <see cref="Config"/>, and the TLS setup when there is one.</summary>
    public ActorSystemSetup Setup()
    {
        var bootstrap = BootstrapSetup.Create().WithConfig(Config);
        return Ssl is null ? ActorSystemSetup.Create(bootstrap) : ActorSystemSetup.Create(bootstrap, Ssl);
    }
}
