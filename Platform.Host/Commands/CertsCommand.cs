using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.RegularExpressions;
using Platform.Actors.Remoting;

namespace Platform.Host.Commands;

/// <summary>
/// <c>platform certs create --out DIR [--nodes n1,n2,...]</c>: the cluster's own CA and a certificate per
/// node for mutual TLS between nodes. Run again on the same DIR to add nodes under the same CA.
/// </summary>
internal static partial class CertsCommand
{
    public const string CaCertificateFile = "ca.crt";
    public const string CaKeyFile = "ca.p12";
    public const string PasswordFile = "password";

    public static Task<int> RunAsync(string[] args)
    {
        var line = new CommandLine(args, new HashSet<string>());
        if (line.Positionals is not ["create"]) throw new UsageException("certs takes one subcommand: create");
        var dir = line.Required("out", "the directory to write the CA and node certificates to");
        var nodes = (line.Option("nodes") ?? "node").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var days = line.Int("days", 1) ?? 825;
        var caName = line.Option("ca-name") ?? "Platform cluster CA";
        var givenPassword = line.Option("password") ?? Environment.GetEnvironmentVariable("PLATFORM_TLS_CERT_PASSWORD");
        line.RejectUnknown();
        if (nodes.Length == 0) throw new UsageException("--nodes needs at least one node name");
        foreach (var node in nodes)
        {
            if (!NodeName().IsMatch(node)) throw new UsageException($"'{node}' is not a node name (a host name or IP address: letters, digits, '.', '-', '_')");
            if (File.Exists(Path.Combine(dir, node + ".p12"))) throw new UsageException($"{Path.Combine(dir, node + ".p12")} exists already; remove it to make a new one");
        }
        if (nodes.Distinct(StringComparer.OrdinalIgnoreCase).Count() != nodes.Length) throw new UsageException("--nodes names a node twice");
        Directory.CreateDirectory(dir);

        var passwordPath = Path.Combine(dir, PasswordFile);
        var password = givenPassword
            ?? (File.Exists(passwordPath) ? File.ReadAllText(passwordPath).Trim() : null)
            ?? Convert.ToBase64String(RandomNumberGenerator.GetBytes(18));
        if (givenPassword is null && !File.Exists(passwordPath)) WritePrivate(passwordPath, System.Text.Encoding.UTF8.GetBytes(password + "\n"));

        var caPath = Path.Combine(dir, CaKeyFile);
        X509Certificate2 ca;
        if (File.Exists(caPath))
        {
            ca = ClusterCertificates.LoadPkcs12(caPath, password);
            Console.Error.WriteLine($"Using the CA in {caPath} ({ca.Subject}).");
        }
        else
        {
            ca = ClusterCertificates.CreateCa(caName, TimeSpan.FromDays(3650));
            WritePrivate(caPath, ClusterCertificates.ExportPkcs12(ca, password));
            File.WriteAllText(Path.Combine(dir, CaCertificateFile), ClusterCertificates.ExportPem(ca));
            Console.Error.WriteLine($"Created the CA {ca.Subject}: {Path.Combine(dir, CaCertificateFile)} (give it to every node as --tls-ca), its key in {caPath} (keep it off the nodes).");
        }
        foreach (var node in nodes)
        {
            using var certificate = ClusterCertificates.CreateNode(ca, node, TimeSpan.FromDays(days));
            var path = Path.Combine(dir, node + ".p12");
            WritePrivate(path, ClusterCertificates.ExportPkcs12(certificate, password));
            Console.Error.WriteLine($"Created {path}: {certificate.Subject}, valid until {certificate.NotAfter.ToUniversalTime():yyyy-MM-dd}.");
        }
        if (givenPassword is null) Console.Error.WriteLine($"The PKCS#12 files' password is in {passwordPath} (pass it as --tls-cert-password or PLATFORM_TLS_CERT_PASSWORD).");
        return Task.FromResult(0);
    }

    /// <summary>Keys and passwords are readable by their owner only.</summary>
    private static void WritePrivate(string path, byte[] content)
    {
        if (OperatingSystem.IsWindows())
        {
            File.WriteAllBytes(path, content);
            return;
        }
        using var stream = new FileStream(path, new FileStreamOptions
        {
            Mode = FileMode.Create,
            Access = FileAccess.Write,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        });
        stream.Write(content);
    }

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]*$")]
    private static partial Regex NodeName();
}
