using ActivityCrm.Data.Activities;
using ActivityCrm.Data.Analytics;
using Npgsql;

namespace ActivityCrm.Tests.Analytics;

/// <summary>How the rollups follow new events: incrementally, out of order, across slow transactions, through redaction.</summary>
public sealed class AnalyticsRefreshTests : IAsyncLifetime
{
    // A database of its own per test (xunit makes a new instance for each): these tests add events.
    private readonly AnalyticsScenarioDatabase db = new();
    private NpgsqlDataSource ds => db.DataSource;
    private AnalyticsScenario s => db.Scenario;

    public Task InitializeAsync() => db.InitializeAsync();

    public Task DisposeAsync() => db.DisposeAsync();

    private static readonly DateTimeOffset Mar9 = AnalyticsScenario.Mar2.AddDays(7);

    [Fact]
    public async Task Events_added_after_a_refresh_change_the_figures_at_the_next_one()
    {
        var writer = new ActivityWriter(ds);
        var webinar = new AnalyticsFilter(Campaign: s.WebinarKey);
        var before = await AnalyticsQueries.FreshnessAsync(ds);

        // L6 replies 20 minutes after its send; L3's delivery report turns up late, timed before its failure.
        await writer.AppendAsync([
            s.Event("L6", "INBOUND_REPLY", "SMS", AnalyticsScenario.Replies, Mar9.AddHours(12).AddMinutes(30)),
            s.Event("L3", "MESSAGE_DELIVERED", "SMS", AnalyticsScenario.Delivery, AnalyticsScenario.Mar2.AddHours(9).AddMinutes(20).AddSeconds(30)),
        ]);
        Assert.Equal((3, 1), await ReplyAsync(webinar)); // not yet refreshed

        Assert.Equal(2, await AnalyticsRefresher.CatchUpAsync(ds));

        Assert.Equal((3, 2), await ReplyAsync(webinar));
        Assert.Equal([3L, 3, 3, 3, 1], (await AnalyticsQueries.FunnelAsync(ds, webinar)).Total.Select(x => x.Journeys));
        Assert.Equal([4L, 4, 3, 2, 2], (await AnalyticsQueries.FunnelAsync(ds, new(Campaign: s.SpringKey))).Total.Select(x => x.Journeys));
        Assert.Equal(2, (await AnalyticsQueries.ReplyTimeAsync(ds, AnalyticsFilter.None)).Buckets[1].Journeys);
        var mar9 = (await AnalyticsQueries.EventsPerDayAsync(ds, new(From: DateOnly.FromDateTime(Mar9.UtcDateTime), To: DateOnly.FromDateTime(Mar9.UtcDateTime))));
        Assert.Equal(8, mar9.Single(r => r.Category == "SMS").Events);
        var after = await AnalyticsQueries.FreshnessAsync(ds);
        Assert.NotEqual(before.Bookmark, after.Bookmark);
        Assert.True(after.CaughtUpTo > before.CaughtUpTo);
    }

    [Fact]
    public async Task An_event_committed_late_by_a_slow_transaction_is_still_counted()
    {
        var writer = new ActivityWriter(ds);
        // The slow transaction stamps its row (created_at = its start) before the quick one, but commits after it.
        await using var slowConn = await ds.OpenConnectionAsync();
        await using var slow = await slowConn.BeginTransactionAsync();
        await writer.AppendAsync(slowConn, slow, [s.Event("L6", "INBOUND_REPLY", "SMS", AnalyticsScenario.Replies, Mar9.AddHours(13))]);
        await Task.Delay(50);
        await writer.AppendAsync(s.Event("L5", "NOTE_ADDED", "MANUAL", "ui:note-add", Mar9.AddHours(14)));

        await AnalyticsRefresher.CatchUpAsync(ds);
        await slow.CommitAsync();
        await AnalyticsRefresher.CatchUpAsync(ds);

        var counted = (await AnalyticsQueries.EventsPerDayAsync(ds, AnalyticsFilter.None)).Sum(r => r.Events);
        Assert.Equal(await CountAsync("SELECT count(*) FROM lead_activity_log"), counted);
        Assert.Equal((3, 2), await ReplyAsync(new(Campaign: s.WebinarKey)));
    }

    [Fact]
    public async Task Redacted_events_keep_counting_and_a_rebuild_agrees_with_the_incremental_figures()
    {
        var before = await AnalyticsFiguresTests.Snapshot(ds, AnalyticsFilter.None);
        await using (var redact = ds.CreateCommand("""
            UPDATE lead_activity_log SET description = '[redacted]', message_content = NULL, metadata = NULL, redacted_at = now(), redaction_reason = 'test'
            WHERE lead_id = @lead AND event_type = 'INBOUND_REPLY'
            """))
        {
            redact.Parameters.AddWithValue("lead", s.Leads["L1"].Id);
            Assert.Equal(1, await redact.ExecuteNonQueryAsync());
        }
        await AnalyticsRefresher.CatchUpAsync(ds);
        Assert.Equal(before, await AnalyticsFiguresTests.Snapshot(ds, AnalyticsFilter.None));

        await using (var conn = await ds.OpenConnectionAsync())
            await AnalyticsRefresher.RequestRebuildAsync(conn);
        var step = await AnalyticsRefresher.RefreshAsync(ds);

        Assert.Equal(AnalyticsRefreshOutcome.Rebuilt, step.Outcome);
        Assert.Equal(await CountAsync("SELECT count(*) FROM lead_activity_log"), step.Events);
        Assert.Equal(before, await AnalyticsFiguresTests.Snapshot(ds, AnalyticsFilter.None));
    }

    [Fact]
    public async Task A_second_instance_skips_while_one_holds_the_refresh()
    {
        await using var conn = await ds.OpenConnectionAsync();
        await using var tx = await conn.BeginTransactionAsync();
        await using (var lockCmd = new NpgsqlCommand("SELECT pg_advisory_xact_lock(@k)", conn, tx))
        {
            lockCmd.Parameters.AddWithValue("k", AnalyticsRefresher.LockKey);
            await lockCmd.ExecuteNonQueryAsync();
        }

        Assert.Equal(AnalyticsRefreshOutcome.Busy, (await AnalyticsRefresher.RefreshAsync(ds)).Outcome);
        await tx.RollbackAsync();
        Assert.Equal(AnalyticsRefreshOutcome.Incremental, (await AnalyticsRefresher.RefreshAsync(ds)).Outcome);
    }

    private async Task<(long, long)> ReplyAsync(AnalyticsFilter filter)
    {
        var r = await AnalyticsQueries.ReplyRateAsync(ds, filter);
        return (r.Overall.Journeys, r.Overall.RepliedWithin24h);
    }

    private async Task<long> CountAsync(string sql)
    {
        await using var cmd = ds.CreateCommand(sql);
        return (long)(await cmd.ExecuteScalarAsync())!;
    }
}
