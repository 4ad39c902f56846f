using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Npgsql;

namespace ActivityCrm.Data.Postgres;

/// <summary>
/// A private PostgreSQL cluster started from the machine's server binaries (initdb/pg_ctl): the app's
/// zero-configuration default database, the test suite's throwaway server and the benchmark's server.
/// PostgreSQL refuses to run as root, so as root every server command runs as the `postgres` OS user.
/// </summary>
public sealed class EmbeddedPostgres : IAsyncDisposable
{
    public const string SuperUser = "activitycrm";
    private readonly string _bin;
    private readonly string _pgData;
    private readonly bool _asPostgresUser;
    private bool _stopped;

    private EmbeddedPostgres(string bin, string dataDirectory, bool asPostgresUser, int port, string password)
    {
        _bin = bin;
        DataDirectory = dataDirectory;
        _pgData = Path.Combine(dataDirectory, "pgdata");
        _asPostgresUser = asPostgresUser;
        Port = port;
        Password = password;
    }

    public string DataDirectory { get; }
    public int Port { get; }
    public string Password { get; }

    public string ConnectionString(string database) => new NpgsqlConnectionStringBuilder
    {
        Host = "127.0.0.1", Port = Port, Username = SuperUser, Password = Password, Database = database,
    }.ConnectionString;

    /// <summary>Finds initdb/pg_ctl: ACTIVITYCRM_PG_BIN, then the newest /usr/lib/postgresql/*/bin, then PATH.</summary>
    public static string? FindBinDirectory()
    {
        var candidates = new List<string>();
        if (Environment.GetEnvironmentVariable("ACTIVITYCRM_PG_BIN") is { Length: > 0 } fromEnv) candidates.Add(fromEnv);
        if (Directory.Exists("/usr/lib/postgresql"))
            candidates.AddRange(Directory.GetDirectories("/usr/lib/postgresql")
                .OrderByDescending(d => int.TryParse(Path.GetFileName(d), out var v) ? v : 0)
                .Select(d => Path.Combine(d, "bin")));
        candidates.AddRange((Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries));
        return candidates.FirstOrDefault(d => File.Exists(Path.Combine(d, "pg_ctl")) && File.Exists(Path.Combine(d, "initdb")));
    }

    public const string MissingBinariesMessage =
        "No PostgreSQL server binaries were found (looked in $ACTIVITYCRM_PG_BIN, /usr/lib/postgresql/*/bin and PATH): " +
        "install PostgreSQL (e.g. `apt-get install postgresql`) or set ConnectionStrings:ActivityCrm to an existing server.";

    /// <summary>Starts (initialising on first use) the cluster in <paramref name="dataDirectory"/>, or reuses it if already running.</summary>
    /// <param name="serverOptions">Extra `postgres -c` settings, e.g. fsync=off for throwaway test clusters.</param>
    /// <summary>Where clusters go when root runs the app from a folder the postgres user cannot reach.</summary>
    public const string RootFallbackDirectory = "/var/lib/activitycrm";

    public static async Task<EmbeddedPostgres> StartAsync(string dataDirectory, IReadOnlyDictionary<string, string>? serverOptions = null,
        CancellationToken ct = default)
    {
        var bin = FindBinDirectory() ?? throw new EmbeddedPostgresException(MissingBinariesMessage);
        dataDirectory = Path.GetFullPath(dataDirectory);
        var asPostgres = Environment.UserName == "root" || geteuid() == 0;
        Directory.CreateDirectory(dataDirectory);
        if (asPostgres && (await TryRunAsync("test", ["-x", Path.GetDirectoryName(dataDirectory) ?? "/"], asPostgres: true, ct)).Code != 0)
        {
            // Root's checkout under a private folder (/root, a mktemp dir): the postgres user cannot reach it, so the
            // cluster lives in a folder of its own instead, one per configured path, found again on the next start.
            var relocated = Path.Combine(RootFallbackDirectory,
                Convert.ToHexString(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(dataDirectory)))[..12].ToLowerInvariant());
            Console.Error.WriteLine($"The postgres user cannot reach {dataDirectory} (a parent folder is private to root); " +
                                    $"the embedded database is kept in {relocated} instead.");
            dataDirectory = relocated;
            Directory.CreateDirectory(dataDirectory);
        }
        var passwordFile = Path.Combine(dataDirectory, "superuser.password");
        var portFile = Path.Combine(dataDirectory, "port");
        var pgData = Path.Combine(dataDirectory, "pgdata");

        if (!File.Exists(Path.Combine(pgData, "PG_VERSION")))
        {
            if (Directory.Exists(pgData)) Directory.Delete(pgData, recursive: true);
            var password = Convert.ToHexString(RandomNumberGenerator.GetBytes(24)).ToLowerInvariant();
            await File.WriteAllTextAsync(passwordFile, password, ct);
            if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(passwordFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            var pwForInitdb = Path.Combine(dataDirectory, ".initdb-pw");
            await File.WriteAllTextAsync(pwForInitdb, password, ct);
            if (asPostgres) await RunAsync("chown", ["-R", "postgres:postgres", dataDirectory], null, ct);
            await RunAsync(Path.Combine(bin, "initdb"),
                ["-D", pgData, "-U", SuperUser, "--auth=scram-sha-256", $"--pwfile={pwForInitdb}", "-E", "UTF8", "--locale=C.UTF-8", "--no-instructions"],
                asPostgres, ct);
            File.Delete(pwForInitdb);
        }

        var pw = (await File.ReadAllTextAsync(passwordFile, ct)).Trim();
        var pg = new EmbeddedPostgres(bin, dataDirectory, asPostgres,
            File.Exists(portFile) && int.TryParse(await File.ReadAllTextAsync(portFile, ct), out var saved) ? saved : FreePort(), pw);

        if (!await pg.IsRunningAsync(ct))
        {
            var port = pg.Port;
            if (!PortIsFree(port)) port = FreePort();
            await File.WriteAllTextAsync(portFile, port.ToString(), ct);
            pg = new EmbeddedPostgres(bin, dataDirectory, asPostgres, port, pw);
            var opts = new List<string> { $"-p {port}", "-h 127.0.0.1", $"-k {pgData}" };
            foreach (var (k, v) in serverOptions ?? new Dictionary<string, string>()) opts.Add($"-c {k}={v}");
            if (asPostgres) await RunAsync("chown", ["-R", "postgres:postgres", dataDirectory], null, ct);
            await RunAsync(Path.Combine(bin, "pg_ctl"),
                ["start", "-D", pgData, "-w", "-t", "120", "-l", Path.Combine(dataDirectory, "postgres.log"), "-o", string.Join(' ', opts)],
                asPostgres, ct);
        }
        return pg;
    }

    /// <summary>Creates the database if it does not exist yet.</summary>
    public async Task EnsureDatabaseAsync(string database, CancellationToken ct = default)
    {
        await using var conn = new NpgsqlConnection(ConnectionString("postgres") + ";Pooling=false");
        await conn.OpenAsync(ct);
        await using var exists = new NpgsqlCommand("SELECT 1 FROM pg_database WHERE datname = @n", conn);
        exists.Parameters.AddWithValue("n", database);
        if (await exists.ExecuteScalarAsync(ct) is null)
        {
            await using var create = new NpgsqlCommand($"CREATE DATABASE \"{database.Replace("\"", "\"\"")}\"", conn);
            await create.ExecuteNonQueryAsync(ct);
        }
    }

    public async Task<bool> IsRunningAsync(CancellationToken ct = default)
    {
        if (!File.Exists(Path.Combine(_pgData, "postmaster.pid"))) return false;
        var (code, _) = await TryRunAsync(Path.Combine(_bin, "pg_ctl"), ["status", "-D", _pgData], _asPostgresUser, ct);
        return code == 0;
    }

    public async Task StopAsync()
    {
        if (_stopped) return;
        _stopped = true;
        await TryRunAsync(Path.Combine(_bin, "pg_ctl"), ["stop", "-D", _pgData, "-m", "fast", "-w", "-t", "60"], _asPostgresUser, default);
    }

    /// <summary>Kills the server abruptly (fault tests); <see cref="StartAsync"/> on the same folder recovers it.</summary>
    public Task StopImmediateAsync() =>
        TryRunAsync(Path.Combine(_bin, "pg_ctl"), ["stop", "-D", _pgData, "-m", "immediate", "-w", "-t", "60"], _asPostgresUser, default);

    public ValueTask DisposeAsync() => new(StopAsync());

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    private static bool PortIsFree(int port)
    {
        try
        {
            using var l = new TcpListener(IPAddress.Loopback, port);
            l.Start();
            return true;
        }
        catch (SocketException) { return false; }
    }

    private static async Task RunAsync(string file, IReadOnlyList<string> args, bool? asPostgres, CancellationToken ct)
    {
        var (code, output) = await TryRunAsync(file, args, asPostgres ?? false, ct);
        if (code != 0)
            throw new EmbeddedPostgresException($"`{Path.GetFileName(file)} {string.Join(' ', args)}` failed with exit code {code}: {output.Trim()}");
    }

    private static async Task<(int Code, string Output)> TryRunAsync(string file, IReadOnlyList<string> args, bool asPostgres, CancellationToken ct)
    {
        var psi = new ProcessStartInfo
        {
            FileName = asPostgres ? "runuser" : file,
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
            // The server is a daemon: it must not inherit our stdout (a test runner waits for it to close).
            RedirectStandardInput = true,
        };
        if (asPostgres) { psi.ArgumentList.Add("-u"); psi.ArgumentList.Add("postgres"); psi.ArgumentList.Add("--"); psi.ArgumentList.Add(file); }
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi) ?? throw new EmbeddedPostgresException($"could not start {file}");
        var stdout = p.StandardOutput.ReadToEndAsync(ct);
        var stderr = p.StandardError.ReadToEndAsync(ct);
        await p.WaitForExitAsync(ct);
        return (p.ExitCode, await stdout + await stderr);
    }

    [System.Runtime.InteropServices.DllImport("libc", SetLastError = true)]
    private static extern uint geteuid();
}

public sealed class EmbeddedPostgresException(string message) : Exception(message);
