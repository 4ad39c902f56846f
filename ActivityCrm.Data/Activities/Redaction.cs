using System.Text.Json;
using ActivityCrm.Data.Entities;
using Npgsql;

namespace ActivityCrm.Data.Activities;

public enum RedactionStatus { Redacted, NotFound, AlreadyRedacted, Invalid }

public sealed record RedactionResult(RedactionStatus Status, Guid? RedactionEventId = null, DateTimeOffset? RedactedAt = null,
    IReadOnlyDictionary<string, string[]>? Errors = null);

/// <summary>
/// Redacts one event: its description becomes "[redacted]", its message content goes, the chosen metadata
/// keys become "[redacted]"; type, time, lead, ids and the content hash stay (the append-only trigger allows
/// exactly this and nothing else). In the same transaction a LEAD_REDACTED event says who, when and why.
/// </summary>
public sealed class Redaction(NpgsqlDataSource dataSource, ActivityWriter writer, TimeProvider clock)
{
    public const string Placeholder = "[redacted]";
    public const string Source = "ui:redact";
    public const int MaxReasonLength = 500;

    public async Task<RedactionResult> RedactAsync(Guid eventId, string? reason, IReadOnlyCollection<string>? metadataKeys, Guid actorId,
        CancellationToken ct = default)
    {
        reason = reason?.Trim();
        var keys = (metadataKeys ?? []).Where(k => !string.IsNullOrEmpty(k)).Distinct(StringComparer.Ordinal).ToArray();
        if (string.IsNullOrEmpty(reason))
            return Invalid("reason", "A reason is required: it is kept with the event and in the LEAD_REDACTED entry.");
        if (reason.Length > MaxReasonLength)
            return Invalid("reason", $"The reason must be at most {MaxReasonLength} characters (got {reason.Length}).");

        await using var conn = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);

        // FOR UPDATE: two admins redacting the same event at once get one redaction and one clear refusal.
        string eventType, eventCategory;
        Guid? leadId, clientId;
        string? leadAirtableId;
        DateTimeOffset timestamp;
        DateTimeOffset? redactedAt;
        HashSet<string> presentKeys;
        await using (var select = new NpgsqlCommand("""
            SELECT event_type, event_category, lead_id, lead_airtable_id, client_id, "timestamp", redacted_at,
                   CASE WHEN jsonb_typeof(metadata) = 'object' THEN ARRAY(SELECT jsonb_object_keys(metadata)) ELSE '{}' END
            FROM lead_activity_log WHERE id = @id FOR UPDATE
            """, conn, tx))
        {
            select.Parameters.AddWithValue("id", eventId);
            await using var r = await select.ExecuteReaderAsync(ct);
            if (!await r.ReadAsync(ct)) return new(RedactionStatus.NotFound);
            eventType = r.GetString(0);
            eventCategory = r.GetString(1);
            leadId = r.IsDBNull(2) ? null : r.GetGuid(2);
            leadAirtableId = r.IsDBNull(3) ? null : r.GetString(3);
            clientId = r.IsDBNull(4) ? null : r.GetGuid(4);
            timestamp = r.GetFieldValue<DateTimeOffset>(5);
            redactedAt = r.IsDBNull(6) ? null : r.GetFieldValue<DateTimeOffset>(6);
            presentKeys = r.GetFieldValue<string[]>(7).ToHashSet(StringComparer.Ordinal);
        }
        if (redactedAt is not null) return new(RedactionStatus.AlreadyRedacted, RedactedAt: redactedAt);
        if (keys.Where(k => !presentKeys.Contains(k)).ToList() is [_, ..] unknown)
            return Invalid("metadataKeys", $"The event's metadata has no key {string.Join(", ", unknown.Select(k => $"'{k}'"))}.");

        var now = clock.GetUtcNow();
        await using (var update = new NpgsqlCommand("""
            UPDATE lead_activity_log a
            SET description = @placeholder, message_content = NULL,
                metadata = CASE WHEN cardinality(@keys) = 0 THEN a.metadata ELSE
                    (SELECT jsonb_object_agg(key, CASE WHEN key = ANY(@keys) THEN to_jsonb(@placeholder) ELSE value END) FROM jsonb_each(a.metadata)) END,
                redacted_at = @now, redacted_by = @actor, redaction_reason = @reason
            WHERE a.id = @id
            """, conn, tx))
        {
            update.Parameters.AddWithValue("id", eventId);
            update.Parameters.AddWithValue("placeholder", Placeholder);
            update.Parameters.AddWithValue("keys", keys);
            update.Parameters.AddWithValue("now", now);
            update.Parameters.AddWithValue("actor", actorId);
            update.Parameters.AddWithValue("reason", reason);
            await update.ExecuteNonQueryAsync(ct);
        }

        var actorName = await ActorNameAsync(conn, tx, actorId, ct);
        var appended = await writer.AppendAsync(conn, tx, [new NewActivity
        {
            EventType = "LEAD_REDACTED", EventCategory = EventCategories.System, LeadId = leadId, LeadAirtableId = leadAirtableId,
            ClientId = clientId, Source = Source, IdempotencyKey = $"redact:{eventId}", Timestamp = now,
            Description = $"{actorName} redacted a {eventType} event of {timestamp.UtcDateTime:yyyy-MM-dd HH:mm} UTC ({eventCategory}). Reason: {reason}",
            Metadata = JsonSerializer.Serialize(new Dictionary<string, object>
            {
                ["activity_id"] = eventId, ["reason"] = reason, ["metadata_keys"] = keys, ["redacted_event_type"] = eventType,
            }),
            CreatedBy = actorId, ActorType = ActorTypes.Human, ActorId = actorId.ToString(),
            RelatedEntityType = "Activity", RelatedEntityId = eventId.ToString(),
        }], ct);
        await tx.CommitAsync(ct);
        return new(RedactionStatus.Redacted, appended[0].ActivityId, now);
    }

    internal static async Task<string> ActorNameAsync(NpgsqlConnection conn, NpgsqlTransaction tx, Guid userId, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("SELECT coalesce(nullif(display_name, ''), email) FROM users WHERE id = @id", conn, tx);
        cmd.Parameters.AddWithValue("id", userId);
        return await cmd.ExecuteScalarAsync(ct) as string ?? "An admin";
    }

    private static RedactionResult Invalid(string field, string message) =>
        new(RedactionStatus.Invalid, Errors: new Dictionary<string, string[]> { [field] = [message] });
}
