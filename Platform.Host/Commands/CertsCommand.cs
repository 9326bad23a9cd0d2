using System.CommandLine;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.RegularExpressions;
using Platform.Actors.Remoting;
using Platform.Host.Cli;

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

    public static Command Create()
    {
        var outOption = CliOptions.Text("--out", "The directory to write the CA and node certificates to", "DIR");
        outOption.Required = true;
        var nodesOption = CliOptions.Text("--nodes", "The nodes' names (host names or IP addresses), one certificate each", "N1,N2,...", "node");
        var daysOption = CliOptions.Number<int>("--days", "How long the node certificates are valid", min: 1, defaultValue: 825, helpName: "D");
        var caNameOption = CliOptions.Text("--ca-name", "The CA's common name", "NAME", "Platform cluster CA");
        var passwordOption = CliOptions.Text("--password", "The PKCS#12 files' password (default: PLATFORM_TLS_CERT_PASSWORD, or made up and written to DIR/password)", "PW");
        var create = new Command("create", "A CA for the cluster (DIR/ca.crt, its key in DIR/ca.p12) and a PKCS#12 certificate per node (DIR/N1.p12, ...). " +
                                           "Again on the same DIR adds nodes under the same CA.")
            .With(outOption, nodesOption, daysOption, caNameOption, passwordOption);
        create.SetAction(parse => Run(parse.GetValue(outOption)!, parse.GetValue(nodesOption)!, parse.GetValue(daysOption)!.Value,
            parse.GetValue(caNameOption)!, parse.GetValue(passwordOption) ?? Environment.GetEnvironmentVariable("PLATFORM_TLS_CERT_PASSWORD")));
        return new Command("certs", "Certificates for mutual TLS between the cluster's nodes.").With(create);
    }

    private static int Run(string dir, string nodeList, int days, string caName, string? givenPassword)
    {
        var nodes = nodeList.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
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
        return 0;
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
