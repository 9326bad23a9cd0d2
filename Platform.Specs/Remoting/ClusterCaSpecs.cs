using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Akka.Event;
using Platform.Actors.Remoting;

namespace Platform.Specs.Remoting;

/// <summary>What the remoting validator accepts: certificates the cluster's CA issued, and nothing else.</summary>
public sealed class ClusterCaSpecs
{
    private static readonly X509Certificate2 CaCertificate = ClusterCertificates.CreateCa("Spec cluster CA", TimeSpan.FromDays(1));
    private static readonly ClusterCa Ca = new(X509CertificateLoader.LoadCertificate(CaCertificate.RawData));

    [Fact]
    public void A_node_certificate_of_the_cluster_CA_is_accepted()
    {
        using var node = ClusterCertificates.CreateNode(CaCertificate, "n1", TimeSpan.FromDays(1));
        Assert.True(Ca.Issued(node, out var reason), reason);
        Assert.True(Ca.Validate(node, null, "peer", System.Net.Security.SslPolicyErrors.RemoteCertificateChainErrors, NoLogger.Instance));
    }

    [Fact]
    public void A_certificate_of_another_CA_is_refused_even_when_that_CA_has_the_same_name()
    {
        var impostor = ClusterCertificates.CreateCa("Spec cluster CA", TimeSpan.FromDays(1));
        using var node = ClusterCertificates.CreateNode(impostor, "n1", TimeSpan.FromDays(1));
        Assert.False(Ca.Issued(node, out var reason));
        Assert.Contains("cluster CA", reason);
        Assert.False(Ca.Validate(node, null, "peer", System.Net.Security.SslPolicyErrors.None, NoLogger.Instance));
    }

    [Fact]
    public void A_self_signed_certificate_is_refused()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=n1", key, HashAlgorithmName.SHA256);
        using var selfSigned = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddDays(1));
        Assert.False(Ca.Issued(selfSigned, out _));
    }

    [Fact]
    public void An_expired_certificate_of_the_cluster_CA_is_refused()
    {
        var now = DateTimeOffset.UtcNow;
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest("CN=Old cluster CA", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        using var ca = caRequest.CreateSelfSigned(now.AddDays(-10), now.AddDays(10));
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=old", key, HashAlgorithmName.SHA256);
        using var expired = request.Create(ca, now.AddDays(-2), now.AddDays(-1), [1, 2, 3, 4]);
        using var current = request.Create(ca, now.AddDays(-2), now.AddDays(1), [1, 2, 3, 5]);

        var trust = new ClusterCa(X509CertificateLoader.LoadCertificate(ca.RawData));
        Assert.True(trust.Issued(current, out var reason), reason);
        Assert.False(trust.Issued(expired, out reason));
        Assert.Contains("NotTimeValid", reason);
    }

    [Fact]
    public void A_peer_without_a_certificate_is_refused()
    {
        Assert.False(Ca.Validate(null, null, "peer", System.Net.Security.SslPolicyErrors.RemoteCertificateNotAvailable, NoLogger.Instance));
    }

    [Fact]
    public void Node_certificates_round_trip_through_PKCS12_with_their_key_and_a_PEM_CA()
    {
        var dir = Directory.CreateTempSubdirectory("platform-ca-spec-").FullName;
        using var node = ClusterCertificates.CreateNode(CaCertificate, "10.0.0.7", TimeSpan.FromDays(1));
        File.WriteAllBytes(Path.Combine(dir, "n.p12"), ClusterCertificates.ExportPkcs12(node, "pw"));
        File.WriteAllText(Path.Combine(dir, "ca.crt"), ClusterCertificates.ExportPem(CaCertificate));

        using var loaded = ClusterCertificates.LoadPkcs12(Path.Combine(dir, "n.p12"), "pw");
        Assert.True(loaded.HasPrivateKey);
        Assert.True(ClusterCa.Load(Path.Combine(dir, "ca.crt")).Issued(loaded, out var reason), reason);
        Assert.Contains("10.0.0.7", loaded.GetNameInfo(X509NameType.SimpleName, false));
        Assert.Throws<InvalidOperationException>(() => ClusterCertificates.LoadPkcs12(Path.Combine(dir, "n.p12"), "wrong"));
    }
}
