using ActivityCrm.Data.Activities;

namespace ActivityCrm.Tests.ActivityBrowser;

/// <summary>Reads while history keeps growing: keyset pages that do not shift, live rows matched like the SQL, totals that never count millions.</summary>
public sealed class ActivityQueryLiveTests(BrowseData data) : IClassFixture<BrowseData>
{
    private async Task<Guid> NewLeadAsync(string last)
    {
        var id = Guid.NewGuid();
        await data.ExecAsync("INSERT INTO leads (id, first_name, last_name, email, status) VALUES (@id, 'Live', @l, @e, 'new')",
            ("id", id), ("l", last), ("e", $"{id:N}@live.example"));
        return id;
    }

    private async Task<List<Guid>> AppendAsync(Guid lead, IEnumerable<DateTimeOffset> times, string description = "Live event", string type = "MESSAGE_SENT")
    {
        var writer = new ActivityWriter(data.DataSource);
        var items = times.Select(t => new NewActivity
        {
            EventType = type, EventCategory = EventTypeCatalog.BuiltIn.Single(x => x.Name == type).Category, LeadId = lead,
            Description = description, Source = "n8n:live-test", Timestamp = t, IdempotencyKey = Guid.NewGuid().ToString(),
        }).ToList();
        return (await writer.AppendAsync(items)).Select(r => r.ActivityId).ToList();
    }

    [Fact]
    public async Task Pages_read_by_cursor_do_not_shift_when_newer_and_older_events_arrive_in_between()
    {
        var lead = await NewLeadAsync("Keyset");
        var t0 = new DateTimeOffset(2026, 5, 1, 12, 0, 0, TimeSpan.Zero);
        // Pairs of equal timestamps, so page boundaries fall inside ties.
        var original = await AppendAsync(lead, Enumerable.Range(0, 30).Select(i => t0.AddMinutes(i / 2)));
        var filter = new ActivityFilter { LeadId = lead, Limit = 7 };

        var page1 = await ActivityQuery.PageAsync(data.DataSource, filter);
        await AppendAsync(lead, Enumerable.Range(0, 5).Select(i => t0.AddHours(5 + i)));          // newer: belong before page 1
        await AppendAsync(lead, [t0.AddMinutes(7), t0.AddMinutes(7), t0.AddMinutes(3)]);      // inside the range, between pages still to come
        var seen = page1.Rows.ToList();
        var page = page1;
        while (page.NextCursor is not null)
        {
            page = await ActivityQuery.PageAsync(data.DataSource, filter with { Cursor = page.NextCursor, Page = page.Page + 1 });
            seen.AddRange(page.Rows);
        }

        Assert.Equal(seen.Count, seen.Select(r => r.Id).Distinct().Count());
        Assert.True(original.All(seen.Select(r => r.Id).Contains), "an original event was skipped");
        Assert.DoesNotContain(seen, r => r.Timestamp > t0.AddHours(1));
        Assert.Equal(seen.OrderByDescending(r => r.Timestamp).ThenByDescending(r => r.Id.ToString(), StringComparer.Ordinal).Select(r => r.Id), seen.Select(r => r.Id));

        var fresh = await ActivityQuery.PageAsync(data.DataSource, filter);
        Assert.Equal(5, fresh.Rows.Count(r => r.Timestamp > t0.AddHours(1)));
        Assert.Equal(new ActivityTotal(38, ActivityTotalKind.Exact), fresh.Total);
    }

    [Fact]
    public async Task Live_rows_are_matched_in_memory_and_a_search_is_decided_by_the_database()
    {
        var lead = await NewLeadAsync("Pusher");
        var ids = await AppendAsync(lead, [DateTimeOffset.UtcNow], "SMS sent: the pricing sheet you asked for");
        ids.AddRange(await AppendAsync(lead, [DateTimeOffset.UtcNow], "Reply received", "INBOUND_REPLY"));
        var pushed = await ActivityRows.ByIdsAsync(data.DataSource, ids);

        async Task<string[]> Matched(ActivityFilter f) =>
            (await ActivityQuery.MatchLiveAsync(data.DataSource, f, pushed)).Select(r => r.Description).Order().ToArray();

        Assert.Equal(["Reply received", "SMS sent: the pricing sheet you asked for"], await Matched(new ActivityFilter()));
        Assert.Equal(["Reply received"], await Matched(new ActivityFilter { EventTypes = ["INBOUND_REPLY"] }));
        Assert.Equal(["SMS sent: the pricing sheet you asked for"], await Matched(new ActivityFilter { Search = "prices" }));
        Assert.Equal(["Reply received", "SMS sent: the pricing sheet you asked for"], await Matched(new ActivityFilter { Search = "pusher" }));
        Assert.Empty(await Matched(new ActivityFilter { Search = "prices", EventTypes = ["INBOUND_REPLY"] }));
        Assert.Empty(await Matched(new ActivityFilter { Range = "1h", To = DateTimeOffset.UtcNow.AddHours(-2) }));
    }

    [Fact]
    public async Task A_large_result_shows_an_estimate_instead_of_counting_and_a_small_one_is_exact()
    {
        var lead = await NewLeadAsync("Volume");
        await data.ExecAsync("""
            INSERT INTO lead_activity_log (event_type, event_category, lead_id, description, source, "timestamp", idempotency_key)
            SELECT 'MESSAGE_DELIVERED', 'SMS', @lead, 'SMS delivered', 'n8n:volume', timestamptz '2026-06-01' + i * interval '1 second', 'vol-' || i
            FROM generate_series(1, 25000) i
            """, ("lead", lead));
        await data.ExecAsync("ANALYZE lead_activity_log");

        var big = await ActivityQuery.PageAsync(data.DataSource, new ActivityFilter { Source = "n8n:volume" });
        var small = await ActivityQuery.PageAsync(data.DataSource, new ActivityFilter { Source = "n8n:volume", From = new DateTimeOffset(2026, 6, 1, 0, 0, 0, TimeSpan.Zero), To = new DateTimeOffset(2026, 6, 1, 0, 2, 0, TimeSpan.Zero) });

        Assert.Equal(ActivityTotalKind.Estimate, big.Total.Kind);
        Assert.InRange(big.Total.Value, 12_500, 50_000);
        Assert.StartsWith("about ", big.Total.Display);
        Assert.Equal(50, big.Rows.Count);
        Assert.Equal(new ActivityTotal(120, ActivityTotalKind.Exact), small.Total);
        Assert.Equal("120", small.Total.Display);
    }

    [Fact]
    public void Totals_read_as_people_say_them()
    {
        Assert.Equal("about 2.4 M", new ActivityTotal(2_412_345, ActivityTotalKind.Estimate).Display);
        Assert.Equal("about 48 k", new ActivityTotal(48_213, ActivityTotalKind.Estimate).Display);
        Assert.Equal("10,000+", new ActivityTotal(10_000, ActivityTotalKind.AtLeast).Display);
        Assert.Equal("1,234", new ActivityTotal(1_234, ActivityTotalKind.Exact).Display);
    }
}
