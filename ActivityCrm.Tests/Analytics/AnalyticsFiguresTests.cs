using ActivityCrm.Data.Analytics;

namespace ActivityCrm.Tests.Analytics;

/// <summary>Every panel's figures on the hand-built scenario (its table is in <see cref="AnalyticsScenario"/>).</summary>
public sealed class AnalyticsFiguresTests(AnalyticsScenarioDatabase db) : IClassFixture<AnalyticsScenarioDatabase>
{
    private AnalyticsScenario S => db.Scenario;
    private static readonly DateOnly Mar8 = new(2026, 3, 8), Mar9 = new(2026, 3, 9);

    [Fact]
    public async Task Reply_rate_within_24_hours_is_counted_from_each_leads_first_send_overall_by_campaign_and_by_iso_week()
    {
        var r = await AnalyticsQueries.ReplyRateAsync(db.DataSource, AnalyticsFilter.None);

        // L1, L2, L5, L7 replied within 24 h; L4 after 30 h; L3, L8, L6 never.
        Assert.Equal((8, 4), (r.Overall.Journeys, r.Overall.RepliedWithin24h));
        Assert.Equal(0.5, r.Overall.Rate);
        Assert.Equal([("Spring Promo", 4L, 2L), ("Webinar Replay", 3L, 1L)], r.ByCampaign.Select(c => (c.Label, c.Journeys, c.RepliedWithin24h)));
        Assert.Equal([("2026-W10", 5L, 3L), ("2026-W11", 3L, 1L)], r.ByWeek.Select(w => (w.Key, w.Journeys, w.RepliedWithin24h)));
        Assert.Equal("Week of 2026-03-02", r.ByWeek[0].Label);
    }

    [Fact]
    public async Task Reply_rate_follows_the_client_campaign_and_date_filters()
    {
        var clientA = await AnalyticsQueries.ReplyRateAsync(db.DataSource, new(ClientId: S.ClientA));
        Assert.Equal((5, 3), (clientA.Overall.Journeys, clientA.Overall.RepliedWithin24h));
        Assert.Equal(["Spring Promo"], clientA.ByCampaign.Select(c => c.Label));

        var webinar = await AnalyticsQueries.ReplyRateAsync(db.DataSource, new(Campaign: S.WebinarKey));
        Assert.Equal((3, 1), (webinar.Overall.Journeys, webinar.Overall.RepliedWithin24h));
        Assert.Equal(["Webinar Replay"], webinar.ByCampaign.Select(c => c.Label));

        var secondWeek = await AnalyticsQueries.ReplyRateAsync(db.DataSource, new(From: Mar9));
        Assert.Equal((3, 1), (secondWeek.Overall.Journeys, secondWeek.Overall.RepliedWithin24h));
        Assert.Equal(["2026-W11"], secondWeek.ByWeek.Select(w => w.Key));

        var firstDay = await AnalyticsQueries.ReplyRateAsync(db.DataSource, new(From: new DateOnly(2026, 3, 2), To: new DateOnly(2026, 3, 2)));
        Assert.Equal((4, 2), (firstDay.Overall.Journeys, firstDay.Overall.RepliedWithin24h));
    }

    [Fact]
    public async Task Funnel_counts_each_stage_strictly_and_names_the_stage_with_the_highest_drop_off()
    {
        var f = await AnalyticsQueries.FunnelAsync(db.DataSource, AnalyticsFilter.None);

        Assert.Equal([7L, 7, 5, 4, 3], f.Total.Select(s => s.Journeys));
        Assert.Equal(FunnelResult.Stages, f.Total.Select(s => s.Stage));
        Assert.Null(f.Total[0].DropOff);
        Assert.Equal(2.0 / 7, f.Total[2].DropOff!.Value, 9);
        Assert.Equal(("Message sent", "Delivered", 2L), (f.HighestDropOff()!.FromStage, f.HighestDropOff()!.ToStage, f.HighestDropOff()!.Lost));

        var spring = f.Rows.Where(r => r.CampaignKey == S.SpringKey).Select(r => r.Journeys);
        var webinar = f.Rows.Where(r => r.CampaignKey == S.WebinarKey).Select(r => r.Journeys);
        Assert.Equal([4L, 4, 2, 2, 2], spring);
        Assert.Equal([3L, 3, 3, 2, 1], webinar);
        Assert.Equal("Delivered", f.HighestDropOff(S.SpringKey)!.ToStage);
        Assert.Equal(("Replied", "Booked", 0.5), (f.HighestDropOff(S.WebinarKey)!.FromStage, f.HighestDropOff(S.WebinarKey)!.ToStage, f.HighestDropOff(S.WebinarKey)!.Rate));
    }

    [Fact]
    public async Task Funnel_follows_the_filters()
    {
        var clientB = await AnalyticsQueries.FunnelAsync(db.DataSource, new(ClientId: S.ClientB));
        Assert.Equal([3L, 3, 3, 2, 1], clientB.Total.Select(s => s.Journeys));
        Assert.Equal("Booked", clientB.HighestDropOff()!.ToStage);

        var spring = await AnalyticsQueries.FunnelAsync(db.DataSource, new(Campaign: S.SpringKey));
        Assert.Equal([4L, 4, 2, 2, 2], spring.Total.Select(s => s.Journeys));

        var firstWeek = await AnalyticsQueries.FunnelAsync(db.DataSource, new(To: Mar8));
        Assert.Equal([4L, 4, 2, 2, 2], firstWeek.Total.Select(s => s.Journeys));
        Assert.Equal([S.SpringKey], firstWeek.ByCampaign.Select(g => g.Key));
    }

    [Fact]
    public async Task Bookings_and_opt_outs_are_counted_per_campaign_by_the_date_they_happened()
    {
        var all = await AnalyticsQueries.BookingsAndOptOutsAsync(db.DataSource, AnalyticsFilter.None);
        Assert.Equal([("Spring Promo", 2L, 0L), ("Webinar Replay", 1L, 1L)], all.Select(r => (r.Campaign, r.Booked, r.OptedOut)));

        var firstWeek = await AnalyticsQueries.BookingsAndOptOutsAsync(db.DataSource, new(To: Mar8));
        Assert.Equal([("Spring Promo", 2L, 0L)], firstWeek.Select(r => (r.Campaign, r.Booked, r.OptedOut)));

        // L4 opted out on Mar 10; L5 booked on Mar 9.
        var tenth = await AnalyticsQueries.BookingsAndOptOutsAsync(db.DataSource, new(From: new DateOnly(2026, 3, 10)));
        Assert.Equal([("Webinar Replay", 0L, 1L)], tenth.Select(r => (r.Campaign, r.Booked, r.OptedOut)));

        Assert.Empty(await AnalyticsQueries.BookingsAndOptOutsAsync(db.DataSource, new(ClientId: S.ClientA, Campaign: S.WebinarKey)));
    }

    [Fact]
    public async Task Time_to_first_reply_falls_into_the_right_buckets()
    {
        var all = await AnalyticsQueries.ReplyTimeAsync(db.DataSource, AnalyticsFilter.None);
        // L1 3 min, L5 15 min, L2 60 min, L7 12 h, L4 30 h.
        Assert.Equal([1L, 1, 1, 1, 1, 0], all.Buckets.Select(b => b.Journeys));
        Assert.Equal(["< 5 min", "5–30 min", "30 min–2 h", "2–24 h", "1–7 days", "> 7 days"], all.Buckets.Select(b => b.Bucket));
        Assert.Equal(3, all.NotReplied);

        var spring = await AnalyticsQueries.ReplyTimeAsync(db.DataSource, new(Campaign: S.SpringKey));
        Assert.Equal([1L, 0, 1, 0, 0, 0], spring.Buckets.Select(b => b.Journeys));
        Assert.Equal(2, spring.NotReplied);
    }

    [Fact]
    public async Task Events_per_day_are_stacked_by_category_in_utc_days()
    {
        var rows = await AnalyticsQueries.EventsPerDayAsync(db.DataSource, AnalyticsFilter.None);
        Assert.Equal(
        [
            ("2026-03-02", "BOOKING", 2L), ("2026-03-02", "CAMPAIGN", 4L), ("2026-03-02", "SMS", 10L),
            ("2026-03-03", "SMS", 3L),
            ("2026-03-09", "BOOKING", 1L), ("2026-03-09", "CAMPAIGN", 3L), ("2026-03-09", "SMS", 7L),
            ("2026-03-10", "SMS", 2L),
        ], rows.Select(r => (r.Day.ToString("yyyy-MM-dd"), r.Category, r.Events)));
    }

    [Fact]
    public async Task Events_per_day_follow_the_filters_with_outcomes_attributed_to_the_last_campaign_touch()
    {
        // L4's reply and opt-out on Mar 10 carry no campaign; they belong to its Webinar send.
        var webinar = await AnalyticsQueries.EventsPerDayAsync(db.DataSource, new(Campaign: S.WebinarKey));
        Assert.Equal([("2026-03-09", "BOOKING", 1L), ("2026-03-09", "CAMPAIGN", 3L), ("2026-03-09", "SMS", 7L), ("2026-03-10", "SMS", 2L)],
            webinar.Select(r => (r.Day.ToString("yyyy-MM-dd"), r.Category, r.Events)));

        var clientA = await AnalyticsQueries.EventsPerDayAsync(db.DataSource, new(ClientId: S.ClientA));
        Assert.Equal(19, clientA.Sum(r => r.Events));
        Assert.All(clientA, r => Assert.True(r.Day < Mar9));

        var tenth = await AnalyticsQueries.EventsPerDayAsync(db.DataSource, new(From: new DateOnly(2026, 3, 10), To: new DateOnly(2026, 3, 10)));
        Assert.Equal([("SMS", 2L)], tenth.Select(r => (r.Category, r.Events)));
    }

    [Fact]
    public async Task Top_sources_rank_by_events_stored()
    {
        var all = await AnalyticsQueries.TopSourcesAsync(db.DataSource, AnalyticsFilter.None);
        Assert.Equal([(AnalyticsScenario.Scheduler, 17L), (AnalyticsScenario.Delivery, 6L), (AnalyticsScenario.Replies, 6L), (AnalyticsScenario.Calendly, 3L)],
            all.Select(r => (r.Source, r.Events)));

        var webinarOnTheTenth = await AnalyticsQueries.TopSourcesAsync(db.DataSource, new(From: new DateOnly(2026, 3, 10), Campaign: S.WebinarKey));
        Assert.Equal([(AnalyticsScenario.Replies, 2L)], webinarOnTheTenth.Select(r => (r.Source, r.Events)));
    }

    [Fact]
    public async Task Failure_rate_per_source_counts_failed_against_sent_plus_failed_and_dead_letters()
    {
        var all = await AnalyticsQueries.FailureRatesAsync(db.DataSource, AnalyticsFilter.None);
        Assert.Equal([(AnalyticsScenario.Scheduler, 8L, 2L, 2L), ("n8n:other", 0L, 0L, 1L)], all.Select(r => (r.Source, r.Sent, r.Failed, r.DeadLetters)));
        Assert.Equal(0.2, all[0].FailureRate);
        Assert.Null(all[1].FailureRate);

        var webinar = await AnalyticsQueries.FailureRatesAsync(db.DataSource, new(Campaign: S.WebinarKey, From: Mar9));
        Assert.Equal([("n8n:other", 0L, 0L, 1L), (AnalyticsScenario.Scheduler, 3L, 0L, 0L)], webinar.Select(r => (r.Source, r.Sent, r.Failed, r.DeadLetters)));

        // Dead letters carry no client unless their API key has one; these keys had none.
        var clientA = await AnalyticsQueries.FailureRatesAsync(db.DataSource, new(ClientId: S.ClientA));
        Assert.Equal([(AnalyticsScenario.Scheduler, 5L, 2L, 0L)], clientA.Select(r => (r.Source, r.Sent, r.Failed, r.DeadLetters)));
    }

    [Fact]
    public async Task A_rebuild_from_scratch_gives_the_same_figures_as_the_incremental_path()
    {
        // The fixture built the rollups in one rebuild; the same events added in batches of three must agree.
        var other = await Infrastructure.TestDatabase.CreateAsync();
        await using var _ = other;
        await using var ds = other.CreateDataSource();
        await AnalyticsRefresher.CatchUpAsync(ds);
        var scenario = await AnalyticsScenario.CreateAsync(ds);
        while ((await AnalyticsRefresher.RefreshAsync(ds, new(BatchSize: 3))).Events > 0) { }

        var expected = await Snapshot(db.DataSource, AnalyticsFilter.None);
        Assert.Equal(expected, await Snapshot(ds, AnalyticsFilter.None));
        Assert.Equal(AnalyticsRefreshOutcome.Incremental, (await AnalyticsRefresher.RefreshAsync(ds)).Outcome);
        Assert.NotEqual(Guid.Empty, scenario.Spring);
    }

    /// <summary>The panels' figures with campaign keys replaced by names (the two databases have different ids).</summary>
    internal static async Task<string> Snapshot(Npgsql.NpgsqlDataSource ds, AnalyticsFilter filter)
    {
        var reply = await AnalyticsQueries.ReplyRateAsync(ds, filter);
        var funnel = await AnalyticsQueries.FunnelAsync(ds, filter);
        var parts = new List<string>
        {
            string.Join(";", reply.Rows.Select(r => $"{r.Scope}/{r.Label}/{r.Journeys}/{r.RepliedWithin24h}")),
            string.Join(";", funnel.Rows.Select(r => $"{r.Campaign}/{r.Stage}/{r.Journeys}")),
            string.Join(";", (await AnalyticsQueries.BookingsAndOptOutsAsync(ds, filter)).Select(r => $"{r.Campaign}/{r.Booked}/{r.OptedOut}")),
            string.Join(";", (await AnalyticsQueries.ReplyTimeAsync(ds, filter)).Rows.Select(r => $"{r.Bucket}/{r.Journeys}")),
            string.Join(";", await AnalyticsQueries.EventsPerDayAsync(ds, filter)),
            string.Join(";", await AnalyticsQueries.TopSourcesAsync(ds, filter)),
            string.Join(";", await AnalyticsQueries.FailureRatesAsync(ds, filter)),
        };
        return string.Join("\n", parts);
    }
}
