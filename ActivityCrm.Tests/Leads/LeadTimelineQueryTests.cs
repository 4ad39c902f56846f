using ActivityCrm.Data.Activities;

namespace ActivityCrm.Tests.Leads;

/// <summary>The timeline query the lead page, the API and the benchmark share: newest first, keyset pages.</summary>
public sealed class LeadTimelineQueryTests(LeadsDatabase db) : IClassFixture<LeadsDatabase>
{
    private static readonly DateTimeOffset Newest = new(2026, 11, 20, 12, 0, 0, TimeSpan.Zero);

    private async Task<List<ActivityRow>> WalkAsync(TimelineQuery query, Func<int, Task>? betweenPages = null)
    {
        var all = new List<ActivityRow>();
        TimelineCursor? cursor = null;
        for (var page = 0; ; page++)
        {
            var result = await LeadTimeline.ReadAsync(db.DataSource, query with { After = cursor });
            Assert.True(result.Items.Count <= query.Limit);
            all.AddRange(result.Items);
            if (result.Next is null) return all;
            // The cursor travels through its text form, as it does through the API.
            Assert.True(TimelineCursor.TryDecode(result.Next.Encode(), out cursor));
            if (betweenPages is not null) await betweenPages(page);
        }
    }

    [Fact]
    public async Task Keyset_paging_walks_the_whole_history_newest_first_without_gaps_or_repeats()
    {
        var lead = await db.LeadAsync();
        var other = await db.LeadAsync();
        var ids = await db.EventsAsync(lead, 1_050, Newest, TimeSpan.FromMinutes(3));
        // Many events share one timestamp: the id breaks the tie, so a page boundary inside them loses nothing.
        ids.AddRange(await db.EventsAsync(lead, 250, Newest.AddHours(-10), TimeSpan.Zero));
        await db.EventsAsync(other, 30, Newest, TimeSpan.FromMinutes(1));

        var walked = await WalkAsync(new TimelineQuery(lead, Limit: 100));

        Assert.Equal(1_300, walked.Count);
        Assert.Equal(ids.Order(), walked.Select(r => r.Id).Order());
        Assert.All(walked.Zip(walked.Skip(1)), p => Assert.True(p.First.Timestamp >= p.Second.Timestamp));
        Assert.All(walked, r => Assert.Equal(lead, r.LeadId));
        // The same order PostgreSQL gives without paging.
        await using var cmd = db.DataSource.CreateCommand("SELECT id FROM lead_activity_log WHERE lead_id = @l ORDER BY \"timestamp\" DESC, id DESC");
        cmd.Parameters.AddWithValue("l", lead);
        var expected = new List<Guid>();
        await using (var r = await cmd.ExecuteReaderAsync()) while (await r.ReadAsync()) expected.Add(r.GetGuid(0));
        Assert.Equal(expected, walked.Select(r => r.Id));
    }

    [Fact]
    public async Task Events_arriving_during_the_walk_never_shift_it()
    {
        var lead = await db.LeadAsync();
        var existing = await db.EventsAsync(lead, 450, Newest, TimeSpan.FromMinutes(10));
        var arrivedOlder = new List<Guid>();

        var walked = await WalkAsync(new TimelineQuery(lead, Limit: 100), async page =>
        {
            // Newer than everything (live traffic) and one far in the past (a late backfill).
            await db.EventsAsync(lead, 20, Newest.AddDays(1 + page), TimeSpan.FromSeconds(1));
            arrivedOlder.AddRange(await db.EventsAsync(lead, 1, Newest.AddYears(-1), TimeSpan.Zero));
        });

        var ids = walked.Select(r => r.Id).ToList();
        Assert.Equal(ids.Count, ids.Distinct().Count());
        Assert.All(existing, id => Assert.Single(ids, id));
        // Events below the cursor are read when the walk gets there; events above it belong to a reload.
        Assert.All(arrivedOlder, id => Assert.Contains(id, ids));
        Assert.Equal(existing.Count + arrivedOlder.Count, ids.Count);
    }

    [Fact]
    public async Task Category_filter_and_search_narrow_the_timeline()
    {
        var lead = await db.LeadAsync();
        await db.EventsAsync(lead, 30, Newest, TimeSpan.FromMinutes(1), description: i => $"SMS sent: hello {i}");
        var calls = await db.EventsAsync(lead, 5, Newest.AddMinutes(-5), TimeSpan.FromHours(1), "CALL_LOGGED", "CALL", i => $"Call logged: connected {i}");
        var replies = await db.EventsAsync(lead, 3, Newest.AddMinutes(-7), TimeSpan.FromHours(2), "INBOUND_REPLY", "SMS", _ => "Reply: can we talk pricing_tiers 100%?");

        var onlyCalls = await LeadTimeline.ReadAsync(db.DataSource, new TimelineQuery(lead, ["CALL"]));
        var bySubstring = await LeadTimeline.ReadAsync(db.DataSource, new TimelineQuery(lead, Search: "PRICING_tiers 100%"));
        var byStem = await LeadTimeline.ReadAsync(db.DataSource, new TimelineQuery(lead, Search: "replies"));
        var both = await LeadTimeline.ReadAsync(db.DataSource, new TimelineQuery(lead, ["CALL", "SMS"], "connected"));
        var nothing = await LeadTimeline.ReadAsync(db.DataSource, new TimelineQuery(lead, Search: "%_\\'\")(:*&|!"));

        Assert.Equal(calls.Order(), onlyCalls.Items.Select(r => r.Id).Order());
        Assert.Equal(replies.Order(), bySubstring.Items.Select(r => r.Id).Order());
        Assert.Equal(replies.Order(), byStem.Items.Select(r => r.Id).Order());
        Assert.Equal(calls.Order(), both.Items.Select(r => r.Id).Order());
        Assert.Empty(nothing.Items);
    }

    [Fact]
    public async Task Only_ids_tells_which_new_events_match_the_current_filters()
    {
        var lead = await db.LeadAsync();
        var sms = await db.EventsAsync(lead, 2, Newest, TimeSpan.FromMinutes(1));
        var call = await db.EventsAsync(lead, 1, Newest, TimeSpan.Zero, "CALL_LOGGED", "CALL");

        var matching = await LeadTimeline.ReadAsync(db.DataSource, new TimelineQuery(lead, ["CALL"], OnlyIds: [.. sms, .. call]));

        Assert.Equal(call, matching.Items.Select(r => r.Id));
    }

    [Fact]
    public async Task Guid_order_in_dotnet_is_uuid_order_in_PostgreSQL()
    {
        // The lead page merges live events into loaded pages by (timestamp, id) in .NET; ties must sort as the query sorts them.
        var ids = Enumerable.Range(0, 500).Select(_ => Guid.NewGuid()).Append(Guid.Parse("80000000-0000-0000-0000-000000000000"))
            .Append(Guid.Parse("7fffffff-ffff-ffff-ffff-ffffffffffff")).Append(Guid.Parse("00000000-0000-0000-8000-000000000000")).ToArray();
        await using var cmd = db.DataSource.CreateCommand("SELECT id FROM unnest(@ids) AS t(id) ORDER BY id");
        cmd.Parameters.AddWithValue("ids", ids);
        var sorted = new List<Guid>();
        await using (var r = await cmd.ExecuteReaderAsync()) while (await r.ReadAsync()) sorted.Add(r.GetGuid(0));

        Assert.Equal(sorted, ids.Order());
    }

    [Theory]
    [InlineData("")]
    [InlineData("not base64 !!")]
    [InlineData("MTIzNA")] // "1234": no id part
    [InlineData("eHh4Lnl5eQ")] // "xxx.yyy"
    public void A_cursor_that_was_not_issued_by_the_query_is_refused(string text)
    {
        Assert.False(TimelineCursor.TryDecode(text, out var cursor));
        Assert.Null(cursor);
    }

    [Fact]
    public void A_cursor_survives_its_text_form_to_the_tick()
    {
        var cursor = new TimelineCursor(new DateTimeOffset(2026, 11, 20, 12, 0, 0, TimeSpan.Zero).AddTicks(1234560), Guid.NewGuid());
        Assert.True(TimelineCursor.TryDecode(cursor.Encode(), out var back));
        Assert.Equal(cursor, back);
    }
}
