using ActivityCrm.Data.Activities;
using Npgsql;

namespace ActivityCrm.Data.Health;

/// <summary>Events of one type from one source and campaign still waiting for their follow-up past the deadline.</summary>
public sealed record LifecycleGapGroup(string EventType, string EventCategory, string[] ExpectedFollowUps, int WithinMinutes,
    string Source, string? CampaignId, string? CampaignName, long Waiting, DateTimeOffset Oldest, DateTimeOffset Newest);

/// <summary>An event type that declares its follow-ups (activity_types.expected_follow_ups, follow_up_within_minutes).</summary>
public sealed record LifecycleRule(string EventType, string EventCategory, string[] ExpectedFollowUps, int WithinMinutes);

/// <summary>
/// Lifecycle checks: activity_types.expected_follow_ups / follow_up_within_minutes say what should follow an
/// event and by when (MESSAGE_SENT → MESSAGE_DELIVERED or MESSAGE_FAILED within 30 minutes, ...). An event is
/// <b>waiting</b> when it happened within the look-back window, its deadline (timestamp + minutes) has passed,
/// and no <b>matching follow-up</b> exists. A follow-up f matches the original e when f has one of the expected
/// types, f is not e, f."timestamp" ≥ e."timestamp" (a late follow-up still clears it: the event is late, no
/// longer missing), and it belongs to the same conversation:
/// <list type="bullet">
/// <item>e has a correlation id: f has the same correlation id, or f has none and the same lead;</item>
/// <item>e has none: f has the same lead (whatever its correlation id).</item>
/// </list>
/// "Same lead" is the same lead_id, or for an orphan (not yet synced, lead_id null) the same lead_airtable_id.
/// Each NOT EXISTS is an index probe (ix_activity_correlation, ix_activity_lead_time, ix_activity_lead_airtable),
/// and the originals come from ix_activity_type_time over the window, so the cost follows the window's
/// events of the checked types, not the table.
/// </summary>
public static class LifecycleGaps
{
    // The three matches are SubPlans guarded by a cheap test (not anti-joins), so each original costs at most
    // the one index probe that applies to it: by correlation id, by lead, or (orphans) by Airtable id.
    private const string WaitingSql = """
        WITH rules AS (
            SELECT t.name, t.category, t.expected_follow_ups, t.follow_up_within_minutes
            FROM activity_types t
            WHERE cardinality(t.expected_follow_ups) > 0 AND t.follow_up_within_minutes > 0
        ), waiting AS (
            SELECT e.id, e.event_type, r.category, r.expected_follow_ups, r.follow_up_within_minutes, e.source,
                   e.metadata->>'campaign_id' AS campaign_id, e.metadata->>'campaign_name' AS campaign_name, e."timestamp"
            FROM rules r
            JOIN lead_activity_log e ON e.event_type = r.name AND e."timestamp" >= @since
                 AND e."timestamp" < @now - make_interval(mins => r.follow_up_within_minutes)
            WHERE (e.correlation_id IS NULL OR NOT EXISTS (
                    SELECT 1 FROM lead_activity_log f
                    WHERE f.correlation_id = e.correlation_id AND f."timestamp" >= e."timestamp"
                      AND f.event_type = ANY (r.expected_follow_ups) AND f.id <> e.id))
              AND (e.lead_id IS NULL OR NOT EXISTS (
                    SELECT 1 FROM lead_activity_log f
                    WHERE f.lead_id = e.lead_id AND f."timestamp" >= e."timestamp"
                      AND f.event_type = ANY (r.expected_follow_ups) AND f.id <> e.id
                      AND (e.correlation_id IS NULL OR f.correlation_id IS NULL)))
              AND (e.lead_id IS NOT NULL OR NOT EXISTS (
                    SELECT 1 FROM lead_activity_log f
                    WHERE f.lead_airtable_id = e.lead_airtable_id AND f."timestamp" >= e."timestamp"
                      AND f.event_type = ANY (r.expected_follow_ups) AND f.id <> e.id
                      AND (e.correlation_id IS NULL OR f.correlation_id IS NULL)))
        )
        """;

    /// <summary>The rules in force now (read from the table, so a change made on any instance counts at once).</summary>
    public static async Task<IReadOnlyList<LifecycleRule>> RulesAsync(NpgsqlDataSource dataSource, CancellationToken ct = default)
    {
        await using var cmd = dataSource.CreateCommand("""
            SELECT name, category, expected_follow_ups, follow_up_within_minutes FROM activity_types
            WHERE cardinality(expected_follow_ups) > 0 AND follow_up_within_minutes > 0 ORDER BY name
            """);
        var list = new List<LifecycleRule>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct)) list.Add(new(r.GetString(0), r.GetString(1), r.GetFieldValue<string[]>(2), r.GetInt32(3)));
        return list;
    }

    /// <summary>Waiting events grouped by type, source and campaign (metadata campaign_id / campaign_name), most first.</summary>
    public static Task<IReadOnlyList<LifecycleGapGroup>> SummaryAsync(NpgsqlDataSource dataSource, DateTimeOffset now,
        TimeSpan lookback, CancellationToken ct = default) =>
        WithoutJit.RunAsync<IReadOnlyList<LifecycleGapGroup>>(dataSource, async conn =>
        {
            await using var cmd = new NpgsqlCommand(WaitingSql + """
                SELECT event_type, category, expected_follow_ups, follow_up_within_minutes, source, campaign_id, max(campaign_name),
                       count(*), min("timestamp"), max("timestamp")
                FROM waiting
                GROUP BY event_type, category, expected_follow_ups, follow_up_within_minutes, source, campaign_id
                ORDER BY count(*) DESC, min("timestamp")
                """, conn);
            cmd.Parameters.AddWithValue("now", now);
            cmd.Parameters.AddWithValue("since", now - lookback);
            var list = new List<LifecycleGapGroup>();
            await using var r = await cmd.ExecuteReaderAsync(ct);
            while (await r.ReadAsync(ct))
                list.Add(new LifecycleGapGroup(r.GetString(0), r.GetString(1), r.GetFieldValue<string[]>(2), r.GetInt32(3), r.GetString(4),
                    r.IsDBNull(5) ? null : r.GetString(5), r.IsDBNull(6) ? null : r.GetString(6), r.GetInt64(7),
                    r.GetFieldValue<DateTimeOffset>(8), r.GetFieldValue<DateTimeOffset>(9)));
            return list;
        }, ct);

    /// <summary>The waiting events of one group, oldest first (the drill-down).</summary>
    public static Task<List<ActivityRow>> WaitingAsync(NpgsqlDataSource dataSource, DateTimeOffset now, TimeSpan lookback,
        string eventType, string source, string? campaignId, int limit = 100, CancellationToken ct = default) =>
        WithoutJit.RunAsync(dataSource, async conn =>
        {
            await using var cmd = new NpgsqlCommand(WaitingSql + $"""
                SELECT {ActivityRows.SelectColumns}
                FROM {ActivityRows.FromJoins}
                WHERE a.id IN (SELECT id FROM waiting
                               WHERE event_type = @type AND source = @source AND campaign_id IS NOT DISTINCT FROM @campaign)
                ORDER BY a."timestamp", a.id
                LIMIT @limit
                """, conn);
            cmd.Parameters.AddWithValue("now", now);
            cmd.Parameters.AddWithValue("since", now - lookback);
            cmd.Parameters.AddWithValue("type", eventType);
            cmd.Parameters.AddWithValue("source", source);
            cmd.Parameters.Add(new NpgsqlParameter("campaign", NpgsqlTypes.NpgsqlDbType.Text) { Value = (object?)campaignId ?? DBNull.Value });
            cmd.Parameters.AddWithValue("limit", limit);
            return await ActivityRows.ReadAllAsync(cmd, ct);
        }, ct);
}
