using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Platform.Actors.Remoting;

/// <summary>
/// Makes the certificates of a cluster: a CA of its own, and for each node a certificate it signs (ECDSA
/// P-256, good as TLS server and client, since a node is both ends of remoting connections). What
/// <c>platform certs create</c> writes and the specs use; docs/cluster.md has the same with openssl.
/// </summary>
public static class ClusterCertificates
{
    private const string ServerAuth = "1.3.6.1.5.5.7.3.1";
    private const string ClientAuth = "1.3.6.1.5.5.7.3.2";

    /// <summary>A self-signed CA certificate with its private key.</summary>
    public static X509Certificate2 CreateCa(string name, TimeSpan validity)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(new X500DistinguishedName($"CN={Escape(name)}"), key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        var now = DateTimeOffset.UtcNow;
        return request.CreateSelfSigned(now.AddMinutes(-5), now.Add(validity));
    }

    /// <summary>
    /// A node certificate signed by <paramref name="ca"/> (which must have its private key), with the node's
    /// name as subject and as DNS name or IP address in the subject alternative names.
    /// </summary>
    public static X509Certificate2 CreateNode(X509Certificate2 ca, string name, TimeSpan validity)
    {
        if (!ca.HasPrivateKey) throw new ArgumentException("Signing node certificates needs the CA's private key", nameof(ca));
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(new X500DistinguishedName($"CN={Escape(name)}"), key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(ServerAuth), new Oid(ClientAuth)], false));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(ca, true, false));
        var names = new SubjectAlternativeNameBuilder();
        if (IPAddress.TryParse(name, out var address)) names.AddIpAddress(address);
        else names.AddDnsName(name);
        request.CertificateExtensions.Add(names.Build());
        var now = DateTimeOffset.UtcNow;
        var notAfter = now.Add(validity) < ca.NotAfter ? now.Add(validity) : new DateTimeOffset(ca.NotAfter.ToUniversalTime());
        using var signed = request.Create(ca, now.AddMinutes(-5), notAfter, RandomNumberGenerator.GetBytes(16));
        return signed.CopyWithPrivateKey(key);
    }

    /// <summary>The certificate and its private key as a PKCS#12 file's bytes (AES-256, as openssl 3 writes them).</summary>
    public static byte[] ExportPkcs12(X509Certificate2 certificate, string password) =>
        certificate.ExportPkcs12(Pkcs12ExportPbeParameters.Pbes2Aes256Sha256, password);

    /// <summary>The certificate alone (no key), PEM-encoded: what nodes take as <c>--tls-ca</c>.</summary>
    public static string ExportPem(X509Certificate2 certificate) => certificate.ExportCertificatePem() + "\n";

    /// <summary>Loads a PKCS#12 file with its private key, as a node does at start.</summary>
    public static X509Certificate2 LoadPkcs12(string path, string password)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"The certificate file '{path}' does not exist", path);
        try
        {
            return X509CertificateLoader.LoadPkcs12FromFile(path, password);
        }
        catch (CryptographicException e)
        {
            throw new InvalidOperationException($"Cannot read the PKCS#12 file '{path}' (wrong password, or not PKCS#12): {e.Message}", e);
        }
    }

    private static string Escape(string name) =>
        name.IndexOfAny([',', '+', '"', '\\', '<', '>', ';', '=']) < 0 ? name : "\"" + name.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";
}
