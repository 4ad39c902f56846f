using Npgsql;

namespace ActivityCrm.Data.Activities;

/// <summary>Reads <see cref="ActivityRow"/>s. The column list and the joins live here once so every
/// screen and API shows an event the same way.</summary>
public static class ActivityRows
{
    public const string SelectColumns = """
        a.id, a."timestamp", a.created_at, a.event_type, a.event_category, a.lead_id, a.lead_airtable_id,
        l.full_name, l.email, l.deleted_at IS NOT NULL, a.client_id, a.description, a.message_content, a.metadata::text,
        a.source, a.execution_id, a.created_by, a.actor_type, a.actor_id, u.display_name, a.correlation_id,
        a.related_entity_type, a.related_entity_id, a.idempotency_key, a.redacted_at, a.redaction_reason
        """;

    public const string FromJoins = """
        lead_activity_log a
        LEFT JOIN leads l ON l.id = a.lead_id
        LEFT JOIN users u ON u.id = a.created_by
        """;

    public static ActivityRow Read(NpgsqlDataReader r) => new()
    {
        Id = r.GetGuid(0), Timestamp = r.GetFieldValue<DateTimeOffset>(1), CreatedAt = r.GetFieldValue<DateTimeOffset>(2),
        EventType = r.GetString(3), EventCategory = r.GetString(4), LeadId = N<Guid>(r, 5), LeadAirtableId = S(r, 6),
        LeadName = S(r, 7) is { Length: > 0 } n ? n : null, LeadEmail = S(r, 8), LeadDeleted = !r.IsDBNull(9) && r.GetBoolean(9),
        ClientId = N<Guid>(r, 10), Description = r.GetString(11), MessageContent = S(r, 12), Metadata = S(r, 13),
        Source = r.GetString(14), ExecutionId = S(r, 15), CreatedBy = N<Guid>(r, 16), ActorType = r.GetString(17),
        ActorId = S(r, 18), ActorName = S(r, 19), CorrelationId = N<Guid>(r, 20), RelatedEntityType = S(r, 21),
        RelatedEntityId = S(r, 22), IdempotencyKey = S(r, 23), RedactedAt = N<DateTimeOffset>(r, 24), RedactionReason = S(r, 25),
    };

    public static async Task<List<ActivityRow>> ByIdsAsync(NpgsqlDataSource dataSource, IReadOnlyCollection<Guid> ids, CancellationToken ct = default)
    {
        await using var cmd = dataSource.CreateCommand(
            $"SELECT {SelectColumns} FROM {FromJoins} WHERE a.id = ANY(@ids) ORDER BY a.\"timestamp\" DESC, a.id DESC");
        cmd.Parameters.AddWithValue("ids", ids.ToArray());
        return await ReadAllAsync(cmd, ct);
    }

    public static async Task<List<ActivityRow>> ReadAllAsync(NpgsqlCommand cmd, CancellationToken ct)
    {
        var list = new List<ActivityRow>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct)) list.Add(Read(r));
        return list;
    }

    private static string? S(NpgsqlDataReader r, int i) => r.IsDBNull(i) ? null : r.GetString(i);
    private static T? N<T>(NpgsqlDataReader r, int i) where T : struct => r.IsDBNull(i) ? null : r.GetFieldValue<T>(i);
}
