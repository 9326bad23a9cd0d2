using System.Security.Cryptography.X509Certificates;
using Akka.Event;
using Akka.Remote.Transport.DotNetty;

namespace Platform.Actors.Remoting;

/// <summary>
/// The cluster's certificate authority as the only trust anchor of remoting: a peer's certificate is
/// accepted when it chains to this CA's certificate, whatever the machine's trust store says. A
/// certificate from a publicly trusted CA, a self-signed one, or one from another CA that happens to carry
/// the same name is refused. Host names are not checked: a certificate says "member of this cluster",
/// and nodes reach each other by whatever address they are given.
/// </summary>
internal sealed class ClusterCa
{
    private readonly X509Certificate2 _ca;

    public ClusterCa(X509Certificate2 ca)
    {
        _ca = ca;
    }

    public X509Certificate2 Certificate => _ca;

    /// <summary>Loads the CA certificate from a PEM or DER file.</summary>
    public static ClusterCa Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"The cluster CA certificate '{path}' does not exist", path);
        return new ClusterCa(X509CertificateLoader.LoadCertificateFromFile(path));
    }

    /// <summary>Whether <paramref name="certificate"/> was issued by this CA and is valid now; if not, why.</summary>
    public bool Issued(X509Certificate2 certificate, out string reason)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(_ca);
        // The cluster CA publishes no revocation lists; a compromised node's key is handled by a new CA.
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.VerificationFlags = X509VerificationFlags.NoFlag;
        if (!chain.Build(certificate))
        {
            var status = chain.ChainStatus.Select(s => s.Status.ToString()).Distinct();
            reason = $"its chain does not end at the cluster CA ({string.Join(", ", status)})";
            return false;
        }
        // CustomRootTrust already trusts nothing else; comparing the root's bytes keeps that true even if
        // the policy above is ever loosened.
        var root = chain.ChainElements[^1].Certificate;
        if (!root.RawDataMemory.Span.SequenceEqual(_ca.RawDataMemory.Span))
        {
            reason = $"its chain ends at {root.Subject}, not at the cluster CA";
            return false;
        }
        reason = "";
        return true;
    }

    /// <summary>
    /// The validator DotNetty runs on both ends of every remoting connection (DotNettySslSetup). The TLS
    /// layer's own verdict (<c>errors</c>, built against the system trust store) is replaced by
    /// <see cref="Issued"/>, so a missing certificate or one from another issuer ends the handshake.
    /// </summary>
    public bool Validate(X509Certificate2? certificate, X509Chain? chain, string remotePeer, System.Net.Security.SslPolicyErrors errors, ILoggingAdapter log)
    {
        if (certificate is null)
        {
            log.Warning("Refused the TLS handshake with {RemotePeer}: it presented no certificate", remotePeer);
            return false;
        }
        if (Issued(certificate, out var reason)) return true;
        log.Warning("Refused the TLS handshake with {RemotePeer}: its certificate {Subject} (thumbprint {Thumbprint}) is not accepted, {Reason}",
            remotePeer, certificate.Subject, certificate.Thumbprint, reason);
        return false;
    }

    /// <summary><see cref="Validate"/> as the delegate DotNettySslSetup takes.</summary>
    public CertificateValidationCallback Validator => Validate;
}
