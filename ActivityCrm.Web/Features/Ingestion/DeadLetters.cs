using System.Text.Json;
using ActivityCrm.Data.ApiKeys;
using ActivityCrm.Data.Entities;
using Npgsql;
using NpgsqlTypes;

namespace ActivityCrm.Web.Features.Ingestion;

/// <summary>
/// Keeps every authenticated request that could not be stored, raw, in ingestion_failures, so a rejection
/// is visible and replayable instead of lost. When the database cannot take the dead letter either, it goes
/// to the local <see cref="IngestionSpool"/> and reaches the table when the database is back. Recording
/// never fails the response it is part of.
/// </summary>
public sealed class DeadLetters(NpgsqlDataSource dataSource, IngestionSpool spool, TimeProvider clock, ILogger<DeadLetters> log)
{
    /// <summary>A request body kept whole up to this size; beyond it, its beginning (it cannot be replayed anyway).</summary>
    public const int MaxKeptPayload = 1024 * 1024;

    public async Task RecordAsync(Guid? apiKeyId, string? source, string? eventType, string reason,
        IReadOnlyDictionary<string, string[]>? errors, string payload, CancellationToken ct = default)
    {
        var entry = new SpoolEntry
        {
            ReceivedAt = clock.GetUtcNow(), ApiKeyId = apiKeyId, Source = source, EventType = eventType, Reason = reason,
            Errors = errors?.ToDictionary(), Payload = Keepable(payload),
        };
        try
        {
            await InsertAsync(entry, skipIfPendingCopy: true, ct);
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            log.LogWarning("Could not record a rejected ingestion request ({Reason}) in the database ({Message}); keeping it in the local spool", reason, e.Message);
            spool.TryAppend(entry);
        }
    }

    /// <summary>The event was valid but the database was unreachable: it is kept locally until the database returns.</summary>
    public void KeepUntilDatabaseReturns(Guid? apiKeyId, string? source, string? eventType, string payload) =>
        spool.TryAppend(new SpoolEntry
        {
            ReceivedAt = clock.GetUtcNow(), ApiKeyId = apiKeyId, Source = source, EventType = eventType,
            Reason = IngestionFailureReasons.DatabaseUnavailable, Payload = Keepable(payload),
            Errors = new() { ["$"] = ["The database was unreachable; the caller was told to retry (503)."] },
        });

    /// <summary>
    /// The database was down before the key could be checked: keeps the raw request with the key's id and hash
    /// (never the key), so the recovery stores it only if the key turns out to be valid.
    /// </summary>
    public async Task KeepUnverifiedAsync(HttpContext http, KeepDuringOutage what, string? presentedKey)
    {
        if (string.IsNullOrEmpty(presentedKey) || presentedKey.Length > 200) return;
        var request = http.Request;
        if (request.ContentLength > what.MaxBodyBytes) return;
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, http.RequestAborted)) > 0)
        {
            buffer.Write(chunk, 0, read);
            if (buffer.Length > what.MaxBodyBytes) return; // 413 anyway once the database is back
        }
        var raw = System.Text.Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
        spool.TryAppend(new SpoolEntry
        {
            ReceivedAt = clock.GetUtcNow(), KeyId = ApiKeyStore.KeyIdOf(presentedKey), KeyHash = Convert.ToBase64String(ApiKeyStore.Hash(presentedKey)),
            Batch = what.Batch, Reason = IngestionFailureReasons.DatabaseUnavailable, Payload = Keepable(raw),
            Errors = new() { ["$"] = ["The database was unreachable; the caller was told to retry (503)."] },
        });
    }

    /// <summary>
    /// Inserts one dead letter under the entry's id (so inserting it twice is a no-op). With
    /// <paramref name="skipIfPendingCopy"/>, an identical pending payload from the same key for the same reason
    /// within a day is not recorded again: n8n retries a rejected request three times, the admin needs it once.
    /// </summary>
    public async Task InsertAsync(SpoolEntry entry, bool skipIfPendingCopy, CancellationToken ct)
    {
        await using var cmd = dataSource.CreateCommand($"""
            INSERT INTO ingestion_failures (id, received_at, api_key_id, source, event_type, reason, errors, payload, status)
            SELECT @id, @at, @key, @source, @type, @reason, @errors, @payload, 'pending'
            {(skipIfPendingCopy ? """
            WHERE NOT EXISTS (SELECT 1 FROM ingestion_failures f
                              WHERE f.status = 'pending' AND f.reason = @reason AND f.api_key_id IS NOT DISTINCT FROM @key
                                AND f.received_at > @at - interval '1 day' AND f.payload = @payload)
            """ : "")}
            ON CONFLICT (id) DO NOTHING
            """);
        cmd.Parameters.AddWithValue("id", entry.Id);
        cmd.Parameters.AddWithValue("at", entry.ReceivedAt);
        cmd.Parameters.Add(new NpgsqlParameter("key", NpgsqlDbType.Uuid) { Value = (object?)entry.ApiKeyId ?? DBNull.Value });
        cmd.Parameters.AddWithValue("source", (object?)Storable(Clip(entry.Source, 100)) ?? DBNull.Value);
        cmd.Parameters.AddWithValue("type", (object?)Storable(Clip(entry.EventType, 100)) ?? DBNull.Value);
        cmd.Parameters.Add(new NpgsqlParameter("reason", NpgsqlDbType.Varchar) { Value = entry.Reason });
        cmd.Parameters.Add(new NpgsqlParameter("errors", NpgsqlDbType.Jsonb)
            { Value = entry.Errors is null ? DBNull.Value : JsonSerializer.Serialize(entry.Errors.ToDictionary(kv => Storable(kv.Key)!, kv => kv.Value.Select(m => Storable(m)!).ToArray())) });
        cmd.Parameters.Add(new NpgsqlParameter("payload", NpgsqlDbType.Text) { Value = Storable(entry.Payload) });
        await cmd.ExecuteNonQueryAsync(ct);
    }

    private static string Keepable(string payload) => payload.Length > MaxKeptPayload ? payload[..MaxKeptPayload] : payload;

    // PostgreSQL text holds neither NUL nor unpaired surrogates (and jsonb no \u0000): such characters are
    // written as visible escapes / U+FFFD; the payload is kept otherwise exactly as received.
    internal static string? Storable(string? s)
    {
        if (s is null) return null;
        if (!s.Contains('\0') && !ActivityPayloadParser.HasUnpairedSurrogate(s)) return s;
        var sb = new System.Text.StringBuilder(s.Length + 16);
        for (var i = 0; i < s.Length; i++)
        {
            var c = s[i];
            if (c == '\0') sb.Append("\\u0000");
            else if (char.IsHighSurrogate(c) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1])) { sb.Append(c).Append(s[++i]); }
            else sb.Append(char.IsSurrogate(c) ? '\uFFFD' : c);
        }
        return sb.ToString();
    }

    private static string? Clip(string? s, int max) => s is null ? null : s.Length <= max ? s : s[..max];
}

/// <summary>Endpoint metadata: while the database is down, keep the request in the spool (ingestion only).</summary>
public sealed record KeepDuringOutage(int MaxBodyBytes, bool Batch);
