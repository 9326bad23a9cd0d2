using System.Security.Cryptography.X509Certificates;
using Platform.Actors.Configuration;
using Platform.Actors.Remoting;

namespace Platform.Specs.Support;

/// <summary>
/// A cluster CA and node certificates in a temporary directory, as <c>platform certs create</c> writes
/// them (PKCS#12 files with a password, the CA certificate in PEM), for specs that start nodes with TLS.
/// </summary>
public sealed class TestCertificates
{
    public const string Password = "spec-password";

    private TestCertificates(string dir, X509Certificate2 ca)
    {
        Dir = dir;
        Ca = ca;
        CaPath = Path.Combine(dir, "ca.crt");
        File.WriteAllText(CaPath, ClusterCertificates.ExportPem(ca));
    }

    public string Dir { get; }

    /// <summary>The CA with its private key.</summary>
    public X509Certificate2 Ca { get; }

    public string CaPath { get; }

    public static TestCertificates Create(string caName = "Spec cluster CA") =>
        new(Directory.CreateTempSubdirectory("platform-certs-").FullName, ClusterCertificates.CreateCa(caName, TimeSpan.FromDays(1)));

    /// <summary>A node certificate of this CA, written as NAME.p12.</summary>
    public string NodeFile(string name)
    {
        var path = Path.Combine(Dir, name + ".p12");
        if (!File.Exists(path))
        {
            using var certificate = ClusterCertificates.CreateNode(Ca, name, TimeSpan.FromDays(1));
            File.WriteAllBytes(path, ClusterCertificates.ExportPkcs12(certificate, Password));
        }
        return path;
    }

    /// <summary>A node certificate of this CA with its key, loaded as a node loads it.</summary>
    public X509Certificate2 Node(string name) => ClusterCertificates.LoadPkcs12(NodeFile(name), Password);

    /// <summary>What a node started with this CA and a certificate of its own takes.</summary>
    public TlsOptions TlsFor(string name) => new(NodeFile(name), Password, CaPath);
}
