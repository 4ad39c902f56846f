using Npgsql;
using NpgsqlTypes;

namespace ActivityCrm.Data.Analytics;

/// <summary>
/// The analytics panels' queries, shared by the /analytics page, the CSV endpoints and the benchmark. They
/// read only the rollups (analytics_journeys, analytics_daily_counts) and the small ingestion_failures,
/// never lead_activity_log, so their cost follows leads × campaigns and days, not events. Every figure and
/// its SQL is spelled out in docs/analytics.md; keep the two in step.
/// </summary>
public static class AnalyticsQueries
{
    private const string CampaignName = "coalesce(c.name, x.campaign_key)";
    private const string CampaignJoin = "LEFT JOIN campaigns c ON c.id::text = x.campaign_key";

    /// <summary>Panel 1: share of journeys with a reply within 24 hours of their first MESSAGE_SENT,
    /// overall (the lead's whole history, or the filtered campaign), by campaign and by ISO week of that send.</summary>
    public static async Task<ReplyRateResult> ReplyRateAsync(NpgsqlDataSource dataSource, AnalyticsFilter filter, CancellationToken ct = default)
    {
        const string Replied = "count(*) FILTER (WHERE first_reply_at <= first_sent_at + interval '24 hours')";
        var scope = Journeys(filter, "first_sent_at", campaignRows: false);
        var overall = ReplyRateRow.Of("overall", "", filter.Campaign is null ? "All leads" : "Campaign", 0, 0);
        await using (var cmd = scope.Command(dataSource, $"SELECT count(*), {Replied} FROM analytics_journeys x WHERE {scope.Sql}"))
        await using (var r = await cmd.ExecuteReaderAsync(ct))
            if (await r.ReadAsync(ct)) overall = ReplyRateRow.Of(overall.Scope, overall.Key, overall.Label, r.GetInt64(0), r.GetInt64(1));

        var byCampaign = new List<ReplyRateRow>();
        var campaigns = Journeys(filter, "first_sent_at", campaignRows: true);
        await using (var cmd = campaigns.Command(dataSource, $"""
            SELECT x.campaign_key, {CampaignName}, x.journeys, x.replied
            FROM (SELECT campaign_key, count(*) AS journeys, {Replied} AS replied FROM analytics_journeys x
                  WHERE {campaigns.Sql} GROUP BY campaign_key) x
            {CampaignJoin}
            ORDER BY 2, 1
            """))
        await using (var r = await cmd.ExecuteReaderAsync(ct))
            while (await r.ReadAsync(ct)) byCampaign.Add(ReplyRateRow.Of("campaign", r.GetString(0), r.GetString(1), r.GetInt64(2), r.GetInt64(3)));

        var byWeek = new List<ReplyRateRow>();
        await using (var cmd = scope.Command(dataSource, $"""
            SELECT to_char(week, 'IYYY-"W"IW'), to_char(week, 'YYYY-MM-DD'), journeys, replied
            FROM (SELECT date_trunc('week', first_sent_at AT TIME ZONE 'UTC') AS week, count(*) AS journeys, {Replied} AS replied
                  FROM analytics_journeys x WHERE {scope.Sql} GROUP BY 1) w
            ORDER BY week
            """))
        await using (var r = await cmd.ExecuteReaderAsync(ct))
            while (await r.ReadAsync(ct)) byWeek.Add(ReplyRateRow.Of("week", r.GetString(0), "Week of " + r.GetString(1), r.GetInt64(2), r.GetInt64(3)));
        return new(overall, byCampaign, byWeek);
    }

    /// <summary>Panel 2: strict funnel of campaign journeys enrolled in the period: each stage counts the
    /// journeys that reached it and every stage before it.</summary>
    public static async Task<FunnelResult> FunnelAsync(NpgsqlDataSource dataSource, AnalyticsFilter filter, CancellationToken ct = default)
    {
        var q = Journeys(filter, "enrolled_at", campaignRows: true);
        var perCampaign = new List<(string Key, string Name, long[] Counts)>();
        await using (var cmd = q.Command(dataSource, $"""
            SELECT x.campaign_key, {CampaignName}, x.enrolled, x.sent, x.delivered, x.replied, x.booked
            FROM (SELECT campaign_key, count(*) AS enrolled,
                         count(*) FILTER (WHERE first_sent_at IS NOT NULL) AS sent,
                         count(*) FILTER (WHERE first_sent_at IS NOT NULL AND first_delivered_at IS NOT NULL) AS delivered,
                         count(*) FILTER (WHERE first_sent_at IS NOT NULL AND first_delivered_at IS NOT NULL AND first_reply_at IS NOT NULL) AS replied,
                         count(*) FILTER (WHERE first_sent_at IS NOT NULL AND first_delivered_at IS NOT NULL AND first_reply_at IS NOT NULL
                                          AND first_booked_at IS NOT NULL) AS booked
                  FROM analytics_journeys x WHERE {q.Sql} GROUP BY campaign_key) x
            {CampaignJoin}
            ORDER BY 2, 1
            """))
        await using (var r = await cmd.ExecuteReaderAsync(ct))
            while (await r.ReadAsync(ct))
                perCampaign.Add((r.GetString(0), r.GetString(1), Enumerable.Range(2, 5).Select(r.GetInt64).ToArray()));

        var rows = new List<FunnelStageRow>();
        void AddStages(string key, string name, long[] counts)
        {
            for (var i = 0; i < counts.Length; i++)
                rows.Add(new(key, name, i + 1, FunnelResult.Stages[i], counts[i],
                    i == 0 || counts[i - 1] == 0 ? null : 1 - (double)counts[i] / counts[i - 1]));
        }
        AddStages("", FunnelResult.AllCampaigns, Enumerable.Range(0, 5).Select(i => perCampaign.Sum(c => c.Counts[i])).ToArray());
        foreach (var c in perCampaign) AddStages(c.Key, c.Name, c.Counts);
        return new(rows);
    }

    /// <summary>Panel 3: campaign journeys whose first booking, or opt-out, fell in the period.</summary>
    public static async Task<IReadOnlyList<CampaignOutcomeRow>> BookingsAndOptOutsAsync(NpgsqlDataSource dataSource, AnalyticsFilter filter, CancellationToken ct = default)
    {
        var q = Journeys(filter, null, campaignRows: true);
        var booked = q.Range("first_booked_at");
        var optedOut = q.Range("opted_out_at");
        var rows = new List<CampaignOutcomeRow>();
        await using var cmd = q.Command(dataSource, $"""
            SELECT x.campaign_key, {CampaignName}, x.booked, x.opted_out
            FROM (SELECT campaign_key, count(*) FILTER (WHERE {booked}) AS booked, count(*) FILTER (WHERE {optedOut}) AS opted_out
                  FROM analytics_journeys x WHERE {q.Sql} AND (first_booked_at IS NOT NULL OR opted_out_at IS NOT NULL)
                  GROUP BY campaign_key) x
            {CampaignJoin}
            WHERE x.booked > 0 OR x.opted_out > 0
            ORDER BY 2, 1
            """);
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct)) rows.Add(new(r.GetString(0), r.GetString(1), r.GetInt64(2), r.GetInt64(3)));
        return rows;
    }

    /// <summary>Panel 4: time from a journey's first MESSAGE_SENT to its first reply after it, bucketed.</summary>
    public static async Task<ReplyTimeResult> ReplyTimeAsync(NpgsqlDataSource dataSource, AnalyticsFilter filter, CancellationToken ct = default)
    {
        var q = Journeys(filter, "first_sent_at", campaignRows: false);
        var counts = new long[ReplyTimeResult.Edges.Count];
        long notReplied = 0;
        await using (var cmd = q.Command(dataSource, $"""
            SELECT CASE WHEN first_reply_at IS NULL THEN -1
                        WHEN first_reply_at - first_sent_at < interval '5 minutes' THEN 0
                        WHEN first_reply_at - first_sent_at < interval '30 minutes' THEN 1
                        WHEN first_reply_at - first_sent_at < interval '2 hours' THEN 2
                        WHEN first_reply_at - first_sent_at <= interval '24 hours' THEN 3
                        WHEN first_reply_at - first_sent_at < interval '7 days' THEN 4
                        ELSE 5 END AS bucket, count(*)
            FROM analytics_journeys x WHERE {q.Sql} GROUP BY 1
            """))
        await using (var r = await cmd.ExecuteReaderAsync(ct))
            while (await r.ReadAsync(ct))
            {
                var bucket = r.GetInt32(0);
                if (bucket < 0) notReplied = r.GetInt64(1); else counts[bucket] = r.GetInt64(1);
            }
        return new(ReplyTimeResult.Edges.Select((e, i) => new ReplyTimeBucketRow(i, e.Label, counts[i])).ToList(), notReplied);
    }

    /// <summary>Panel 5: events per UTC day and category.</summary>
    public static async Task<IReadOnlyList<DayCategoryRow>> EventsPerDayAsync(NpgsqlDataSource dataSource, AnalyticsFilter filter, CancellationToken ct = default)
    {
        var q = Daily(filter);
        var rows = new List<DayCategoryRow>();
        await using var cmd = q.Command(dataSource, $"""
            SELECT day, event_category, sum(events)::bigint FROM analytics_daily_counts x
            WHERE {q.Sql} GROUP BY 1, 2 ORDER BY 1, 2
            """);
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct)) rows.Add(new(r.GetFieldValue<DateOnly>(0), r.GetString(1), r.GetInt64(2)));
        return rows;
    }

    /// <summary>Panel 6: the sources that stored the most events in the period.</summary>
    public static async Task<IReadOnlyList<SourceCountRow>> TopSourcesAsync(NpgsqlDataSource dataSource, AnalyticsFilter filter, int limit = 10, CancellationToken ct = default)
    {
        var q = Daily(filter);
        var rows = new List<SourceCountRow>();
        await using var cmd = q.Command(dataSource, $"""
            SELECT source, sum(events)::bigint FROM analytics_daily_counts x
            WHERE {q.Sql} GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT {Math.Clamp(limit, 1, 100)}
            """);
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct)) rows.Add(new(r.GetString(0), r.GetInt64(1)));
        return rows;
    }

    /// <summary>Panel 7: per source, MESSAGE_FAILED against MESSAGE_SENT + MESSAGE_FAILED, and the
    /// requests from it that were dead-lettered (by date and the API key's client; not attributable to a campaign).</summary>
    public static async Task<IReadOnlyList<SourceFailureRow>> FailureRatesAsync(NpgsqlDataSource dataSource, AnalyticsFilter filter, CancellationToken ct = default)
    {
        var q = Daily(filter);
        var dead = new Where();
        dead.AddRange("f.received_at", filter);
        if (filter.ClientId is { } client) dead.Add("k.client_id = @dl_client", new("dl_client", NpgsqlDbType.Uuid) { Value = client });
        var rows = new List<SourceFailureRow>();
        await using var cmd = q.Command(dataSource, $"""
            WITH sms AS (
                SELECT source, sum(events) FILTER (WHERE event_type = 'MESSAGE_SENT')::bigint AS sent,
                       sum(events) FILTER (WHERE event_type = 'MESSAGE_FAILED')::bigint AS failed
                FROM analytics_daily_counts x
                WHERE {q.Sql} AND event_type IN ('MESSAGE_SENT', 'MESSAGE_FAILED')
                GROUP BY source
            ), dead AS (
                SELECT coalesce(f.source, '(no source)') AS source, count(*) AS dead_letters
                FROM ingestion_failures f LEFT JOIN api_keys k ON k.id = f.api_key_id
                WHERE {dead.Sql}
                GROUP BY 1
            )
            SELECT source, coalesce(sms.sent, 0), coalesce(sms.failed, 0), coalesce(dead.dead_letters, 0)
            FROM sms FULL JOIN dead USING (source)
            ORDER BY coalesce(sms.failed, 0) + coalesce(dead.dead_letters, 0) DESC, source
            """, also: dead);
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct)) rows.Add(SourceFailureRow.Of(r.GetString(0), r.GetInt64(1), r.GetInt64(2), r.GetInt64(3)));
        return rows;
    }

    public static async Task<AnalyticsFreshness> FreshnessAsync(NpgsqlDataSource dataSource, CancellationToken ct = default)
    {
        await using var cmd = dataSource.CreateCommand("""
            SELECT caught_up_to, refreshed_at, rebuilt_at, events_created_at::text || '/' || events_id::text FROM analytics_state WHERE id = 1
            """);
        await using var r = await cmd.ExecuteReaderAsync(ct);
        if (!await r.ReadAsync(ct)) return new(null, null, null, null);
        DateTimeOffset? At(int i) => r.IsDBNull(i) ? null : r.GetFieldValue<DateTimeOffset>(i);
        return new(At(0), At(1), At(2), r.IsDBNull(3) ? null : r.GetString(3));
    }

    public static async Task<AnalyticsFilterOptions> FilterOptionsAsync(NpgsqlDataSource dataSource, CancellationToken ct = default)
    {
        var clients = new List<ClientOption>();
        var campaigns = new List<CampaignOption>();
        await using var batch = dataSource.CreateBatch();
        batch.BatchCommands.Add(new("SELECT id, name FROM clients ORDER BY name"));
        batch.BatchCommands.Add(new("SELECT id::text, name, client_id FROM campaigns WHERE archived_at IS NULL ORDER BY name"));
        await using var r = await batch.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct)) clients.Add(new(r.GetGuid(0), r.GetString(1)));
        await r.NextResultAsync(ct);
        while (await r.ReadAsync(ct)) campaigns.Add(new(r.GetString(0), r.GetString(1), r.IsDBNull(2) ? null : r.GetGuid(2)));
        return new(clients, campaigns);
    }

    /// <param name="dateColumn">The journey date the period applies to (null: the caller filters by dates itself).</param>
    /// <param name="campaignRows">True: one row per campaign journey; false: the lead-wide rows, or the filtered campaign's.</param>
    private static Where Journeys(AnalyticsFilter filter, string? dateColumn, bool campaignRows)
    {
        var w = new Where { Filter = filter };
        if (campaignRows)
        {
            w.Add("x.campaign_key <> ''");
            if (filter.Campaign is { } c) w.Add("x.campaign_key = @campaign", new("campaign", NpgsqlDbType.Text) { Value = c });
        }
        else w.Add("x.campaign_key = @scope", new("scope", NpgsqlDbType.Text) { Value = filter.Campaign ?? "" });
        if (dateColumn is not null)
        {
            w.AddRange("x." + dateColumn, filter);
        }
        if (filter.ClientId is { } client) w.Add("x.client_id = @client", new("client", NpgsqlDbType.Uuid) { Value = client });
        return w;
    }

    private static Where Daily(AnalyticsFilter filter)
    {
        var w = new Where { Filter = filter };
        if (filter.From is { } f) w.Add("x.day >= @day_from", new("day_from", NpgsqlDbType.Date) { Value = f });
        if (filter.To is { } t) w.Add("x.day <= @day_to", new("day_to", NpgsqlDbType.Date) { Value = t });
        if (filter.ClientId is { } client) w.Add("x.client_id = @client", new("client", NpgsqlDbType.Uuid) { Value = client });
        if (filter.Campaign is { } c) w.Add("x.campaign_key = @campaign", new("campaign", NpgsqlDbType.Text) { Value = c });
        return w;
    }

    /// <summary>A WHERE clause built from the filter, with its parameters; conditions left out when unset,
    /// so the planner sees only what applies.</summary>
    private sealed class Where
    {
        private readonly List<string> conditions = [];
        private readonly List<NpgsqlParameter> parameters = [];
        public AnalyticsFilter Filter { get; init; } = AnalyticsFilter.None;

        public string Sql => conditions.Count == 0 ? "true" : string.Join(" AND ", conditions);

        public void Add(string condition, NpgsqlParameter? parameter = null)
        {
            conditions.Add(condition);
            if (parameter is not null) Param(parameter);
        }

        private void Param(NpgsqlParameter p)
        {
            if (parameters.All(x => x.ParameterName != p.ParameterName)) parameters.Add(p);
        }

        public void AddRange(string column, AnalyticsFilter filter) => Add(RangeOf(column, filter));

        /// <summary>The period as a boolean expression on a column (its parameters join this clause's).</summary>
        public string Range(string column) => RangeOf("x." + column, Filter);

        private string RangeOf(string column, AnalyticsFilter filter)
        {
            var parts = new List<string> { $"{column} IS NOT NULL" };
            if (filter.FromInstant is { } from) { parts.Add($"{column} >= @from"); Param(new("from", NpgsqlDbType.TimestampTz) { Value = from }); }
            if (filter.ToInstantExclusive is { } to) { parts.Add($"{column} < @to"); Param(new("to", NpgsqlDbType.TimestampTz) { Value = to }); }
            return string.Join(" AND ", parts);
        }

        public NpgsqlCommand Command(NpgsqlDataSource dataSource, string sql, Where? also = null)
        {
            var cmd = dataSource.CreateCommand(sql);
            foreach (var p in parameters.Concat(also?.parameters ?? []).DistinctBy(p => p.ParameterName)) cmd.Parameters.Add(p.Clone());
            return cmd;
        }
    }
}
