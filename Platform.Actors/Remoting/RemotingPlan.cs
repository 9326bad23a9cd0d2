using Akka.Actor;
using Akka.Actor.Setup;
using Akka.Configuration;
using Akka.Remote.Transport.DotNetty;

namespace Platform.Actors.Remoting;

/// <summary>What <see cref="RemotingSecurity.Plan"/> decided: the node's configuration and, for TLS, its setup.</summary>
internal sealed record RemotingPlan(RemotingExposure Exposure, Config Config, DotNettySslSetup? Ssl)
{
    /// <summary>The ActorSystem's setup: <see cref="Config"/>, the TLS setup when there is one, and <paramref name="storage"/>.</summary>
    public ActorSystemSetup Setup(Setup? storage = null)
    {
        var setup = ActorSystemSetup.Create(BootstrapSetup.Create().WithConfig(Config));
        if (Ssl is not null) setup = setup.And(Ssl);
        return storage is null ? setup : setup.And(storage);
    }
}
