using System.Text.Json;
using ActivityCrm.Data.ApiKeys;
using Npgsql;

namespace ActivityCrm.Web.Features.Ingestion;

/// <summary>Keeps every authenticated request that could not be stored, raw, in ingestion_failures, so a
/// rejection is visible and replayable instead of lost. Never fails the response it is part of.</summary>
public sealed class DeadLetters(NpgsqlDataSource dataSource, ILogger<DeadLetters> log)
{
    public async Task RecordAsync(ApiKeyIdentity? key, string? source, string? eventType, string reason,
        IReadOnlyDictionary<string, string[]>? errors, string payload, CancellationToken ct = default)
    {
        try
        {
            await using var cmd = dataSource.CreateCommand("""
                INSERT INTO ingestion_failures (api_key_id, source, event_type, reason, errors, payload, status)
                VALUES (@key, @source, @type, @reason, @errors, @payload, 'pending')
                """);
            cmd.Parameters.AddWithValue("key", (object?)key?.Id ?? DBNull.Value);
            cmd.Parameters.AddWithValue("source", (object?)Clip(source, 100) ?? DBNull.Value);
            cmd.Parameters.AddWithValue("type", (object?)Clip(eventType, 100) ?? DBNull.Value);
            cmd.Parameters.AddWithValue("reason", reason);
            cmd.Parameters.Add(new NpgsqlParameter("errors", NpgsqlTypes.NpgsqlDbType.Jsonb)
                { Value = errors is null ? DBNull.Value : JsonSerializer.Serialize(errors) });
            // PostgreSQL text cannot hold NUL; the payload is kept otherwise exactly as received.
            cmd.Parameters.AddWithValue("payload", payload.Replace("\0", "\\u0000"));
            await cmd.ExecuteNonQueryAsync(ct);
        }
        catch (Exception e)
        {
            log.LogError(e, "Could not record a rejected ingestion request ({Reason}) from key {KeyId}", reason, key?.Id);
        }
    }

    private static string? Clip(string? s, int max) => s is null ? null : s.Length <= max ? s : s[..max];
}
