using System.Data;
using Npgsql;
using NpgsqlTypes;

namespace ActivityCrm.Data.Activities;

/// <summary>
/// The one write path into lead_activity_log, used by the ingestion API (single and batch), the UI's
/// in-process actions, replays and imports. One statement per call: resolve leads, claim each
/// (source, idempotency_key) in activity_idempotency_keys (ON CONFLICT DO NOTHING: the unique key decides
/// races), insert only the claimed events, touch leads.last_activity_at, and pg_notify the new ids —
/// NOTIFY is delivered on commit, so live screens never see an event that was rolled back.
/// </summary>
public sealed class ActivityWriter(NpgsqlDataSource dataSource)
{
    public const string NotifyChannel = "activity_appended";
    private const int MaxAttempts = 3;

    /// <summary>Appends in a transaction of its own, retrying deadlocks and serialization failures.</summary>
    public async Task<IReadOnlyList<AppendResult>> AppendAsync(IReadOnlyList<NewActivity> items, CancellationToken ct = default)
    {
        for (var attempt = 1; ; attempt++)
        {
            await using var conn = await dataSource.OpenConnectionAsync(ct);
            await using var tx = await conn.BeginTransactionAsync(IsolationLevel.ReadCommitted, ct);
            try
            {
                var results = await AppendAsync(conn, tx, items, ct);
                await tx.CommitAsync(ct);
                return results;
            }
            catch (PostgresException e) when (attempt < MaxAttempts && e.SqlState is PostgresErrorCodes.DeadlockDetected or PostgresErrorCodes.SerializationFailure)
            {
                await Task.Delay(20 * attempt, ct);
            }
        }
    }

    public async Task<AppendResult> AppendAsync(NewActivity item, CancellationToken ct = default) =>
        (await AppendAsync([item], ct))[0];

    /// <summary>Appends inside the caller's transaction (so a UI change and its history commit together).</summary>
    public async Task<IReadOnlyList<AppendResult>> AppendAsync(NpgsqlConnection conn, NpgsqlTransaction? tx,
        IReadOnlyList<NewActivity> items, CancellationToken ct = default)
    {
        if (items.Count == 0) return [];
        if (items.Count > 1 && items.Any(i => i.IdempotencyKey is null))
            throw new ArgumentException("Every item of a multi-event append needs an idempotency key.", nameof(items));

        var unknownUsers = await UnknownUsersAsync(conn, tx, items, ct);
        var candidates = items.Select((item, ord) => (item, ord)).Where(x => x.item.CreatedBy is not { } u || !unknownUsers.Contains(u)).ToList();

        var inserted = new List<(Guid Id, string Source, string? Key, Guid? LeadId, DateTimeOffset Ts)>();
        if (candidates.Count > 0)
        {
            await using var cmd = new NpgsqlCommand(InsertSql, conn, tx);
            AddArrays(cmd, candidates.Select(c => c.item).ToList(), candidates.Select(c => c.ord).ToArray());
            await using var reader = await cmd.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
                inserted.Add((reader.GetGuid(0), reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2),
                    reader.IsDBNull(3) ? null : reader.GetGuid(3), reader.GetFieldValue<DateTimeOffset>(4)));
        }

        var results = new AppendResult?[items.Count];
        if (items.Count == 1 && inserted.Count == 1)
        {
            var r = inserted[0];
            return [new AppendResult(AppendStatus.Created, r.Id, r.Ts, r.LeadId)];
        }

        var byKey = inserted.Where(r => r.Key is not null).ToDictionary(r => (r.Source, r.Key!));
        var claimed = new HashSet<(string, string)>();
        var missing = new List<int>();
        for (var i = 0; i < items.Count; i++)
        {
            var item = items[i];
            if (item.CreatedBy is { } u && unknownUsers.Contains(u)) { results[i] = new(AppendStatus.UnknownCreatedBy, Guid.Empty, item.Timestamp, null); continue; }
            if (item.IdempotencyKey is { } key && byKey.TryGetValue((item.Source, key), out var row))
            {
                // The first occurrence of a key within one batch is the one stored; later ones are duplicates.
                results[i] = new(claimed.Add((item.Source, key)) ? AppendStatus.Created : AppendStatus.Duplicate, row.Id, row.Ts, row.LeadId);
                continue;
            }
            missing.Add(i);
        }

        if (missing.Count > 0)
        {
            var existing = await ExistingAsync(conn, tx, missing.Select(i => items[i]).Where(i => i.IdempotencyKey is not null).ToList(), ct);
            foreach (var i in missing)
            {
                var item = items[i];
                results[i] = item.IdempotencyKey is { } key && existing.TryGetValue((item.Source, key), out var row)
                    ? new AppendResult(AppendStatus.Duplicate, row.Id, row.Ts, row.LeadId)
                    : new AppendResult(AppendStatus.LeadNotFound, Guid.Empty, item.Timestamp, null);
            }
        }
        return results.Select(r => r!).ToList();
    }

    private static async Task<HashSet<Guid>> UnknownUsersAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, IReadOnlyList<NewActivity> items, CancellationToken ct)
    {
        var ids = items.Where(i => i.CreatedBy is not null).Select(i => i.CreatedBy!.Value).Distinct().ToArray();
        if (ids.Length == 0) return [];
        await using var cmd = new NpgsqlCommand("SELECT id FROM users WHERE id = ANY(@ids)", conn, tx);
        cmd.Parameters.AddWithValue("ids", ids);
        var found = new HashSet<Guid>();
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) found.Add(reader.GetGuid(0));
        return ids.Where(id => !found.Contains(id)).ToHashSet();
    }

    private static async Task<Dictionary<(string, string), (Guid Id, DateTimeOffset Ts, Guid? LeadId)>> ExistingAsync(
        NpgsqlConnection conn, NpgsqlTransaction? tx, IReadOnlyList<NewActivity> items, CancellationToken ct)
    {
        var map = new Dictionary<(string, string), (Guid, DateTimeOffset, Guid?)>();
        if (items.Count == 0) return map;
        await using var cmd = new NpgsqlCommand("""
            SELECT k.activity_id, k.source, k.idempotency_key, k."timestamp", a.lead_id
            FROM activity_idempotency_keys k
            JOIN unnest(@sources::text[], @keys::text[]) AS u(source, key) ON k.source = u.source AND k.idempotency_key = u.key
            LEFT JOIN lead_activity_log a ON a.id = k.activity_id AND a."timestamp" = k."timestamp"
            """, conn, tx);
        cmd.Parameters.AddWithValue("sources", items.Select(i => i.Source).ToArray());
        cmd.Parameters.AddWithValue("keys", items.Select(i => i.IdempotencyKey!).ToArray());
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
            map[(reader.GetString(1), reader.GetString(2))] = (reader.GetGuid(0), reader.GetFieldValue<DateTimeOffset>(3), reader.IsDBNull(4) ? null : reader.GetGuid(4));
        return map;
    }

    private static void AddArrays(NpgsqlCommand cmd, IReadOnlyList<NewActivity> items, int[] ords)
    {
        void Add<T>(string name, NpgsqlDbType type, Func<NewActivity, T> pick) =>
            cmd.Parameters.Add(new NpgsqlParameter(name, NpgsqlDbType.Array | type) { Value = items.Select(pick).ToArray() });
        cmd.Parameters.Add(new NpgsqlParameter("ord", NpgsqlDbType.Array | NpgsqlDbType.Integer) { Value = ords });
        Add("event_type", NpgsqlDbType.Text, i => i.EventType);
        Add("event_category", NpgsqlDbType.Text, i => i.EventCategory);
        Add("lead_id", NpgsqlDbType.Uuid, i => i.LeadId);
        Add("lead_airtable_id", NpgsqlDbType.Text, i => i.LeadAirtableId);
        Add("client_id", NpgsqlDbType.Uuid, i => i.ClientId);
        Add("description", NpgsqlDbType.Text, i => i.Description);
        Add("message_content", NpgsqlDbType.Text, i => i.MessageContent);
        Add("metadata", NpgsqlDbType.Jsonb, i => i.Metadata);
        Add("source", NpgsqlDbType.Text, i => i.Source);
        Add("execution_id", NpgsqlDbType.Text, i => i.ExecutionId);
        Add("created_by", NpgsqlDbType.Uuid, i => i.CreatedBy);
        Add("actor_type", NpgsqlDbType.Text, i => i.ActorType);
        Add("actor_id", NpgsqlDbType.Text, i => i.ActorId);
        Add("correlation_id", NpgsqlDbType.Uuid, i => i.CorrelationId);
        Add("related_entity_type", NpgsqlDbType.Text, i => i.RelatedEntityType);
        Add("related_entity_id", NpgsqlDbType.Text, i => i.RelatedEntityId);
        Add("idempotency_key", NpgsqlDbType.Text, i => i.IdempotencyKey);
        Add("ts", NpgsqlDbType.TimestampTz, i => i.Timestamp.ToUniversalTime());
    }

    private const string InsertSql = """
        WITH input AS (
            SELECT * FROM unnest(@ord, @event_type, @event_category, @lead_id, @lead_airtable_id, @client_id, @description,
                                 @message_content, @metadata, @source, @execution_id, @created_by, @actor_type, @actor_id,
                                 @correlation_id, @related_entity_type, @related_entity_id, @idempotency_key, @ts)
                AS t(ord, event_type, event_category, lead_id, lead_airtable_id, client_id, description, message_content,
                     metadata, source, execution_id, created_by, actor_type, actor_id, correlation_id, related_entity_type,
                     related_entity_id, idempotency_key, ts)
        ), resolved AS (
            SELECT i.*, coalesce(l1.id, l2.id) AS resolved_lead, coalesce(i.client_id, l1.client_id, l2.client_id) AS resolved_client
            FROM input i
            LEFT JOIN leads l1 ON l1.id = i.lead_id
            LEFT JOIN leads l2 ON l1.id IS NULL AND l2.airtable_record_id = i.lead_airtable_id
        ), accepted AS (
            -- An event needs an anchor: a known lead, or an Airtable id to link it to when that lead arrives.
            -- (Materialised once, so each event keeps the id generated here.)
            SELECT r.*, gen_random_uuid() AS new_id FROM resolved r
            WHERE resolved_lead IS NOT NULL OR lead_airtable_id IS NOT NULL
        ), claimed AS (
            -- The first writer of a key wins; a concurrent one waits on the unique key, then finds it taken.
            INSERT INTO activity_idempotency_keys (source, idempotency_key, activity_id, "timestamp")
            SELECT source, idempotency_key, new_id, ts FROM accepted WHERE idempotency_key IS NOT NULL ORDER BY ord
            ON CONFLICT DO NOTHING
            RETURNING activity_id
        ), ins AS (
            INSERT INTO lead_activity_log (id, event_type, event_category, lead_id, lead_airtable_id, client_id, description,
                message_content, metadata, source, execution_id, created_by, actor_type, actor_id, correlation_id,
                related_entity_type, related_entity_id, idempotency_key, "timestamp")
            SELECT new_id, event_type, event_category, resolved_lead, lead_airtable_id, resolved_client, description, message_content,
                   metadata, source, execution_id, created_by, actor_type, actor_id, correlation_id, related_entity_type,
                   related_entity_id, idempotency_key, ts
            FROM accepted
            WHERE idempotency_key IS NULL OR new_id IN (SELECT activity_id FROM claimed)
            ORDER BY ord
            RETURNING id, source, idempotency_key, lead_id, "timestamp"
        ), touch AS (
            UPDATE leads l SET last_activity_at = x.ts
            FROM (SELECT lead_id, max("timestamp") AS ts FROM ins WHERE lead_id IS NOT NULL GROUP BY lead_id) x
            WHERE l.id = x.lead_id AND (l.last_activity_at IS NULL OR l.last_activity_at < x.ts)
            RETURNING 1
        ), notified AS (
            -- NOTIFY payloads are limited to 8000 bytes: 200 ids (37 bytes each) per notification.
            SELECT count(pg_notify('activity_appended', chunk)) AS n
            FROM (SELECT string_agg(id::text, ',') AS chunk
                  FROM (SELECT id, (row_number() OVER () - 1) / 200 AS g FROM ins) q GROUP BY g) c
        )
        SELECT ins.id, ins.source, ins.idempotency_key, ins.lead_id, ins."timestamp" FROM ins CROSS JOIN notified
        """;
}
