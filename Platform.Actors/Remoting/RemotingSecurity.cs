using Akka.Configuration;
using Akka.Remote.Transport.DotNetty;
using Platform.Actors.Configuration;

namespace Platform.Actors.Remoting;

/// <summary>
/// Akka.Remote trusts every peer completely (it may join the cluster, down nodes, stop actors, send any
/// message to any region), so remoting is for cluster members only. This decides, from the node's
/// configuration, how remoting is exposed, and turns that into the transport's settings: mutual TLS
/// pinned to the cluster's CA when certificates are configured, 127.0.0.1 when the node is alone without
/// them, and otherwise a warning (or a refusal, with <c>platform.tls.require</c>).
/// </summary>
public static class RemotingSecurity
{
    public const string UnprotectedWarning =
        "remoting between cluster members is neither encrypted nor authenticated: anyone who can reach this node's " +
        "remoting port can join the cluster, stop nodes and delete data. Create certificates with `platform certs create` " +
        "and start every node with --tls-cert and --tls-ca (docs/cluster.md), or pass --require-tls to refuse to start without them.";

    /// <summary>The exposure of a node with these settings; throws when TLS is required and missing.</summary>
    internal static RemotingExposure Decide(TlsSettings tls, bool hasSeeds)
    {
        if (tls.Enabled) return RemotingExposure.MutualTls;
        if (!hasSeeds) return RemotingExposure.Loopback;
        if (tls.Require)
            throw new InvalidOperationException("TLS is required (--require-tls, platform.tls.require) but this node has seeds and no certificate: " +
                "give it --tls-cert and --tls-ca (or PLATFORM_TLS_CERT and PLATFORM_TLS_CA); `platform certs create` makes them");
        return RemotingExposure.Unprotected;
    }

    /// <summary>The exposure of a node started on <paramref name="config"/>.</summary>
    public static RemotingExposure Decide(Config config) =>
        Decide(TlsSettings.Create(config), config.GetStringList("akka.cluster.seed-nodes").Count > 0);

    /// <summary>
    /// The configuration and ActorSystem setup a node starts with: <paramref name="config"/> with the
    /// remoting transport adjusted to <see cref="Decide(Config)"/>, and for mutual TLS the DotNettySslSetup
    /// carrying the node's certificate and the CA-pinned validator.
    /// </summary>
    internal static RemotingPlan Plan(Config config)
    {
        var tls = TlsSettings.Create(config);
        var seeds = config.GetStringList("akka.cluster.seed-nodes");
        var exposure = Decide(tls, seeds.Count > 0);
        switch (exposure)
        {
            case RemotingExposure.MutualTls:
            {
                var certificate = ClusterCertificates.LoadPkcs12(tls.CertificatePath, tls.CertificatePassword);
                var ca = ClusterCa.Load(tls.CaPath);
                if (!certificate.HasPrivateKey)
                    throw new InvalidOperationException($"The certificate file '{tls.CertificatePath}' has no private key: a node needs its own key (PKCS#12 with certificate and key)");
                // A node whose own certificate its peers would refuse is a configuration mistake: say so now,
                // not as handshake failures on every other node.
                if (!ca.Issued(certificate, out var reason))
                    throw new InvalidOperationException($"This node's certificate {certificate.Subject} in '{tls.CertificatePath}' is not accepted by the cluster CA in '{tls.CaPath}': {reason}");
                // A TLS transport's addresses are akka.ssl.tcp://; seeds given as host:port became akka.tcp:// ones.
                var tlsSeeds = seeds.Select(seed => seed.StartsWith(PlainScheme, StringComparison.Ordinal) ? TlsScheme + seed[PlainScheme.Length..] : seed);
                var transport = ConfigurationFactory.ParseString($$"""
                    akka.cluster.seed-nodes = [{{string.Join(", ", tlsSeeds.Select(PlatformConfig.Quote))}}]
                    akka.remote.dot-netty.tcp {
                      enable-ssl = on
                      ssl {
                        suppress-validation = off
                        require-mutual-authentication = on
                        validate-certificate-hostname = off
                      }
                    }
                    """);
                var ssl = new DotNettySslSetup(certificate, suppressValidation: false, requireMutualAuthentication: true,
                    validateCertificateHostname: false, customValidator: ca.Validator);
                return new RemotingPlan(exposure, transport.WithFallback(config), ssl);
            }
            case RemotingExposure.Loopback:
            {
                // The Kafka listener keeps the node's host: only remoting moves to loopback.
                var kafkaHost = KafkaSettings.Create(config).Host;
                var loopback = ConfigurationFactory.ParseString($"""
                    akka.remote.dot-netty.tcp.hostname = "127.0.0.1"
                    akka.remote.dot-netty.tcp.public-hostname = ""
                    platform.kafka.host = {PlatformConfig.Quote(kafkaHost)}
                    """);
                return new RemotingPlan(exposure, loopback.WithFallback(config), null);
            }
            default:
                return new RemotingPlan(exposure, config, null);
        }
    }

    private const string PlainScheme = "akka.tcp://";
    private const string TlsScheme = "akka.ssl.tcp://";
}
