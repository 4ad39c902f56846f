using System.Text.Json;
using ActivityCrm.Data.Activities;
using ActivityCrm.Data.Entities;
using Npgsql;

namespace ActivityCrm.Data.Leads;

public enum ErasureStatus { Erased, NotFound, AlreadyErased }

public sealed record ErasureResult(ErasureStatus Status, DateTimeOffset? ErasedAt = null, int RedactedEvents = 0, int DeletedNotes = 0,
    int ClearedDeadLetters = 0, Guid? ErasureEventId = null);

/// <summary>What an erasure would touch, for the confirmation page.</summary>
public sealed record ErasurePreview(Guid Id, string? Name, string? Email, string? AirtableId, string Status, DateTimeOffset? ErasedAt,
    long Events, long Notes);

/// <summary>
/// A person asked to be forgotten. In one transaction: the lead's personal fields are emptied (id, Airtable
/// id and status stay, so the timeline keeps its shape), every event of the lead is redacted through the
/// append-only trigger's redaction path, its notes are deleted, dead letters that carry its ids are emptied,
/// and one LEAD_ERASED event records who did it and when — with no personal data in it. A database trigger
/// (migration Access_ErasedLeadsStayErased) keeps the fields empty when Airtable syncs the lead again.
/// </summary>
public sealed class LeadErasure(NpgsqlDataSource dataSource, ActivityWriter writer, TimeProvider clock)
{
    public const string Reason = "erasure request";
    public const string Source = "ui:erase";

    public async Task<ErasurePreview?> PreviewAsync(Guid leadId, CancellationToken ct = default)
    {
        await using var cmd = dataSource.CreateCommand("""
            SELECT l.id, nullif(l.full_name, ''), l.email, l.airtable_record_id, l.status, l.erased_at,
                   (SELECT count(*) FROM lead_activity_log a WHERE a.lead_id = l.id),
                   (SELECT count(*) FROM lead_notes n WHERE n.lead_id = l.id)
            FROM leads l WHERE l.id = @id
            """);
        cmd.Parameters.AddWithValue("id", leadId);
        await using var r = await cmd.ExecuteReaderAsync(ct);
        if (!await r.ReadAsync(ct)) return null;
        return new(r.GetGuid(0), r.IsDBNull(1) ? null : r.GetString(1), r.IsDBNull(2) ? null : r.GetString(2), r.IsDBNull(3) ? null : r.GetString(3),
            r.GetString(4), r.IsDBNull(5) ? null : r.GetFieldValue<DateTimeOffset>(5), r.GetInt64(6), r.GetInt64(7));
    }

    public async Task<ErasureResult> EraseAsync(Guid leadId, Guid actorId, CancellationToken ct = default)
    {
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);

        string? airtableId;
        Guid? clientId;
        await using (var select = new NpgsqlCommand(
            "SELECT airtable_record_id, client_id, erased_at FROM leads WHERE id = @id FOR UPDATE", conn, tx))
        {
            select.Parameters.AddWithValue("id", leadId);
            await using var r = await select.ExecuteReaderAsync(ct);
            if (!await r.ReadAsync(ct)) return new(ErasureStatus.NotFound);
            if (!r.IsDBNull(2)) return new(ErasureStatus.AlreadyErased, r.GetFieldValue<DateTimeOffset>(2));
            airtableId = r.IsDBNull(0) ? null : r.GetString(0);
            clientId = r.IsDBNull(1) ? null : r.GetGuid(1);
        }

        var now = clock.GetUtcNow();
        await ExecAsync(conn, tx, """
            UPDATE leads SET first_name = NULL, last_name = NULL, email = NULL, phone = NULL, company = NULL, title = NULL,
                             erased_at = @now, updated_at = @now
            WHERE id = @lead
            """, ct, ("lead", leadId), ("now", now));

        // Every event of the lead, also one still waiting as an orphan under its Airtable id. Events already
        // fully blank are left as they are, keeping the record of their earlier redaction.
        var redacted = await ExecAsync(conn, tx, """
            WITH target AS (
                SELECT a.id, CASE WHEN jsonb_typeof(a.metadata) = 'object'
                                  THEN coalesce((SELECT jsonb_object_agg(key, to_jsonb(@placeholder::text)) FROM jsonb_each(a.metadata)), '{}')
                                  ELSE NULL END AS blank
                FROM lead_activity_log a
                WHERE a.lead_id = @lead OR (a.lead_id IS NULL AND @airtable::text IS NOT NULL AND a.lead_airtable_id = @airtable)
            )
            UPDATE lead_activity_log a
            SET description = @placeholder, message_content = NULL, metadata = t.blank,
                redacted_at = @now, redacted_by = @actor, redaction_reason = @reason
            FROM target t
            WHERE a.id = t.id AND (a.redacted_at IS NULL OR a.description <> @placeholder OR a.message_content IS NOT NULL
                                   OR a.metadata IS DISTINCT FROM t.blank)
            """, ct, ("lead", leadId), ("airtable", (object?)airtableId ?? DBNull.Value), ("placeholder", Redaction.Placeholder),
            ("now", now), ("actor", actorId), ("reason", Reason));

        var notes = await ExecAsync(conn, tx, "DELETE FROM lead_notes WHERE lead_id = @lead", ct, ("lead", leadId));

        // Raw rejected payloads are personal data too; they cannot be replayed once emptied, so pending ones are discarded.
        var deadLetters = await ExecAsync(conn, tx, """
            UPDATE ingestion_failures
            SET payload = '[erased]', errors = NULL,
                status = CASE WHEN status = 'pending' THEN 'discarded' ELSE status END,
                resolved_at = coalesce(resolved_at, @now), resolved_by = coalesce(resolved_by, @actor),
                resolution_note = coalesce(resolution_note, @reason)
            WHERE payload <> '[erased]'
              AND (strpos(payload, @leadText) > 0 OR (@airtable::text IS NOT NULL AND strpos(payload, @airtable) > 0))
            """, ct, ("now", now), ("actor", actorId), ("reason", Reason), ("leadText", leadId.ToString()),
            ("airtable", (object?)airtableId ?? DBNull.Value));

        var actorName = await Redaction.ActorNameAsync(conn, tx, actorId, ct);
        var appended = await writer.AppendAsync(conn, tx, [new NewActivity
        {
            EventType = "LEAD_ERASED", EventCategory = EventCategories.System, LeadId = leadId, ClientId = clientId,
            Source = Source, IdempotencyKey = $"erase:{leadId}", Timestamp = now,
            Description = $"Personal data erased on request by {actorName}: {Count(redacted, "event")} redacted, {Count(notes, "note")} deleted.",
            Metadata = JsonSerializer.Serialize(new Dictionary<string, object>
            {
                ["redacted_events"] = redacted, ["deleted_notes"] = notes, ["cleared_dead_letters"] = deadLetters,
            }),
            CreatedBy = actorId, ActorType = ActorTypes.Human, ActorId = actorId.ToString(),
            RelatedEntityType = "Lead", RelatedEntityId = leadId.ToString(),
        }], ct);
        await tx.CommitAsync(ct);
        return new(ErasureStatus.Erased, now, redacted, notes, deadLetters, appended[0].ActivityId);
    }

    private static string Count(int n, string noun) => $"{n:N0} {(n == 1 ? noun : noun + "s")}";

    private static async Task<int> ExecAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string sql, CancellationToken ct,
        params (string Name, object Value)[] args)
    {
        await using var cmd = new NpgsqlCommand(sql, conn, tx);
        foreach (var (name, value) in args) cmd.Parameters.AddWithValue(name, value);
        return await cmd.ExecuteNonQueryAsync(ct);
    }
}
