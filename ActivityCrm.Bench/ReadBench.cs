using ActivityCrm.Data.Activities;
using ActivityCrm.Data.Analytics;
using Npgsql;

namespace ActivityCrm.Bench;

/// <summary>
/// Server-side read timings through the same query code the pages and APIs use, each next to PostgreSQL's
/// own limit measured in the same run: the bare index scan that returns the same page's ids and nothing else.
/// </summary>
public sealed class ReadBench(NpgsqlDataSource ds, Report report, int iterations = 40)
{
    private sealed record Case(string Name, ActivityFilter Filter, string BareWhere, Action<NpgsqlCommand>? Bind = null);

    public async Task RunAsync()
    {
        var probe = await ProbeAsync();
        await TimelineAsync(probe);
        await BrowserAsync(probe);
        await KeysetVersusOffsetAsync();
    }

    private sealed record Probe(Guid HeavyLead, long HeavyEvents, Guid TypicalLead, long TypicalEvents, Guid Client,
        string CommonWord, string RareWord, string Source);

    private async Task<Probe> ProbeAsync()
    {
        var heavy = await RowAsync("""
            SELECT lead_id, count(*) FROM lead_activity_log WHERE lead_id IS NOT NULL GROUP BY lead_id ORDER BY count(*) DESC LIMIT 1
            """);
        var typical = await RowAsync("""
            WITH c AS (SELECT lead_id, count(*) n FROM lead_activity_log TABLESAMPLE SYSTEM (1) WHERE lead_id IS NOT NULL GROUP BY lead_id)
            SELECT l.lead_id, (SELECT count(*) FROM lead_activity_log a WHERE a.lead_id = l.lead_id)
            FROM (SELECT lead_id FROM c ORDER BY n, lead_id OFFSET (SELECT count(*) / 2 FROM c) LIMIT 1) l
            """);
        await using var client = ds.CreateCommand("SELECT id FROM clients ORDER BY name LIMIT 1");
        var clientId = (Guid)(await client.ExecuteScalarAsync())!;
        // A word in many demo messages, and one in very few: what the search budgets are about.
        return new Probe((Guid)heavy[0], (long)heavy[1], (Guid)typical[0], (long)typical[1], clientId,
            CommonWord: "pricing", RareWord: "walkthrough", Source: "n8n:reply-handler");
    }

    private async Task TimelineAsync(Probe p)
    {
        foreach (var (label, lead, events) in new[] { ("heavy lead", p.HeavyLead, p.HeavyEvents), ("typical lead", p.TypicalLead, p.TypicalEvents) })
        {
            var first = await Samples.TimeAsync(iterations, async _ => await LeadTimeline.ReadAsync(ds, new TimelineQuery(lead)));
            var bare = await BareAsync("lead_id = @lead", 100, c => c.Parameters.AddWithValue("lead", lead));
            report.Add(new("Timeline", $"First page (100), {label} ({events:N0} events)", Report.Dist(first), "p95 ≤ 10 ms",
                first.P95 <= 10, Report.Ratio(first, bare)));
            if (events < 1000) continue;

            // Deep: walk half the history by cursor, then time that page.
            TimelineCursor? cursor = null;
            var pages = (int)Math.Min(events / 100 / 2, 250);
            for (var i = 0; i < pages; i++) cursor = (await LeadTimeline.ReadAsync(ds, new TimelineQuery(lead, After: cursor))).Next;
            var deep = await Samples.TimeAsync(iterations, async _ => await LeadTimeline.ReadAsync(ds, new TimelineQuery(lead, After: cursor)));
            report.Add(new("Timeline", $"Page {pages + 1} by cursor, {label}", Report.Dist(deep), "p95 ≤ 10 ms", deep.P95 <= 10,
                $"{deep.P95 / first.P95:N2}× the first page's p95"));
        }
    }

    private async Task BrowserAsync(Probe p)
    {
        var now = DateTimeOffset.UtcNow;
        var cases = new List<Case>
        {
            new("no filter", new ActivityFilter(), "true"),
            new("eventType = MESSAGE_SENT (common)", new ActivityFilter { EventTypes = ["MESSAGE_SENT"] }, "event_type = 'MESSAGE_SENT'"),
            new("eventType = CIRCUIT_BREAKER_TRIGGERED (rare)", new ActivityFilter { EventTypes = ["CIRCUIT_BREAKER_TRIGGERED"] }, "event_type = 'CIRCUIT_BREAKER_TRIGGERED'"),
            new("two event types", new ActivityFilter { EventTypes = ["INBOUND_REPLY", "OPT_OUT"] }, "event_type IN ('INBOUND_REPLY', 'OPT_OUT')"),
            new("category = BOOKING", new ActivityFilter { Categories = ["BOOKING"] }, "event_category = 'BOOKING'"),
            new($"source = {p.Source}", new ActivityFilter { Source = p.Source }, "source = @v", c => c.Parameters.AddWithValue("v", p.Source)),
            new("actorType = agent", new ActivityFilter { ActorType = "agent" }, "actor_type = 'agent'"),
            new("clientId", new ActivityFilter { ClientId = p.Client }, "client_id = @v", c => c.Parameters.AddWithValue("v", p.Client)),
            new("leadId (heavy lead)", new ActivityFilter { LeadId = p.HeavyLead }, "lead_id = @v", c => c.Parameters.AddWithValue("v", p.HeavyLead)),
            new("last 24 hours", new ActivityFilter { Range = "24h" }, "\"timestamp\" >= now() - interval '24 hours'"),
            new("last 7 days", new ActivityFilter { Range = "7d" }, "\"timestamp\" >= now() - interval '7 days'"),
            new($"search \"{p.CommonWord}\" (common word)", new ActivityFilter { Search = p.CommonWord },
                "search_vector @@ websearch_to_tsquery('english', @v)", c => c.Parameters.AddWithValue("v", p.CommonWord)),
            new($"search \"{p.RareWord}\" (rare word)", new ActivityFilter { Search = p.RareWord },
                "search_vector @@ websearch_to_tsquery('english', @v)", c => c.Parameters.AddWithValue("v", p.RareWord)),
        };

        foreach (var c in cases)
        {
            var first = await Samples.TimeAsync(iterations, async _ => await ActivityQuery.PageAsync(ds, c.Filter, now));
            var bare = await BareAsync(c.BareWhere, 50, c.Bind);
            var isSearch = c.Filter.HasSearch;
            report.Add(new("Activity browser", $"Page 1, {c.Name}", Report.Dist(first), isSearch ? "p95 ≤ 100 ms" : "p95 ≤ 30 ms",
                first.P95 <= (isSearch ? 100 : 30), Report.Ratio(first, bare)));

            // Page 200, reached the way the page and the API reach it: by following next cursors.
            var filter = c.Filter;
            var reached = 1;
            for (; reached < 200; reached++)
            {
                var page = await ActivityQuery.PageAsync(ds, filter, now);
                if (page.NextCursor is null) break;
                filter = filter with { Cursor = page.NextCursor, Page = reached + 1 };
            }
            if (reached < 200)
            {
                report.Add(new("Activity browser", $"Page 200, {c.Name}", "n/a", "", null, $"only {reached} pages of results"));
                continue;
            }
            var deep = await Samples.TimeAsync(iterations, async _ => await ActivityQuery.PageAsync(ds, filter, now));
            var ratio = deep.P95 / first.P95;
            report.Add(new("Activity browser", $"Page 200 by cursor, {c.Name}", Report.Dist(deep), "≤ 1.5× page 1",
                deep.Median <= 1.5 * first.Median, $"{deep.Median / first.Median:N2}× page 1 (median), {ratio:N2}× (p95)"));
        }
    }

    /// <summary>The PRD's approach (OFFSET + count(*) on every page) against keyset paging, both at page 200.</summary>
    private async Task KeysetVersusOffsetAsync()
    {
        var prd = await Samples.TimeAsync(5, async _ =>
        {
            await using (var page = ds.CreateCommand($"SELECT {ActivityRows.SelectColumns} FROM {ActivityRows.FromJoins} ORDER BY a.\"timestamp\" DESC LIMIT 50 OFFSET 9950"))
                await ActivityRows.ReadAllAsync(page, default);
            await using var count = ds.CreateCommand("SELECT count(*) FROM lead_activity_log");
            await count.ExecuteScalarAsync();
        }, warmup: 1);
        var filter = new ActivityFilter();
        for (var i = 1; i < 200; i++) filter = filter with { Cursor = (await ActivityQuery.PageAsync(ds, filter)).NextCursor, Page = i + 1 };
        var keyset = await Samples.TimeAsync(iterations, async _ => await ActivityQuery.PageAsync(ds, filter));
        report.Add(new("Activity browser", "Page 200: the PRD's OFFSET + count(*) vs our keyset page", $"{Report.Dist(prd)} vs {Report.Dist(keyset)}",
            "", null, $"keyset is {prd.Median / keyset.Median:N0}× faster (median)"));
    }

    public async Task AnalyticsAsync()
    {
        var sw = System.Diagnostics.Stopwatch.StartNew();
        var caughtUp = await AnalyticsRefresher.CatchUpAsync(ds);
        report.Add(new("Analytics", "Rollups built from the whole history (once; incremental afterwards)", $"{sw.Elapsed.TotalSeconds:N0} s", "", null,
            $"{caughtUp:N0} events processed"));
        var last90 = new AnalyticsFilter(DateOnly.FromDateTime(DateTime.UtcNow.AddDays(-90)), DateOnly.FromDateTime(DateTime.UtcNow));
        var all = AnalyticsFilter.None;
        var panels = new (string Name, Func<AnalyticsFilter, Task> Run)[]
        {
            ("Reply rate within 24 h", f => AnalyticsQueries.ReplyRateAsync(ds, f)),
            ("Campaign funnel", f => AnalyticsQueries.FunnelAsync(ds, f)),
            ("Bookings and opt-outs", f => AnalyticsQueries.BookingsAndOptOutsAsync(ds, f)),
            ("Time to first reply", f => AnalyticsQueries.ReplyTimeAsync(ds, f)),
            ("Events per day by category", f => AnalyticsQueries.EventsPerDayAsync(ds, f)),
            ("Top sources", f => AnalyticsQueries.TopSourcesAsync(ds, f)),
            ("Failure rate per source", f => AnalyticsQueries.FailureRatesAsync(ds, f)),
        };
        // PostgreSQL's own cost for the same kind of figure without rollups: events per day by category, 90 days, from the raw table.
        var raw = await Samples.TimeAsync(3, async _ =>
        {
            await using var cmd = ds.CreateCommand("""
                SELECT date_trunc('day', "timestamp" AT TIME ZONE 'UTC'), event_category, count(*) FROM lead_activity_log
                WHERE "timestamp" >= now() - interval '90 days' GROUP BY 1, 2
                """);
            await using var r = await cmd.ExecuteReaderAsync();
            while (await r.ReadAsync()) { }
        }, warmup: 1);
        foreach (var (name, run) in panels)
            foreach (var (range, f) in new[] { ("last 90 days", last90), ("all time", all) })
            {
                var s = await Samples.TimeAsync(10, async _ => await run(f), warmup: 1);
                report.Add(new("Analytics", $"{name}, {range}", Report.Dist(s), "< 2 s", s.P95 < 2000,
                    name.StartsWith("Events per day") && range == "last 90 days" ? $"raw-table GROUP BY for the same figure: {Report.Dist(raw)} ({raw.Median / s.Median:N0}× slower)" : ""));
            }
    }

    private async Task<Samples> BareAsync(string where, int limit, Action<NpgsqlCommand>? bind) =>
        await Samples.TimeAsync(iterations, async _ =>
        {
            await using var cmd = ds.CreateCommand($"SELECT id FROM lead_activity_log WHERE {where} ORDER BY \"timestamp\" DESC, id DESC LIMIT {limit}");
            bind?.Invoke(cmd);
            await using var r = await cmd.ExecuteReaderAsync();
            while (await r.ReadAsync()) { }
        });

    private async Task<object[]> RowAsync(string sql)
    {
        await using var cmd = ds.CreateCommand(sql);
        await using var r = await cmd.ExecuteReaderAsync();
        await r.ReadAsync();
        var values = new object[r.FieldCount];
        r.GetValues(values);
        return values;
    }
}
