using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;

namespace ActivityCrm.Bench;

/// <summary>The real app as its own process (Release build), as a deployment runs it.</summary>
public sealed partial class AppUnderTest : IAsyncDisposable
{
    public const string ApiKey = "acrm_benchbench0001_bench-key-0000000000000000";
    public const string AdminEmail = "bench@activitycrm.local";
    public const string AdminPassword = "Bench-Password-2026";

    private Process _process = null!;
    public int Port { get; private init; }
    public string ConnectionString { get; private init; } = "";
    public string BaseUrl => $"http://127.0.0.1:{Port}";
    public int Pid => _process.Id;

    public static async Task<AppUnderTest> StartAsync(string connectionString)
    {
        var port = FreePort();
        var webDir = await PublishAsync();
        var dll = Path.Combine(webDir, "ActivityCrm.Web.dll");
        var psi = new ProcessStartInfo("dotnet") { WorkingDirectory = webDir, RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(dll);
        psi.ArgumentList.Add("--urls");
        psi.ArgumentList.Add($"http://127.0.0.1:{port}");
        psi.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        psi.Environment["ConnectionStrings__ActivityCrm"] = connectionString;
        psi.Environment["Bootstrap__ApiKey"] = ApiKey;
        psi.Environment["Bootstrap__AdminEmail"] = AdminEmail;
        psi.Environment["Bootstrap__AdminPassword"] = AdminPassword;
        psi.Environment["Logging__LogLevel__Default"] = "Warning";
        psi.Environment["RateLimiting__PermitsPerSecond"] = "1000000";
        psi.Environment["RateLimiting__Enabled"] = "false";
        // The benchmark builds the analytics rollups itself (and times it); the app must not race it.
        psi.Environment["Analytics__Enabled"] = "false";
        psi.Environment["Security__SecureCookies"] = "false"; // Production over plain HTTP on loopback: cookies must reach HttpClient
        var app = new AppUnderTest { Port = port, ConnectionString = connectionString };
        app._process = Process.Start(psi)!;
        app._process.OutputDataReceived += (_, _) => { };
        app._process.ErrorDataReceived += (_, e) => { if (e.Data is not null) Console.Error.WriteLine("  app: " + e.Data); };
        app._process.BeginOutputReadLine();
        app._process.BeginErrorReadLine();
        using var http = new HttpClient();
        for (var i = 0; i < 600; i++)
        {
            try { if ((await http.GetAsync($"{app.BaseUrl}/readyz")).IsSuccessStatusCode) return app; } catch (HttpRequestException) { }
            if (app._process.HasExited) throw new InvalidOperationException("The app exited during start-up.");
            await Task.Delay(200);
        }
        throw new TimeoutException("The app did not become ready.");
    }

    private static readonly SemaphoreSlim PublishGate = new(1, 1);
    private static string? _published;

    /// <summary>The app as deployed: `dotnet publish -c Release` output (Production serves static assets from it).</summary>
    private static async Task<string> PublishAsync()
    {
        await PublishGate.WaitAsync();
        try
        {
            if (_published is not null) return _published;
            var root = FindRoot();
            var output = Path.Combine(root, "artifacts", "bench-app");
            Console.WriteLine($"  publishing the app to {output} ...");
            using var p = Process.Start(new ProcessStartInfo("dotnet", ["publish", Path.Combine(root, "ActivityCrm.Web"), "-c", "Release", "-o", output, "-nologo", "-v", "q"])
                { RedirectStandardOutput = true })!;
            var log = await p.StandardOutput.ReadToEndAsync();
            await p.WaitForExitAsync();
            if (p.ExitCode != 0) throw new InvalidOperationException("dotnet publish failed:\n" + log);
            return _published = output;
        }
        finally { PublishGate.Release(); }
    }

    /// <summary>An HttpClient signed in through the real sign-in form (cookie), for the staff APIs.</summary>
    public async Task<HttpClient> SignedInClientAsync()
    {
        var handler = new HttpClientHandler { CookieContainer = new CookieContainer(), AllowAutoRedirect = false };
        var client = new HttpClient(handler) { BaseAddress = new Uri(BaseUrl), Timeout = TimeSpan.FromMinutes(10) };
        var form = await client.GetStringAsync("/account/login");
        var token = AntiforgeryToken().Match(form).Groups[1].Value;
        var response = await client.PostAsync("/account/login", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["email"] = AdminEmail, ["password"] = AdminPassword, ["returnUrl"] = "/", ["__RequestVerificationToken"] = token,
        }));
        if (response.StatusCode != HttpStatusCode.Redirect || response.Headers.Location?.ToString().Contains("error") == true)
            throw new InvalidOperationException($"Sign-in failed: {response.StatusCode} {response.Headers.Location} " +
                $"(antiforgery token {(token.Length > 0 ? "found" : "NOT found")}): {await response.Content.ReadAsStringAsync()}");
        return client;
    }

    /// <summary>Resident and peak memory of the app process, in MiB (from /proc).</summary>
    public (double RssMiB, double PeakMiB) Memory()
    {
        var status = File.ReadAllLines($"/proc/{_process.Id}/status");
        double Kb(string key) => double.Parse(status.First(l => l.StartsWith(key)).Split(':')[1].Trim().Split(' ')[0]) / 1024;
        return (Kb("VmRSS"), Kb("VmHWM"));
    }

    public async ValueTask DisposeAsync()
    {
        if (_process.HasExited) return;
        Process.Start("kill", ["-TERM", _process.Id.ToString()])!.WaitForExit();
        if (!_process.WaitForExit(20_000)) _process.Kill(true);
        await Task.CompletedTask;
    }

    public static string FindRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "ActivityCrm.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("ActivityCrm.sln not found");
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    // The hidden input of the sign-in form, whatever the order of its attributes.
    [GeneratedRegex("<input(?=[^>]*name=\"__RequestVerificationToken\")[^>]*value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryToken();
}
