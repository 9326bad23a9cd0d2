using Akka.Configuration;
using Platform.Actors.Configuration;
using Platform.Actors.Remoting;
using Platform.Specs.Support;

namespace Platform.Specs.Remoting;

/// <summary>How a node's remoting is exposed, decided from its configuration before its ActorSystem starts.</summary>
public sealed class RemotingSecuritySpecs
{
    private static readonly TlsSettings NoTls = new("", "", "", Require: false);
    private static readonly TlsSettings Tls = new("node.p12", "", "ca.crt", Require: false);

    [Theory]
    [InlineData(false, false, RemotingExposure.Loopback)]
    [InlineData(true, false, RemotingExposure.Unprotected)]
    [InlineData(false, true, RemotingExposure.MutualTls)]
    [InlineData(true, true, RemotingExposure.MutualTls)]
    public void Exposure_follows_seeds_and_certificates(bool seeds, bool tls, RemotingExposure expected) =>
        Assert.Equal(expected, RemotingSecurity.Decide(tls ? Tls : NoTls, seeds));

    [Fact]
    public void Requiring_TLS_refuses_seeds_without_certificates_but_not_a_node_alone()
    {
        var required = NoTls with { Require = true };
        var e = Assert.Throws<InvalidOperationException>(() => RemotingSecurity.Decide(required, hasSeeds: true));
        Assert.Contains("--tls-cert", e.Message);
        Assert.Equal(RemotingExposure.Loopback, RemotingSecurity.Decide(required, hasSeeds: false));
        Assert.Equal(RemotingExposure.MutualTls, RemotingSecurity.Decide(Tls with { Require = true }, hasSeeds: true));
    }

    [Fact]
    public void A_node_alone_without_certificates_binds_remoting_to_loopback_and_keeps_its_host_for_Kafka()
    {
        var plan = RemotingSecurity.Plan(Node(new NodeOptions("data", "0.0.0.0", 9192)));
        Assert.Equal(RemotingExposure.Loopback, plan.Exposure);
        Assert.Equal("127.0.0.1", plan.Config.GetString("akka.remote.dot-netty.tcp.hostname"));
        Assert.Equal("0.0.0.0", KafkaSettings.Create(plan.Config).Host);
        Assert.Null(plan.Ssl);
    }

    [Fact]
    public void A_node_with_seeds_and_without_certificates_keeps_its_host()
    {
        var plan = RemotingSecurity.Plan(Node(new NodeOptions("data", "10.1.2.3", 9192, Seeds: ["10.1.2.4:9192"])));
        Assert.Equal(RemotingExposure.Unprotected, plan.Exposure);
        Assert.Equal("10.1.2.3", plan.Config.GetString("akka.remote.dot-netty.tcp.hostname"));
        Assert.False(plan.Config.GetBoolean("akka.remote.dot-netty.tcp.enable-ssl"));
    }

    [Fact]
    public void With_certificates_remoting_runs_mutual_TLS_pinned_to_the_CA_and_seeds_use_the_TLS_scheme()
    {
        var certs = TestCertificates.Create();
        var plan = RemotingSecurity.Plan(Node(new NodeOptions("data", "10.1.2.3", 9192, Seeds: ["10.1.2.4:9192"], Tls: certs.TlsFor("n1"))));
        Assert.Equal(RemotingExposure.MutualTls, plan.Exposure);
        var tcp = plan.Config.GetConfig("akka.remote.dot-netty.tcp");
        Assert.True(tcp.GetBoolean("enable-ssl"));
        Assert.True(tcp.GetBoolean("ssl.require-mutual-authentication"));
        Assert.False(tcp.GetBoolean("ssl.suppress-validation"));
        Assert.Equal("10.1.2.3", tcp.GetString("hostname"));
        Assert.Equal(["akka.ssl.tcp://platform@10.1.2.4:9192"], plan.Config.GetStringList("akka.cluster.seed-nodes"));
        Assert.NotNull(plan.Ssl);
        Assert.True(plan.Ssl!.RequireMutualAuthentication);
        Assert.False(plan.Ssl.SuppressValidation);
        Assert.NotNull(plan.Ssl.CustomValidator);
        Assert.True(plan.Ssl.Certificate.HasPrivateKey);
    }

    [Fact]
    public void A_node_whose_certificate_another_CA_issued_refuses_to_start()
    {
        var ours = TestCertificates.Create();
        var theirs = TestCertificates.Create();
        var options = new NodeOptions("data", "127.0.0.1", 0, Tls: new TlsOptions(theirs.NodeFile("n1"), TestCertificates.Password, ours.CaPath));
        var e = Assert.Throws<InvalidOperationException>(() => RemotingSecurity.Plan(Node(options)));
        Assert.Contains("not accepted by the cluster CA", e.Message);
    }

    [Fact]
    public void A_certificate_without_a_CA_is_a_configuration_error()
    {
        var config = ConfigurationFactory.ParseString("platform.tls.certificate = \"node.p12\"").WithFallback(PlatformConfig.Defaults);
        var e = Assert.Throws<ConfigurationException>(() => TlsSettings.Create(config));
        Assert.Contains("platform.tls.ca", e.Message);
    }

    private static Config Node(NodeOptions options) => PlatformConfig.ForNode(options);
}
