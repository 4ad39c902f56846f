using ActivityCrm.Data.Activities;
using Microsoft.AspNetCore.WebUtilities;

namespace ActivityCrm.Tests.ActivityBrowser;

/// <summary>
/// What a filter means, checked three ways against a designed history in real PostgreSQL: the SQL the
/// page and API run, the in-memory predicate live rows go through, and the test's own reading of the
/// seeded events must all agree — in content and in order, across page boundaries and timestamp ties.
/// </summary>
public sealed class ActivityQueryTests(BrowseData data) : IClassFixture<BrowseData>
{
    public static TheoryData<string> Cases => new(CaseNames);

    private static readonly string[] CaseNames =
    [
        "nothing", "one type", "two types", "types comma-separated", "one category", "two categories", "type and its category",
        "type and another category", "lead", "soft-deleted lead", "source", "human actor", "agent actor", "client", "correlation",
        "from a date", "to a date", "between instants with offsets", "last 24 hours", "SMS from one source since a date",
        "client, system actor, two types", "lead and category, oldest first", "oldest first", "by event type", "by lead",
        "by lead, one category", "by event type, two types",
    ];

    private (string Query, Func<Seeded, bool> Match) Case(string name)
    {
        var correlation = data.Events.First(e => e.Event.CorrelationId is not null && data.Events.Count(x => x.Event.CorrelationId == e.Event.CorrelationId) == 3).Event.CorrelationId!.Value;
        var d = data;
        return name switch
        {
            "nothing" => ("", _ => true),
            "one type" => ("eventType=OPT_OUT", e => e.Event.EventType == "OPT_OUT"),
            "two types" => ("eventType=OPT_OUT&eventType=BOOKING_CONFIRMED", e => e.Event.EventType is "OPT_OUT" or "BOOKING_CONFIRMED"),
            "types comma-separated" => ("eventType=NOTE_ADDED,EMAIL_SENT", e => e.Event.EventType is "NOTE_ADDED" or "EMAIL_SENT"),
            "one category" => ("eventCategory=SMS", e => e.Event.EventCategory == "SMS"),
            "two categories" => ("eventCategory=CAMPAIGN&eventCategory=BOOKING", e => e.Event.EventCategory is "CAMPAIGN" or "BOOKING"),
            "type and its category" => ("eventType=OPT_OUT&eventCategory=SMS", e => e.Event.EventType == "OPT_OUT"),
            "type and another category" => ("eventType=OPT_OUT&eventCategory=BOOKING", _ => false),
            "lead" => ($"leadId={d.Ada}", e => e.LeadId == d.Ada),
            "soft-deleted lead" => ($"leadId={d.Alan}", e => e.LeadId == d.Alan),
            "source" => ("source=n8n:reply-handler", e => e.Event.Source == "n8n:reply-handler"),
            "human actor" => ("actorType=human", e => e.Event.ActorType == "human"),
            "agent actor" => ("actorType=agent", e => e.Event.ActorType == "agent"),
            "client" => ($"clientId={d.ClientB}", e => e.ClientId == d.ClientB),
            "correlation" => ($"correlationId={correlation}", e => e.Event.CorrelationId == correlation),
            "from a date" => ("dateFrom=2026-03-05", e => e.Event.Timestamp >= D("2026-03-05T00:00:00Z")),
            "to a date" => ("dateTo=2026-03-04", e => e.Event.Timestamp < D("2026-03-05T00:00:00Z")),
            "between instants with offsets" => ("dateFrom=2026-03-03T10:00:00%2B02:00&dateTo=2026-03-04T10:00:00-05:00",
                e => e.Event.Timestamp >= D("2026-03-03T08:00:00Z") && e.Event.Timestamp <= D("2026-03-04T15:00:00Z")),
            "last 24 hours" => ("range=24h", e => e.Event.Timestamp >= d.Now.AddHours(-24)),
            "SMS from one source since a date" => ("eventCategory=SMS&source=n8n:st-delivery-v2&dateFrom=2026-03-03",
                e => e.Event.EventCategory == "SMS" && e.Event.Source == "n8n:st-delivery-v2" && e.Event.Timestamp >= D("2026-03-03T00:00:00Z")),
            "client, system actor, two types" => ($"clientId={d.ClientA}&actorType=system&eventType=MESSAGE_SENT,INBOUND_REPLY",
                e => e.ClientId == d.ClientA && e.Event.ActorType == "system" && e.Event.EventType is "MESSAGE_SENT" or "INBOUND_REPLY"),
            "lead and category, oldest first" => ($"leadId={d.Grace}&eventCategory=SMS&sort=oldest", e => e.LeadId == d.Grace && e.Event.EventCategory == "SMS"),
            "oldest first" => ("sort=oldest", _ => true),
            "by event type" => ("sort=type", _ => true),
            "by lead" => ("sort=lead", _ => true),
            "by lead, one category" => ("sort=lead&eventCategory=SMS", e => e.Event.EventCategory == "SMS"),
            "by event type, two types" => ("sort=type&eventType=OPT_OUT,MESSAGE_SENT", e => e.Event.EventType is "OPT_OUT" or "MESSAGE_SENT"),
            _ => throw new ArgumentException(name),
        };
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task A_filter_returns_exactly_its_events_in_order_through_every_page(string name)
    {
        var (query, match) = Case(name);
        var filter = data.Filter(query);
        var expected = Ordered(data.Events.Where(match), filter.Sort).Select(e => e.Id).ToList();

        var paged = await data.AllPagesAsync(filter, limit: 37);

        Assert.Equal(expected, paged.Select(r => r.Id).ToList());
        var first = await ActivityQuery.PageAsync(data.DataSource, filter with { Limit = 37 }, data.Now);
        Assert.Equal(new ActivityTotal(expected.Count, ActivityTotalKind.Exact), first.Total);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task The_in_memory_predicate_for_live_rows_agrees_with_the_sql(string name)
    {
        var filter = data.Filter(Case(name).Query);
        var everything = await data.AllPagesAsync(new ActivityFilter(), limit: 500);

        var inMemory = everything.Where(r => filter.MatchesExceptSearch(r, data.Now)).Select(r => r.Id).ToHashSet();
        var inSql = await ActivityQuery.MatchingIdsAsync(data.DataSource, filter, everything.Select(r => r.Id).ToList(), data.Now);

        Assert.True(inSql.SetEquals(inMemory), $"only in SQL: {inSql.Except(inMemory).Count()}, only in memory: {inMemory.Except(inSql).Count()}");
        Assert.Equal(data.Events.Where(Case(name).Match).Select(e => e.Id).ToHashSet(), inMemory);
    }

    [Theory]
    [InlineData("")]
    [InlineData("sort=oldest")]
    [InlineData("sort=type")]
    [InlineData("sort=lead")]
    [InlineData("eventType=OPT_OUT,BOOKING_CONFIRMED")]
    [InlineData("search=pricing")]
    public async Task Going_back_with_prev_cursors_and_jumping_with_page_numbers_show_the_same_pages(string query)
    {
        var filter = data.Filter(query) with { Limit = 23 };
        var forward = new List<ActivityPage>();
        var f = filter;
        while (true)
        {
            var page = await ActivityQuery.PageAsync(data.DataSource, f, data.Now);
            forward.Add(page);
            if (page.NextCursor is null) break;
            f = f with { Cursor = page.NextCursor, Page = page.Page + 1 };
        }

        for (var i = forward.Count - 1; i > 0; i--)
        {
            var back = await ActivityQuery.PageAsync(data.DataSource, filter with { Cursor = forward[i].PrevCursor, Page = i }, data.Now);
            Assert.Equal(forward[i - 1].Rows.Select(r => r.Id), back.Rows.Select(r => r.Id));
            Assert.Equal(i > 1, back.PrevCursor is not null);
            Assert.NotNull(back.NextCursor);
        }
        for (var i = 0; i < forward.Count; i++)
        {
            var jumped = await ActivityQuery.PageAsync(data.DataSource, filter with { Page = i + 1 }, data.Now);
            Assert.Equal(forward[i].Rows.Select(r => r.Id), jumped.Rows.Select(r => r.Id));
        }
        Assert.Null(forward[0].PrevCursor);
    }

    [Fact]
    public async Task Search_matches_word_stems_in_description_and_message_content_newest_first()
    {
        var rows = await data.AllPagesAsync(data.Filter("search=pricing"));

        // "pricing" and "prices" share the stem; one match is only in the message content; the search text
        // is not a lead's name, so nothing else comes along.
        Assert.Equal(Ordered(data.Events.Where(e => Text(e).Contains("pric", StringComparison.OrdinalIgnoreCase)), ActivitySort.Newest).Select(e => e.Id),
            rows.Select(r => r.Id));
        Assert.Equal(4, rows.Count);
        Assert.Contains(rows, r => r.Description == "Note added" && r.MessageContent!.Contains("pricing"));
    }

    [Fact]
    public async Task A_word_only_in_the_message_content_is_found()
    {
        var rows = await data.AllPagesAsync(data.Filter("search=walkthrough"));
        Assert.Equal("SMS sent: follow-up", Assert.Single(rows).Description);
    }

    [Theory]
    [InlineData("\"premium plan\"", new[] { "SMS sent: quick question about the premium plan" })]
    [InlineData("premium plan", new[] { "SMS sent: quick question about the premium plan", "Note added" })]
    [InlineData("premium -support", new[] { "SMS sent: quick question about the premium plan" })]
    public async Task Search_takes_web_search_syntax_phrases_and_exclusions(string search, string[] descriptions)
    {
        var rows = await data.AllPagesAsync(data.Filter("search=" + Uri.EscapeDataString(search)));
        Assert.Equal(descriptions.Order(), rows.Select(r => r.Description).Order());
    }

    [Theory]
    [InlineData("lovelace")]
    [InlineData("LOVEL")]
    [InlineData("ada@math")]
    public async Task Search_finds_every_event_of_a_lead_by_part_of_its_name_or_email(string search)
    {
        var rows = await data.AllPagesAsync(data.Filter("search=" + Uri.EscapeDataString(search)));
        Assert.Equal(Ordered(data.Events.Where(e => e.LeadId == data.Ada), ActivitySort.Newest).Select(e => e.Id), rows.Select(r => r.Id));
    }

    [Fact]
    public async Task Lead_matches_and_word_matches_interleave_by_time_without_duplicates()
    {
        // Grace's own events (name) and another lead's note that mentions "Hopper" (words).
        var rows = await data.AllPagesAsync(data.Filter("search=hopper"), limit: 7);

        var expected = Ordered(data.Events.Where(e => e.LeadId == data.Grace || Text(e).Contains("Hopper")), ActivitySort.Newest).Select(e => e.Id).ToList();
        Assert.Equal(expected, rows.Select(r => r.Id).ToList());
        Assert.Contains(rows, r => r.LeadId == data.BulkLeads[5]);
    }

    [Fact]
    public async Task Search_combines_with_the_other_filters()
    {
        var rows = await data.AllPagesAsync(data.Filter("search=hopper&eventCategory=SMS"));
        Assert.NotEmpty(rows);
        Assert.All(rows, r => Assert.Equal(("SMS", data.Grace), (r.EventCategory, r.LeadId!.Value)));
        Assert.Equal(data.Events.Count(e => e.LeadId == data.Grace && e.Event.EventCategory == "SMS"), rows.Count);
    }

    [Theory]
    [InlineData("ul%")]
    [InlineData("ul_k")]
    [InlineData("%")]
    public async Task Like_wildcards_in_a_search_are_plain_characters(string search)
    {
        // Were % or _ wildcards, "ul%" would match every "Bulk Person" lead.
        var rows = await data.AllPagesAsync(data.Filter("search=" + Uri.EscapeDataString(search)));
        Assert.Empty(rows);
    }

    [Fact]
    public async Task A_redacted_event_is_listed_with_its_redaction_and_without_its_content()
    {
        var rows = await data.AllPagesAsync(data.Filter("eventType=NOTE_ADDED"), limit: 500);
        var redacted = Assert.Single(rows, r => r.RedactedAt is not null);
        Assert.Equal((data.RedactedId, "[redacted]", (string?)null, "contained a phone number"),
            (redacted.Id, redacted.Description, redacted.MessageContent, redacted.RedactionReason));
    }

    [Theory]
    [InlineData("dateFrom=2026-03-08&dateTo=2026-03-08", new[] { "2026-03-08T00:00:00Z", "2026-03-08T12:00:00Z", "2026-03-08T23:59:59.999999Z" })]
    [InlineData("dateFrom=2026-03-08T00:00:00%2B02:00&dateTo=2026-03-08T01:30:00%2B02:00", new[] { "2026-03-07T22:00:00Z", "2026-03-07T23:30:00Z" })]
    [InlineData("dateFrom=2026-03-08T00:00:00+02:00&dateTo=2026-03-08T01:30:00+02:00", new[] { "2026-03-07T22:00:00Z", "2026-03-07T23:30:00Z" })]
    [InlineData("dateFrom=2026-03-07T23:30:00&dateTo=2026-03-08T00:00:00", new[] { "2026-03-07T23:30:00Z", "2026-03-08T00:00:00Z" })]
    [InlineData("dateTo=2026-03-07T21:59:59.999999Z", new[] { "2026-03-07T21:59:59.999999Z" })]
    [InlineData("dateFrom=2026-03-08T23:59:59.999999-00:00", new[] { "2026-03-08T23:59:59.999999Z", "2026-03-09T00:00:00Z" })]
    public async Task Date_bounds_are_inclusive_instants_and_a_bare_date_is_a_whole_utc_day(string query, string[] expectedUtc)
    {
        // A '+' sent unencoded arrives as a space; a time without an offset is UTC.
        var filter = data.Filter($"leadId={data.TzLead}&{query}");

        var rows = await data.AllPagesAsync(filter);

        Assert.Equal(expectedUtc.Select(D).Order(), rows.Select(r => r.Timestamp).Order());
        var all = await data.AllPagesAsync(new ActivityFilter { LeadId = data.TzLead });
        Assert.Equal(rows.Select(r => r.Id).Order(), all.Where(r => filter.MatchesExceptSearch(r, data.Now)).Select(r => r.Id).Order());
    }

    [Fact]
    public void A_filter_survives_the_round_trip_through_its_query_string()
    {
        var filter = data.Filter($"eventType=OPT_OUT&eventType=MESSAGE_SENT&eventCategory=SMS&search={Uri.EscapeDataString("\"price list\" -spam")}" +
                                 $"&leadId={data.Ada}&source=n8n:reply-handler&actorType=agent&clientId={data.ClientA}&correlationId={Guid.Empty}" +
                                 "&dateFrom=2026-03-08&dateTo=2026-03-09T10:15:00.5%2B01:00&sort=type&limit=20&page=3") with
        {
            Cursor = new ActivityCursor(ActivitySort.Type, false, D("2026-03-08T10:00:00.123456Z"), Guid.NewGuid(), "OPT_OUT"),
        };

        var again = data.Filter(filter.ToQueryString());

        Assert.Equal(filter.ToQueryString(), again.ToQueryString());
        Assert.Equal((filter.From, filter.To, filter.Cursor, filter.Search), (again.From, again.To, again.Cursor, again.Search));
        Assert.Equal(D("2026-03-09T09:15:00.5Z"), again.To);
        Assert.Equal(D("2026-03-09T23:59:59.999999Z"), data.Filter("dateTo=2026-03-09").To);
    }

    [Theory]
    [InlineData("eventType=NOT_A_TYPE", "eventType")]
    [InlineData("eventCategory=SMSS", "eventCategory")]
    [InlineData("leadId=42", "leadId")]
    [InlineData("clientId=abc", "clientId")]
    [InlineData("correlationId=zzz", "correlationId")]
    [InlineData("actorType=robot", "actorType")]
    [InlineData("dateFrom=yesterday", "dateFrom")]
    [InlineData("dateTo=2026-13-01", "dateTo")]
    [InlineData("dateFrom=2026-03-09&dateTo=2026-03-08", "dateTo")]
    [InlineData("range=2w", "range")]
    [InlineData("range=24h&dateFrom=2026-03-01", "range")]
    [InlineData("limit=501", "limit")]
    [InlineData("limit=0", "limit")]
    [InlineData("page=-1", "page")]
    [InlineData("sort=relevance", "sort")]
    [InlineData("cursor=not-a-cursor", "cursor")]
    [InlineData("source=a&source=b", "source")]
    public void A_bad_parameter_is_refused_by_name(string query, string parameter)
    {
        var parsed = ActivityFilter.Parse(QueryHelpers.ParseQuery(query), data.KnownTypes);
        Assert.False(parsed.Ok);
        Assert.Equal([parameter], parsed.Errors.Keys);
    }

    [Fact]
    public void A_cursor_only_works_for_the_sort_it_was_made_for_and_cannot_be_forged()
    {
        var typeCursor = new ActivityCursor(ActivitySort.Type, false, BrowseData.Start, Guid.NewGuid(), "OPT_OUT").Encode();
        Assert.Contains("sort=type", ActivityFilter.Parse(QueryHelpers.ParseQuery("cursor=" + typeCursor), data.KnownTypes).Errors["cursor"][0]);
        Assert.True(ActivityFilter.Parse(QueryHelpers.ParseQuery("sort=type&cursor=" + typeCursor), data.KnownTypes).Ok);

        var forgedLead = new ActivityCursor(ActivitySort.Lead, false, BrowseData.Start, Guid.NewGuid(), "Ada Lovelace", "'; DROP TABLE leads; --").Encode();
        Assert.False(ActivityFilter.Parse(QueryHelpers.ParseQuery("sort=lead&cursor=" + forgedLead), data.KnownTypes).Ok);
        Assert.False(ActivityCursor.TryDecode(typeCursor[..^3] + "!!!", out _));
    }

    [Fact]
    public void The_file_name_says_what_was_filtered_and_when()
    {
        var name = ActivityCsv.FileName(data.Filter("eventCategory=SMS&search=" + Uri.EscapeDataString("price / \"list\"")), D("2026-12-01T15:30:42Z"));
        Assert.Equal("activity-logs_SMS_search-price-list_2026-12-01T1530Z.csv", name);
        Assert.Equal("activity-logs_all_2026-12-01T1530Z.csv", ActivityCsv.FileName(new ActivityFilter(), D("2026-12-01T15:30:42Z")));
    }

    private static DateTimeOffset D(string iso) => DateTimeOffset.Parse(iso, System.Globalization.CultureInfo.InvariantCulture);

    private static string Text(Seeded e) => e.Event.Description + " " + e.Event.MessageContent;

    /// <summary>The order PostgreSQL must return, worked out independently: uuids compare as their hex text.</summary>
    private IEnumerable<Seeded> Ordered(IEnumerable<Seeded> events, ActivitySort sort)
    {
        var newest = Comparer<Seeded>.Create((a, b) =>
        {
            var c = b.Event.Timestamp.CompareTo(a.Event.Timestamp);
            return c != 0 ? c : string.CompareOrdinal(b.Id.ToString(), a.Id.ToString());
        });
        return sort switch
        {
            ActivitySort.Oldest => events.Order(newest).Reverse(),
            ActivitySort.Type => events.OrderBy(e => e.Event.EventType, StringComparer.Ordinal).ThenBy(e => e, newest),
            ActivitySort.Lead => events.OrderBy(e => e.LeadId is null)
                .ThenBy(e => e.LeadId is { } id ? LeadName(id) : "", StringComparer.Ordinal)
                .ThenBy(e => e.LeadId?.ToString() ?? "", StringComparer.Ordinal)
                .ThenBy(e => e.Event.LeadAirtableId ?? "", StringComparer.Ordinal)
                .ThenBy(e => e, newest),
            _ => events.Order(newest),
        };
    }

    private string LeadName(Guid id) =>
        id == data.Ada ? "Ada Lovelace" : id == data.Grace ? "Grace Hopper" : id == data.Alan ? "Alan Turing" : id == data.TzLead ? "Tz Edge"
        : $"Bulk Person{data.BulkLeads.IndexOf(id):D2}";
}
