using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace ActivityCrm.Tests.Infrastructure;

/// <summary>
/// The real app as a separate process on a real port (Kestrel), for browser tests and for anything that
/// kills, restarts or runs several instances. Started from ActivityCrm.Web's own build output.
/// </summary>
public sealed class AppProcess : IAsyncDisposable
{
    private readonly string _connectionString;
    private readonly IReadOnlyDictionary<string, string> _settings;
    private readonly StringBuilder _output = new();
    private Process? _process;

    private AppProcess(string connectionString, IReadOnlyDictionary<string, string> settings, int port)
    {
        _connectionString = connectionString;
        _settings = settings;
        Port = port;
    }

    public int Port { get; }
    public string BaseUrl => $"http://127.0.0.1:{Port}";
    public string Output { get { lock (_output) return _output.ToString(); } }

    public static async Task<AppProcess> StartAsync(string connectionString, IReadOnlyDictionary<string, string>? settings = null)
    {
        var app = new AppProcess(connectionString, settings ?? new Dictionary<string, string>(), FreePort());
        await app.StartAsync();
        return app;
    }

    public async Task StartAsync()
    {
        var (webDir, dll) = LocateWeb();
        var psi = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = webDir, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        psi.ArgumentList.Add(dll);
        psi.ArgumentList.Add("--urls");
        psi.ArgumentList.Add(BaseUrl);
        psi.Environment["ASPNETCORE_ENVIRONMENT"] = "Development";
        psi.Environment["ConnectionStrings__ActivityCrm"] = _connectionString;
        psi.Environment["Bootstrap__ApiKey"] = AppFactory.ApiKey;
        psi.Environment["Bootstrap__AdminEmail"] = AppFactory.AdminEmail;
        psi.Environment["Bootstrap__AdminPassword"] = AppFactory.AdminPassword;
        psi.Environment["Logging__LogLevel__Default"] = "Warning";
        psi.Environment["Logging__LogLevel__Microsoft.Hosting.Lifetime"] = "Information";
        foreach (var (k, v) in _settings) psi.Environment[k.Replace(":", "__")] = v;
        _process = Process.Start(psi)!;
        _process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (_output) _output.AppendLine(e.Data); };
        _process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_output) _output.AppendLine(e.Data); };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited) throw new InvalidOperationException($"The app exited with {_process.ExitCode}:\n{Output}");
            try
            {
                if ((await http.GetAsync($"{BaseUrl}/healthz")).IsSuccessStatusCode) return;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException) { }
            await Task.Delay(200);
        }
        throw new TimeoutException($"The app did not answer /healthz within 90 s:\n{Output}");
    }

    /// <summary>Graceful stop (SIGTERM), as an orchestrator would do.</summary>
    public async Task StopAsync()
    {
        if (_process is null || _process.HasExited) return;
        Process.Start("kill", ["-TERM", _process.Id.ToString()])!.WaitForExit();
        if (!_process.WaitForExit(20_000)) _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
    }

    /// <summary>Abrupt death (SIGKILL), as in a crash.</summary>
    public async Task KillAsync()
    {
        if (_process is null || _process.HasExited) return;
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _process?.Dispose();
    }

    public static (string WebDir, string Dll) LocateWeb()
    {
        var configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}") ? "Release" : "Debug";
        var webDir = RepoRoot.Combine("ActivityCrm.Web");
        var dll = Path.Combine(webDir, "bin", configuration, "net10.0", "ActivityCrm.Web.dll");
        if (!File.Exists(dll)) throw new InvalidOperationException($"{dll} not found: build the solution first.");
        return (webDir, dll);
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }
}
