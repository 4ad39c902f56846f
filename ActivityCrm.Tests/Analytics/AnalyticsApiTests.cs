using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ActivityCrm.Data.Analytics;
using ActivityCrm.Data.Entities;
using ActivityCrm.Tests.Infrastructure;
using Microsoft.AspNetCore.Mvc.Testing;

namespace ActivityCrm.Tests.Analytics;

/// <summary>The real app on a database holding the hand-built scenario, rollups caught up.</summary>
public sealed class AnalyticsAppFactory : AppFactory
{
    public AnalyticsScenario Scenario { get; private set; } = null!;

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        Scenario = await AnalyticsScenario.CreateAsync(DataSource);
        await AnalyticsRefresher.CatchUpAsync(DataSource);
    }

    /// <summary>A client signed in through the real form (cookie and antiforgery token) as a new user with the role.</summary>
    public async Task<HttpClient> SignedInClientAsync(string role) => (await this.SignedInUserAsync(role)).Client;
}

public sealed class AnalyticsApiTests(AnalyticsAppFactory app) : IClassFixture<AnalyticsAppFactory>
{
    private AnalyticsScenario S => app.Scenario;
    private static readonly string[] Slugs = ["reply-rate", "funnel", "bookings", "reply-time", "events-per-day", "top-sources", "failure-rate"];

    [Fact]
    public async Task Anonymous_callers_get_401_and_program_managers_403_on_every_csv_endpoint()
    {
        using var anonymous = app.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        using var pm = await app.SignedInClientAsync(Roles.ProgramManager);
        using var apiKeyOnly = app.ApiClient();
        foreach (var slug in Slugs)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync($"/api/analytics/{slug}.csv")).StatusCode);
            Assert.Equal(HttpStatusCode.Forbidden, (await pm.GetAsync($"/api/analytics/{slug}.csv")).StatusCode);
            // The ingestion key is for writing; it opens no analytics.
            Assert.Equal(HttpStatusCode.Unauthorized, (await apiKeyOnly.GetAsync($"/api/analytics/{slug}.csv")).StatusCode);
        }
    }

    [Theory]
    [InlineData(Roles.Analyst)]
    [InlineData(Roles.Admin)]
    [InlineData(Roles.SuperAdmin)]
    public async Task Analysts_and_admins_download_every_panel(string role)
    {
        using var client = await app.SignedInClientAsync(role);
        foreach (var slug in Slugs)
        {
            var response = await client.GetAsync($"/api/analytics/{slug}.csv?from=2026-03-01&to=2026-03-31");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("text/csv", response.Content.Headers.ContentType?.MediaType);
            Assert.Equal($"analytics-{slug}-2026-03-01_2026-03-31.csv", response.Content.Headers.ContentDisposition?.FileNameStar ?? response.Content.Headers.ContentDisposition?.FileName?.Trim('"'));
        }
    }

    [Fact]
    public async Task The_funnel_csv_has_a_header_and_exactly_the_panels_rows()
    {
        using var client = await app.SignedInClientAsync(Roles.Analyst);
        var filter = new AnalyticsFilter(new DateOnly(2026, 3, 1), new DateOnly(2026, 3, 31));
        var panel = await AnalyticsQueries.FunnelAsync(app.DataSource, filter);

        var lines = await CsvLinesAsync(client, "/api/analytics/funnel.csv?from=2026-03-01&to=2026-03-31");

        Assert.Equal("CampaignKey,Campaign,StageOrder,Stage,Journeys,DropOff", lines[0]);
        Assert.Equal(panel.Rows.Count, lines.Length - 1);
        Assert.Equal(15, panel.Rows.Count); // all campaigns + Spring + Webinar, five stages each
        Assert.Equal(",All campaigns,1,Enrolled,7,", lines[1]);
        Assert.Contains($"{S.SpringKey},Spring Promo,3,Delivered,2,0.5", lines);
        Assert.Equal(panel.Rows.Select(r => $"{r.CampaignKey},{r.Campaign},{r.StageOrder},{r.Stage},{r.Journeys},{r.DropOff?.ToString(System.Globalization.CultureInfo.InvariantCulture)}"), lines[1..]);
    }

    [Fact]
    public async Task Csv_rows_follow_the_client_campaign_and_date_filters()
    {
        using var client = await app.SignedInClientAsync(Roles.Analyst);

        var reply = await CsvLinesAsync(client, $"/api/analytics/reply-rate.csv?client={S.ClientB}");
        Assert.Equal("Scope,Key,Label,Journeys,RepliedWithin24h,Rate", reply[0]);
        Assert.Equal(["overall,,All leads,3,1,0.3333333333333333", $"campaign,{S.WebinarKey},Webinar Replay,3,1,0.3333333333333333", "week,2026-W11,Week of 2026-03-09,3,1,0.3333333333333333"], reply[1..]);

        var days = await CsvLinesAsync(client, $"/api/analytics/events-per-day.csv?campaign={S.WebinarKey}&from=2026-03-10");
        Assert.Equal(["Day,Category,Events", "2026-03-10,SMS,2"], days);

        var buckets = await CsvLinesAsync(client, $"/api/analytics/reply-time.csv?campaign={S.SpringKey}");
        Assert.Equal(["Order,Bucket,Journeys", "0,< 5 min,1", "1,5–30 min,0", "2,30 min–2 h,1", "3,2–24 h,0", "4,1–7 days,0", "5,> 7 days,0", "6,No reply,2"], buckets);

        var failures = await CsvLinesAsync(client, "/api/analytics/failure-rate.csv?to=2026-03-08");
        Assert.Equal(["Source,Sent,Failed,FailureRate,DeadLetters", $"{AnalyticsScenario.Scheduler},5,2,0.2857142857142857,2"], failures);

        var top = await CsvLinesAsync(client, $"/api/analytics/top-sources.csv?client={S.ClientA}&to=2026-03-02");
        Assert.Equal(["Source,Events", $"{AnalyticsScenario.Scheduler},10", $"{AnalyticsScenario.Calendly},2", $"{AnalyticsScenario.Delivery},2", $"{AnalyticsScenario.Replies},2"], top);

        var bookings = await CsvLinesAsync(client, "/api/analytics/bookings.csv");
        Assert.Equal(["CampaignKey,Campaign,Booked,OptedOut", $"{S.SpringKey},Spring Promo,2,0", $"{S.WebinarKey},Webinar Replay,1,1"], bookings);
    }

    [Theory]
    [InlineData("from=2026-13-01", "from")]
    [InlineData("to=yesterday", "to")]
    [InlineData("from=2026-03-10&to=2026-03-01", "to")]
    [InlineData("client=acme", "client")]
    public async Task A_bad_filter_is_a_problem_naming_the_parameter(string query, string field)
    {
        using var client = await app.SignedInClientAsync(Roles.Analyst);
        var response = await client.GetAsync($"/api/analytics/funnel.csv?{query}");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), problem.ToString());
    }

    [Fact]
    public async Task Orphan_events_linked_by_the_lead_sync_count_once_for_their_lead_with_the_leads_client()
    {
        var airtable = $"recORPH{Guid.NewGuid():N}"[..17];
        var campaign = $"orphan_test_{Guid.NewGuid():N}"[..24]; // a slug, as the PRD's n8n payloads carry
        var t0 = new DateTimeOffset(2026, 4, 6, 9, 0, 0, TimeSpan.Zero);
        using var api = app.ApiClient();
        async Task PostAsync(string type, string category, DateTimeOffset at, bool withCampaign = false)
        {
            var payload = EventPayloads.Sms(airtable).With("eventType", type).With("eventCategory", category)
                .With("description", type).With("timestamp", at.ToString("O"))
                .With("metadata", withCampaign ? new Dictionary<string, object?> { ["campaign_id"] = campaign } : new Dictionary<string, object?>());
            (await api.PostAsJsonAsync("/api/internal/log-activity", payload)).EnsureSuccessStatusCode();
        }
        var only = new AnalyticsFilter(Campaign: campaign);

        await PostAsync("CAMPAIGN_ENROLLED", "CAMPAIGN", t0, withCampaign: true);
        await PostAsync("MESSAGE_SENT", "SMS", t0.AddMinutes(1), withCampaign: true);
        await AnalyticsRefresher.CatchUpAsync(app.DataSource);
        Assert.Equal([1L, 1, 0, 0, 0], (await AnalyticsQueries.FunnelAsync(app.DataSource, only)).Total.Select(s => s.Journeys));
        // A campaign key with no campaigns row is shown as itself.
        Assert.Equal(campaign, (await AnalyticsQueries.FunnelAsync(app.DataSource, only)).ByCampaign.Single().First().Campaign);

        // The sync links both orphans with an UPDATE the refresher's bookmark never sees: nothing may double.
        var sync = await api.PutAsJsonAsync($"/api/internal/leads/{airtable}", new { firstName = "Late", lastName = "Sync", clientId = S.ClientA });
        Assert.Equal(2, (await sync.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("linkedActivities").GetInt32());
        await AnalyticsRefresher.CatchUpAsync(app.DataSource);
        Assert.Equal([1L, 1, 0, 0, 0], (await AnalyticsQueries.FunnelAsync(app.DataSource, only)).Total.Select(s => s.Journeys));

        // Events after the sync resolve to the lead (and its client) and continue the same journey.
        await PostAsync("MESSAGE_DELIVERED", "SMS", t0.AddMinutes(2));
        await PostAsync("INBOUND_REPLY", "SMS", t0.AddMinutes(10));
        await AnalyticsRefresher.CatchUpAsync(app.DataSource);

        Assert.Equal([1L, 1, 1, 1, 0], (await AnalyticsQueries.FunnelAsync(app.DataSource, only)).Total.Select(s => s.Journeys));
        var rate = await AnalyticsQueries.ReplyRateAsync(app.DataSource, only with { ClientId = S.ClientA });
        Assert.Equal((1, 1), (rate.Overall.Journeys, rate.Overall.RepliedWithin24h));
        Assert.Equal(1, (await AnalyticsQueries.ReplyTimeAsync(app.DataSource, only)).Buckets.Single(b => b.Bucket == "5–30 min").Journeys);
        Assert.Equal(2L, await app.ScalarAsync<long>("SELECT count(*) FROM analytics_journeys WHERE lead_key = @k", ("k", airtable)));
    }

    private static async Task<string[]> CsvLinesAsync(HttpClient client, string url)
    {
        var response = await client.GetAsync(url);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadAsStringAsync()).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
    }
}
