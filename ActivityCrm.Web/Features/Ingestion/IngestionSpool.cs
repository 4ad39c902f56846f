using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Npgsql;

namespace ActivityCrm.Web.Features.Ingestion;

/// <summary>A dead letter that could not reach the database, as kept in the local spool.</summary>
public sealed record SpoolEntry
{
    public Guid Id { get; init; } = Guid.CreateVersion7();
    public DateTimeOffset ReceivedAt { get; init; }
    public Guid? ApiKeyId { get; init; }
    /// <summary>When the key itself could not be checked (database down): its id and SHA-256, never the secret.</summary>
    public string? KeyId { get; init; }
    public string? KeyHash { get; init; }
    /// <summary>The payload is a whole batch body, split into items when it is flushed.</summary>
    public bool Batch { get; init; }
    public string? Source { get; init; }
    public string? EventType { get; init; }
    public string Reason { get; init; } = "";
    public Dictionary<string, string[]>? Errors { get; init; }
    public string Payload { get; init; } = "";
}

/// <summary>
/// The dead-letter store's fallback when PostgreSQL is unreachable: JSON lines in a bounded folder under the
/// data directory, one file per app instance, fsynced per entry. <see cref="SpoolRecovery"/> moves the entries
/// into ingestion_failures when the database is back. Each instance holds its open file with an exclusive
/// lock, so another instance only ever takes over files whose writer has closed them or died.
/// </summary>
public sealed class IngestionSpool : IDisposable
{
    public const long DefaultMaxBytes = 256L * 1024 * 1024;
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly Lock _gate = new();
    private readonly ILogger<IngestionSpool> _log;
    private readonly long _maxBytes;
    private readonly string _instance = $"{Environment.ProcessId}-{Guid.NewGuid():N}";
    private FileStream? _current;
    private int _sequence;

    public IngestionSpool(IConfiguration config, IHostEnvironment env, NpgsqlDataSource dataSource, ILogger<IngestionSpool> log)
    {
        _log = log;
        _maxBytes = config.GetValue("Ingestion:SpoolMaxBytes", DefaultMaxBytes);
        var root = config["Ingestion:SpoolDirectory"] is { Length: > 0 } configured
            ? Path.GetFullPath(configured, env.ContentRootPath)
            : Path.Combine(config["Database:DataDirectory"] is { Length: > 0 } data ? Path.GetFullPath(data, env.ContentRootPath)
                : Path.Combine(env.ContentRootPath, ".data"), "spool");
        // One folder per database, so instances (and test runs) on other databases never flush into this one.
        var csb = new NpgsqlConnectionStringBuilder(dataSource.ConnectionString);
        var database = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes($"{csb.Host}:{csb.Port}/{csb.Database}")))[..16].ToLowerInvariant();
        Directory = Path.Combine(root, database);
    }

    public string Directory { get; }

    /// <summary>Spooled files not yet moved into the database (the health page can show this).</summary>
    public int PendingFiles => System.IO.Directory.Exists(Directory) ? System.IO.Directory.GetFiles(Directory, "*.jsonl").Length : 0;

    /// <summary>Appends and fsyncs one entry; false when the spool is full or the disk refuses (then only the log has it).</summary>
    public bool TryAppend(SpoolEntry entry)
    {
        var line = JsonSerializer.SerializeToUtf8Bytes(entry, Json);
        lock (_gate)
        {
            try
            {
                System.IO.Directory.CreateDirectory(Directory);
                var used = new DirectoryInfo(Directory).EnumerateFiles("*.jsonl").Sum(f => f.Length);
                if (used + line.Length + 1 > _maxBytes)
                {
                    _log.LogCritical("The ingestion spool {Directory} is full ({Used:N0} bytes); a {Reason} dead letter for {Source} was not kept",
                        Directory, used, entry.Reason, entry.Source);
                    return false;
                }
                _current ??= new FileStream(Path.Combine(Directory, $"{_instance}-{++_sequence:D4}.jsonl"), FileMode.Append, FileAccess.Write, FileShare.None);
                _current.Write(line);
                _current.WriteByte((byte)'\n');
                _current.Flush(flushToDisk: true);
                return true;
            }
            catch (IOException e)
            {
                _log.LogCritical(e, "Could not write to the ingestion spool {Directory}; a {Reason} dead letter for {Source} was not kept", Directory, entry.Reason, entry.Source);
                return false;
            }
        }
    }

    /// <summary>
    /// Takes every spooled file that no live writer holds (this instance's own current file is closed first),
    /// hands its entries to <paramref name="handle"/> and deletes it once all were handled. A file whose
    /// handling fails stays for the next attempt; handlers must be idempotent (entries have stable ids).
    /// </summary>
    public async Task<int> DrainAsync(Func<SpoolEntry, Task> handle, CancellationToken ct)
    {
        if (!System.IO.Directory.Exists(Directory)) return 0;
        lock (_gate)
        {
            _current?.Dispose();
            _current = null;
        }
        var handled = 0;
        foreach (var file in System.IO.Directory.GetFiles(Directory, "*.jsonl").Order())
        {
            FileStream stream;
            try
            {
                stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.None);
            }
            catch (FileNotFoundException) { continue; }
            catch (IOException) { continue; } // another live instance is writing it
            await using (stream)
            {
                using var reader = new StreamReader(stream, Encoding.UTF8);
                while (await reader.ReadLineAsync(ct) is { } line)
                {
                    if (line.Length == 0) continue;
                    SpoolEntry? entry;
                    try { entry = JsonSerializer.Deserialize<SpoolEntry>(line, Json); }
                    catch (JsonException e)
                    {
                        // Only the last line of a file whose writer was killed mid-write can be cut short.
                        _log.LogError(e, "Skipping an unreadable line in the ingestion spool file {File}", file);
                        continue;
                    }
                    if (entry is null) continue;
                    await handle(entry);
                    handled++;
                }
                File.Delete(file);
            }
        }
        return handled;
    }

    /// <summary>
    /// Sets aside an entry the database keeps refusing (not because it is down), so it does not block the rest:
    /// it stays on disk under failed/, with the error, for someone to look at. Nothing is deleted.
    /// </summary>
    public void Quarantine(SpoolEntry entry, Exception error)
    {
        var dir = Path.Combine(Directory, "failed");
        System.IO.Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, $"{entry.Id:N}.json"),
            JsonSerializer.Serialize(new { entry, error = error.ToString() }, new JsonSerializerOptions(Json) { WriteIndented = true }));
        _log.LogCritical(error, "A request kept during an outage could not be moved into the database; it is kept in {Directory}", dir);
    }

    public void Dispose()
    {
        lock (_gate) _current?.Dispose();
    }
}
