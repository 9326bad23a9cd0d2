using Akka.Configuration;

namespace Platform.Actors.Configuration;

/// <summary>
/// The <c>platform.tls</c> settings: the node's certificate and the cluster's CA for mutual TLS between
/// cluster members (Akka.Remote over DotNetty). Read once per node.
/// </summary>
/// <param name="CertificatePath">PKCS#12 file with the node's certificate and private key; empty means no TLS.</param>
/// <param name="CertificatePassword">The PKCS#12 file's password (empty for none).</param>
/// <param name="CaPath">The cluster CA's certificate (PEM or DER): the one issuer whose certificates peers may present.</param>
/// <param name="Require">Refuse to start a node with seeds (a cluster of several) when TLS is not configured.</param>
internal sealed record TlsSettings(string CertificatePath, string CertificatePassword, string CaPath, bool Require)
{
    /// <summary>Whether remoting runs over mutual TLS.</summary>
    public bool Enabled => CertificatePath.Length > 0;

    public static TlsSettings Create(Config config)
    {
        var tls = SettingsSection.Of(config, "platform.tls");
        var settings = new TlsSettings(tls.String("certificate"), tls.String("certificate-password"), tls.String("ca"), tls.Bool("require"));
        // Half a configuration is a mistake, not a reason to fall back to trusting everyone or no one.
        if (settings.Enabled && settings.CaPath.Length == 0)
            throw new ConfigurationException("platform.tls.certificate is set but platform.tls.ca is not: give the cluster CA's certificate (--tls-ca or PLATFORM_TLS_CA) so that only certificates it issued are accepted");
        if (!settings.Enabled && settings.CaPath.Length > 0)
            throw new ConfigurationException("platform.tls.ca is set but platform.tls.certificate is not: give this node's PKCS#12 certificate (--tls-cert or PLATFORM_TLS_CERT)");
        return settings;
    }
}
