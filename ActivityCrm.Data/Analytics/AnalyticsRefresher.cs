using Npgsql;
using NpgsqlTypes;

namespace ActivityCrm.Data.Analytics;

/// <param name="BatchSize">New events per incremental step (one transaction).</param>
/// <param name="MaxLag">How far an open transaction may hold back the bookmark (see <see cref="AnalyticsRefresher"/>).</param>
public sealed record AnalyticsRefreshOptions(int BatchSize = 20_000, TimeSpan? MaxLag = null)
{
    public static readonly AnalyticsRefreshOptions Default = new();
    public TimeSpan EffectiveMaxLag => MaxLag ?? TimeSpan.FromMinutes(5);
}

public enum AnalyticsRefreshOutcome { Incremental, Rebuilt, Busy }

/// <param name="Events">Events added to the rollups by this step.</param>
/// <param name="CaughtUp">True when every event stored before <paramref name="CaughtUpTo"/> is in the rollups.</param>
public sealed record AnalyticsRefreshResult(AnalyticsRefreshOutcome Outcome, long Events, bool CaughtUp, DateTimeOffset? CaughtUpTo);

/// <summary>
/// Keeps the analytics rollups (analytics_journeys, analytics_daily_counts) in step with lead_activity_log
/// without touching the write path: no trigger, a background loop reads what is new since a bookmark on
/// (created_at, id). docs/analytics.md explains the rules; in short:
/// <list type="bullet">
/// <item>created_at is the inserting transaction's start, so a slow transaction can commit rows "behind"
/// a bookmark already passed. The refresher only reads below a horizon older than every open transaction
/// (pg_stat_activity.xact_start), so nothing below the bookmark can still appear.</item>
/// <item>Journeys are recomputed whole for every lead that got a new event (idempotent, exact even when
/// events arrive out of order); daily counts are added to, once per event.</item>
/// <item>Leads are keyed by Airtable id when they have one, so linking an orphan (an UPDATE the bookmark
/// never sees) changes nothing the rollups depend on.</item>
/// </list>
/// One instance works at a time (advisory lock); others skip.
/// </summary>
public static class AnalyticsRefresher
{
    /// <summary>The advisory lock one refreshing instance holds (pg_advisory_xact_lock), "AC_ANALY".</summary>
    public const long LockKey = 0x41435F414E414C59;

    /// <summary>One step: a full rebuild when the rollups were never built (or a bulk load asked for one),
    /// otherwise the next batch of new events.</summary>
    /// <param name="waitForLock">Wait for another instance's step to finish instead of skipping (Busy).</param>
    public static async Task<AnalyticsRefreshResult> RefreshAsync(NpgsqlDataSource dataSource, AnalyticsRefreshOptions? options = null,
        bool waitForLock = false, CancellationToken ct = default)
    {
        options ??= AnalyticsRefreshOptions.Default;
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        if (waitForLock) await ScalarAsync<string>(conn, tx, "SELECT pg_advisory_xact_lock(@k)::text", ct, ("k", LockKey));
        else if (!await ScalarAsync<bool>(conn, tx, "SELECT pg_try_advisory_xact_lock(@k)", ct, ("k", LockKey)))
            return new(AnalyticsRefreshOutcome.Busy, 0, false, null);

        var (wmCreated, wmId) = await BookmarkAsync(conn, tx, ct);
        var horizon = await HorizonAsync(conn, tx, options.EffectiveMaxLag, ct);

        AnalyticsRefreshResult result;
        if (wmCreated is null)
        {
            result = await RebuildAsync(conn, tx, horizon, ct);
        }
        else
        {
            var batch = new List<(DateTimeOffset CreatedAt, Guid Id, Guid? LeadId, string? AirtableId)>();
            await using (var cmd = Command(conn, tx, """
                SELECT created_at, id, lead_id, lead_airtable_id FROM lead_activity_log
                WHERE (created_at, id) > (@c, @i) AND created_at < @horizon
                ORDER BY created_at, id LIMIT @n
                """, ("c", wmCreated.Value), ("i", wmId!.Value), ("horizon", horizon), ("n", options.BatchSize)))
            await using (var r = await cmd.ExecuteReaderAsync(ct))
                while (await r.ReadAsync(ct))
                    batch.Add((r.GetFieldValue<DateTimeOffset>(0), r.GetGuid(1), r.IsDBNull(2) ? null : r.GetGuid(2), r.IsDBNull(3) ? null : r.GetString(3)));

            var caughtUp = batch.Count < options.BatchSize;
            if (batch.Count > 0)
            {
                var (leadIds, airtableIds) = await DirtyLeadsAsync(conn, tx, batch, ct);
                var last = batch[^1];
                await ApplyAsync(conn, tx, """
                    (SELECT id, created_at, "timestamp", event_type, event_category, source, client_id, lead_id, lead_airtable_id, metadata
                     FROM lead_activity_log WHERE lead_id = ANY(@lead_ids)
                     UNION ALL
                     SELECT id, created_at, "timestamp", event_type, event_category, source, client_id, lead_id, lead_airtable_id, metadata
                     FROM lead_activity_log WHERE lead_id IS NULL AND lead_airtable_id = ANY(@airtable_ids))
                    """, [new("lead_ids", NpgsqlDbType.Array | NpgsqlDbType.Uuid) { Value = leadIds }, new("airtable_ids", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = airtableIds }],
                    (wmCreated.Value, wmId.Value), (last.CreatedAt, last.Id), replaceAll: false, ct);
                wmCreated = last.CreatedAt;
                wmId = last.Id;
            }
            await SaveBookmarkAsync(conn, tx, wmCreated, wmId, caughtUp ? horizon : null, rebuilt: false, ct);
            result = new(AnalyticsRefreshOutcome.Incremental, batch.Count, caughtUp, caughtUp ? horizon : null);
        }
        await tx.CommitAsync(ct);
        return result;
    }

    /// <summary>Steps until every event stored before now is in the rollups (waiting for other instances);
    /// returns the events added. For tests, the benchmark and the `analytics-refresh` command.</summary>
    public static async Task<long> CatchUpAsync(NpgsqlDataSource dataSource, AnalyticsRefreshOptions? options = null, CancellationToken ct = default)
    {
        long total = 0;
        while (true)
        {
            var step = await RefreshAsync(dataSource, options, waitForLock: true, ct);
            total += step.Events;
            if (step.CaughtUp) return total;
        }
    }

    /// <summary>Forgets the bookmark so the next step rebuilds everything: for bulk loads that write
    /// created_at themselves (COPY), whose rows may land behind the bookmark.</summary>
    public static async Task RequestRebuildAsync(NpgsqlConnection conn, CancellationToken ct = default)
    {
        await using var cmd = new NpgsqlCommand("UPDATE analytics_state SET events_created_at = NULL, events_id = NULL WHERE id = 1", conn);
        await cmd.ExecuteNonQueryAsync(ct);
    }

    private static async Task<AnalyticsRefreshResult> RebuildAsync(NpgsqlConnection conn, NpgsqlTransaction tx, DateTimeOffset horizon, CancellationToken ct)
    {
        // Sorting every event by lead once is the expensive part; give it memory instead of temp files.
        await ExecAsync(conn, tx, "SET LOCAL work_mem = '256MB'", ct);
        DateTimeOffset? lastCreated = null;
        Guid? lastId = null;
        long count = 0;
        await using (var cmd = Command(conn, tx, """
            SELECT created_at, id, (SELECT count(*) FROM lead_activity_log WHERE created_at < @horizon)
            FROM lead_activity_log WHERE created_at < @horizon ORDER BY created_at DESC, id DESC LIMIT 1
            """, ("horizon", horizon)))
        await using (var r = await cmd.ExecuteReaderAsync(ct))
            if (await r.ReadAsync(ct)) (lastCreated, lastId, count) = (r.GetFieldValue<DateTimeOffset>(0), r.GetGuid(1), r.GetInt64(2));

        // DELETE rather than TRUNCATE: panels keep reading the old figures until this commits.
        await ExecAsync(conn, tx, "DELETE FROM analytics_journeys", ct);
        await ExecAsync(conn, tx, "DELETE FROM analytics_daily_counts", ct);
        if (lastCreated is not null)
            await ApplyAsync(conn, tx, "lead_activity_log", [], null, (lastCreated.Value, lastId!.Value), replaceAll: true, ct);
        // Built on an empty table: a bookmark before everything, so the next events are added incrementally.
        await SaveBookmarkAsync(conn, tx, lastCreated ?? DateTimeOffset.MinValue, lastId ?? Guid.Empty, horizon, rebuilt: true, ct);
        return new(AnalyticsRefreshOutcome.Rebuilt, count, true, horizon);
    }

    private static async Task<(DateTimeOffset?, Guid?)> BookmarkAsync(NpgsqlConnection conn, NpgsqlTransaction tx, CancellationToken ct)
    {
        await using var cmd = Command(conn, tx, "SELECT events_created_at, events_id FROM analytics_state WHERE id = 1 FOR UPDATE");
        await using var r = await cmd.ExecuteReaderAsync(ct);
        if (!await r.ReadAsync(ct)) throw new InvalidOperationException("analytics_state has no row 1; the Analytics_Rollups migration seeds it.");
        return (r.IsDBNull(0) ? null : r.GetFieldValue<DateTimeOffset>(0), r.IsDBNull(1) ? null : r.GetGuid(1));
    }

    /// <summary>
    /// Rows with created_at below the horizon are all committed: every transaction still open started at or
    /// after it, and a row's created_at is its transaction's start. Taken before any data is read, so the
    /// snapshot of the statements that follow is newer. A transaction open longer than maxLag (someone's
    /// forgotten psql session) stops holding the figures back; its rows would then need a rebuild.
    /// </summary>
    private static Task<DateTimeOffset> HorizonAsync(NpgsqlConnection conn, NpgsqlTransaction tx, TimeSpan maxLag, CancellationToken ct) =>
        ScalarAsync<DateTimeOffset>(conn, tx, """
            SELECT greatest(now() - @lag, least(now(), coalesce((
                SELECT min(xact_start) FROM pg_stat_activity
                WHERE pid <> pg_backend_pid() AND datname = current_database() AND backend_type = 'client backend'
                  AND xact_start IS NOT NULL), now())))
            """, ct, ("lag", maxLag));

    /// <summary>The leads whose journeys the batch can change, as (lead ids, Airtable ids), including an
    /// orphan's lead when it already exists (an event that raced the lead sync).</summary>
    private static async Task<(Guid[] LeadIds, string[] AirtableIds)> DirtyLeadsAsync(NpgsqlConnection conn, NpgsqlTransaction tx,
        List<(DateTimeOffset CreatedAt, Guid Id, Guid? LeadId, string? AirtableId)> batch, CancellationToken ct)
    {
        var leadIds = batch.Where(b => b.LeadId is not null).Select(b => b.LeadId!.Value).Distinct().ToArray();
        var orphans = batch.Where(b => b.LeadId is null && b.AirtableId is not null).Select(b => b.AirtableId!).Distinct().ToArray();
        var ids = new HashSet<Guid>(leadIds);
        var airtable = new HashSet<string>(orphans);
        await using var cmd = Command(conn, tx, """
            SELECT id, airtable_record_id FROM leads WHERE id = ANY(@ids) OR airtable_record_id = ANY(@orphans)
            """, ("ids", leadIds), ("orphans", orphans));
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
        {
            ids.Add(r.GetGuid(0));
            if (!r.IsDBNull(1)) airtable.Add(r.GetString(1));
        }
        return (ids.ToArray(), airtable.ToArray());
    }

    /// <summary>
    /// Attributes the selected events (all events of the affected leads) to campaigns, replaces those leads'
    /// journeys, and adds the events inside (from, to] in (created_at, id) order to the daily counts.
    /// </summary>
    private static async Task ApplyAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string selection, NpgsqlParameter[] selectionParameters,
        (DateTimeOffset CreatedAt, Guid Id)? from, (DateTimeOffset CreatedAt, Guid Id) to, bool replaceAll, CancellationToken ct)
    {
        await using (var att = Command(conn, tx, $"""
            CREATE TEMP TABLE analytics_att ON COMMIT DROP AS
            {AttributionSql.Replace("{selection}", selection)}
            """))
        {
            att.Parameters.AddRange(selectionParameters);
            await att.ExecuteNonQueryAsync(ct);
        }
        if (!replaceAll)
            await ExecAsync(conn, tx, "DELETE FROM analytics_journeys j USING (SELECT DISTINCT lead_key FROM analytics_att) k WHERE j.lead_key = k.lead_key", ct);
        await ExecAsync(conn, tx, JourneysSql, ct);
        await using (var counts = Command(conn, tx, DailyCountsSql.Replace("{from}", from is null ? "true" : "(created_at, id) > (@from_c, @from_i)"),
                         ("to_c", to.CreatedAt), ("to_i", to.Id)))
        {
            if (from is { } f)
            {
                counts.Parameters.AddWithValue("from_c", f.CreatedAt);
                counts.Parameters.AddWithValue("from_i", f.Id);
            }
            await counts.ExecuteNonQueryAsync(ct);
        }
        await ExecAsync(conn, tx, "DROP TABLE analytics_att", ct);
    }

    /// <summary>
    /// Last-touch attribution (docs/analytics.md, "Campaign attribution"): a touch is a CAMPAIGN_ENROLLED or
    /// MESSAGE_SENT whose metadata names campaign_id; an event belongs to its own metadata.campaign_id if it
    /// has one, else to the campaign of its lead's latest touch at or before it, else to none. touch_no numbers
    /// the touches along each lead's history, so every event shares a number with the touch before it.
    /// </summary>
    private const string AttributionSql = """
        WITH ev AS (
            SELECT a.id, a.created_at, a."timestamp" AS ts, a.event_type, a.event_category, a.source, a.client_id,
                   CASE WHEN a.lead_id IS NULL THEN a.lead_airtable_id ELSE coalesce(l.airtable_record_id, a.lead_id::text) END AS lead_key,
                   nullif(a.metadata->>'campaign_id', '') AS own_campaign
            FROM {selection} a
            LEFT JOIN leads l ON l.id = a.lead_id
        ), numbered AS (
            SELECT ev.*, (event_type IN ('CAMPAIGN_ENROLLED', 'MESSAGE_SENT') AND own_campaign IS NOT NULL) AS is_touch,
                   count(*) FILTER (WHERE event_type IN ('CAMPAIGN_ENROLLED', 'MESSAGE_SENT') AND own_campaign IS NOT NULL)
                       OVER (PARTITION BY lead_key ORDER BY ts, id) AS touch_no
            FROM ev
        )
        SELECT id, created_at, ts, event_type, event_category, source, client_id, lead_key, own_campaign,
               coalesce(own_campaign, max(own_campaign) FILTER (WHERE is_touch) OVER (PARTITION BY lead_key, touch_no)) AS campaign_key
        FROM numbered
        """;

    /// <summary>
    /// One row per lead and campaign (campaign_key '' = the lead's whole history). Delivery and reply count
    /// from the journey's first send on; enrolment must name the campaign itself.
    /// </summary>
    private const string JourneysSql = """
        INSERT INTO analytics_journeys (lead_key, campaign_key, client_id, enrolled_at, first_sent_at, first_delivered_at,
                                        first_reply_at, first_booked_at, opted_out_at)
        WITH rows AS (
            SELECT lead_key, '' AS campaign_key, ts, id, event_type, client_id, true AS names_campaign
            FROM analytics_att
            WHERE event_type IN ('CAMPAIGN_ENROLLED', 'MESSAGE_SENT', 'MESSAGE_DELIVERED', 'INBOUND_REPLY', 'BOOKING_CONFIRMED', 'OPT_OUT')
            UNION ALL
            SELECT lead_key, campaign_key, ts, id, event_type, client_id, own_campaign IS NOT DISTINCT FROM campaign_key
            FROM analytics_att
            WHERE campaign_key IS NOT NULL
              AND event_type IN ('CAMPAIGN_ENROLLED', 'MESSAGE_SENT', 'MESSAGE_DELIVERED', 'INBOUND_REPLY', 'BOOKING_CONFIRMED', 'OPT_OUT')
        ), with_first_send AS (
            SELECT rows.*, min(ts) FILTER (WHERE event_type = 'MESSAGE_SENT') OVER (PARTITION BY lead_key, campaign_key) AS first_sent
            FROM rows
        )
        SELECT lead_key, campaign_key,
               (array_agg(client_id ORDER BY ts, id) FILTER (WHERE client_id IS NOT NULL))[1],
               min(ts) FILTER (WHERE event_type = 'CAMPAIGN_ENROLLED' AND names_campaign),
               min(first_sent),
               min(ts) FILTER (WHERE event_type = 'MESSAGE_DELIVERED' AND ts >= first_sent),
               min(ts) FILTER (WHERE event_type = 'INBOUND_REPLY' AND ts >= first_sent),
               min(ts) FILTER (WHERE event_type = 'BOOKING_CONFIRMED'),
               min(ts) FILTER (WHERE event_type = 'OPT_OUT')
        FROM with_first_send
        GROUP BY lead_key, campaign_key
        """;

    private const string DailyCountsSql = """
        INSERT INTO analytics_daily_counts AS d (day, event_category, event_type, source, client_id, campaign_key, events)
        SELECT (ts AT TIME ZONE 'UTC')::date, event_category, event_type, source, client_id, coalesce(campaign_key, ''), count(*)
        FROM analytics_att
        WHERE {from} AND (created_at, id) <= (@to_c, @to_i)
        GROUP BY 1, 2, 3, 4, 5, 6
        ON CONFLICT (day, event_category, event_type, source, client_id, campaign_key) DO UPDATE SET events = d.events + excluded.events
        """;

    private static async Task SaveBookmarkAsync(NpgsqlConnection conn, NpgsqlTransaction tx, DateTimeOffset? created, Guid? id,
        DateTimeOffset? caughtUpTo, bool rebuilt, CancellationToken ct)
    {
        await using var cmd = Command(conn, tx, """
            UPDATE analytics_state SET events_created_at = @c, events_id = @i,
                refreshed_at = CASE WHEN @caught_up IS NULL THEN refreshed_at ELSE now() END,
                caught_up_to = coalesce(@caught_up, caught_up_to),
                rebuilt_at = CASE WHEN @rebuilt THEN now() ELSE rebuilt_at END
            WHERE id = 1
            """);
        cmd.Parameters.Add(new NpgsqlParameter("c", NpgsqlDbType.TimestampTz) { Value = (object?)created ?? DBNull.Value });
        cmd.Parameters.Add(new NpgsqlParameter("i", NpgsqlDbType.Uuid) { Value = (object?)id ?? DBNull.Value });
        cmd.Parameters.Add(new NpgsqlParameter("caught_up", NpgsqlDbType.TimestampTz) { Value = (object?)caughtUpTo ?? DBNull.Value });
        cmd.Parameters.AddWithValue("rebuilt", rebuilt);
        await cmd.ExecuteNonQueryAsync(ct);
    }

    private static NpgsqlCommand Command(NpgsqlConnection conn, NpgsqlTransaction tx, string sql, params (string Name, object Value)[] args)
    {
        var cmd = new NpgsqlCommand(sql, conn, tx);
        foreach (var (n, v) in args) cmd.Parameters.AddWithValue(n, v);
        return cmd;
    }

    private static async Task ExecAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string sql, CancellationToken ct)
    {
        await using var cmd = Command(conn, tx, sql);
        await cmd.ExecuteNonQueryAsync(ct);
    }

    private static async Task<T> ScalarAsync<T>(NpgsqlConnection conn, NpgsqlTransaction tx, string sql, CancellationToken ct, params (string Name, object Value)[] args)
    {
        await using var cmd = Command(conn, tx, sql, args);
        await using var r = await cmd.ExecuteReaderAsync(ct);
        await r.ReadAsync(ct);
        return r.GetFieldValue<T>(0);
    }
}
