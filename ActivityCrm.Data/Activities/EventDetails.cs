using Npgsql;

namespace ActivityCrm.Data.Activities;

/// <summary>Everything about one event for its own page: the row, who redacted it, its stored hash and
/// whether its content still matches it, and the entry that recorded its redaction or erasure.</summary>
public sealed record EventDetail(ActivityRow Row, string? ClientName, string? RedactedByName, byte[]? ContentHash, bool HashMatches,
    Guid? RedactionEventId)
{
    public string ContentHashHex => ContentHash is null ? "" : Convert.ToHexString(ContentHash).ToLowerInvariant();
}

public static class EventDetails
{
    public static async Task<EventDetail?> FindAsync(NpgsqlDataSource dataSource, Guid id, CancellationToken ct = default)
    {
        // The redaction entry is found through activity_idempotency_keys' primary key, never a scan.
        await using var cmd = dataSource.CreateCommand($"""
            SELECT {ActivityRows.SelectColumns},
                   c.name AS detail_client, coalesce(nullif(rb.display_name, ''), rb.email) AS detail_redacted_by,
                   a.content_hash AS detail_hash, a.content_hash IS NOT NULL AND a.content_hash = {Integrity.IntegrityCheck.CanonicalHashSql} AS detail_hash_ok,
                   (SELECT k.activity_id FROM activity_idempotency_keys k
                    WHERE (k.source = '{Redaction.Source}' AND k.idempotency_key IN ('redact:' || a.id, 'demo-redact:' || a.id))
                       OR (a.redaction_reason = '{Leads.LeadErasure.Reason}' AND k.source = '{Leads.LeadErasure.Source}' AND k.idempotency_key = 'erase:' || a.lead_id)
                    ORDER BY k."timestamp" DESC LIMIT 1) AS detail_redaction_event
            FROM {ActivityRows.FromJoins}
            LEFT JOIN clients c ON c.id = a.client_id
            LEFT JOIN users rb ON rb.id = a.redacted_by
            WHERE a.id = @id
            """);
        cmd.Parameters.AddWithValue("id", id);
        await using var r = await cmd.ExecuteReaderAsync(ct);
        if (!await r.ReadAsync(ct)) return null;
        // By name: the shared column list before these may grow.
        T? Get<T>(string column) => r.IsDBNull(r.GetOrdinal(column)) ? default : r.GetFieldValue<T>(r.GetOrdinal(column));
        return new EventDetail(ActivityRows.Read(r), Get<string>("detail_client"), Get<string>("detail_redacted_by"), Get<byte[]>("detail_hash"),
            Get<bool>("detail_hash_ok"), r.IsDBNull(r.GetOrdinal("detail_redaction_event")) ? null : r.GetGuid(r.GetOrdinal("detail_redaction_event")));
    }
}
