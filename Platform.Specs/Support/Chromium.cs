using OpenQA.Selenium;
using OpenQA.Selenium.Chrome;

namespace Platform.Specs.Support;

/// <summary>
/// Debian's headless Chromium driven through Debian's chromedriver (Selenium WebDriver), for the web console's
/// browser specs. .ci/run installs both packages; on a machine without them the specs skip saying so, rather
/// than pass without a browser or download one (Selenium Manager is kept out by naming the driver's path).
/// </summary>
public static class Chromium
{
    public const string Browser = "/usr/bin/chromium";
    public const string Driver = "/usr/bin/chromedriver";

    public static bool Installed => File.Exists(Browser) && File.Exists(Driver);

    public const string Missing = "Chromium is not installed (apt-get install chromium chromium-driver; .ci/run does this)";

    public static ChromeDriver Start()
    {
        var service = ChromeDriverService.CreateDefaultService(Path.GetDirectoryName(Driver)!, Path.GetFileName(Driver));
        service.HideCommandPromptWindow = true;
        service.SuppressInitialDiagnosticInformation = true;
        var options = new ChromeOptions { BinaryLocation = Browser };
        // --no-sandbox: CI runs as root, where Chromium's sandbox refuses to start.
        options.AddArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1400,1000");
        var driver = new ChromeDriver(service, options, TimeSpan.FromSeconds(60));
        driver.Manage().Timeouts().PageLoad = TimeSpan.FromSeconds(30);
        return driver;
    }

    /// <summary>
    /// Where specs keep screenshots: artifacts/ at the repository's root (next to Platform.sln), ignored by git and
    /// kept by CI; the spec's own output folder when run from elsewhere.
    /// </summary>
    public static string ArtifactPath(string name)
    {
        var folder = Path.Combine(Repository.TryRoot() ?? AppContext.BaseDirectory, "artifacts", "console");
        Directory.CreateDirectory(folder);
        return Path.Combine(folder, name);
    }

    public static void Screenshot(IWebDriver driver, string name) => ((ITakesScreenshot)driver).GetScreenshot().SaveAsFile(ArtifactPath(name));
}

/// <summary>A fact that needs Chromium: skipped, with the reason, where it is not installed.</summary>
public sealed class ChromiumFactAttribute : FactAttribute
{
    public ChromiumFactAttribute()
    {
        if (!Chromium.Installed) Skip = Chromium.Missing;
    }
}
