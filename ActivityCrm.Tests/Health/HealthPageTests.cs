using System.Net.Http.Json;
using ActivityCrm.Tests.Infrastructure;
using Microsoft.Playwright;
using Npgsql;

namespace ActivityCrm.Tests.Health;

/// <summary>The app process with a hand-built week: a scheduler that stopped an hour ago and left sends undelivered,
/// a reply handler still running with some rejections, a low-volume UI action, an old backfill.</summary>
public sealed class HealthPageFixture : BrowserFixture
{
    public const string Scheduler = "n8n:kJMMZ10anu4NqYUL";
    public const string Replies = "n8n:reply-handler";

    protected override IReadOnlyDictionary<string, string> AppSettings => new Dictionary<string, string>
    {
        ["Health:RefreshSeconds"] = "2", ["Alerts:IntervalSeconds"] = "2", ["Alerts:ResolveAfterSeconds"] = "0",
    };

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        await using var ds = NpgsqlDataSource.Create(Database.ConnectionString);
        var now = DateTimeOffset.UtcNow;
        var leads = new List<Guid>();
        for (var i = 0; i < 20; i++) leads.Add(await ds.LeadAsync());
        const string webinar = """{"campaign_id": "c-webinar", "campaign_name": "Webinar Follow-up"}""";
        const string pricing = """{"campaign_id": "c-pricing", "campaign_name": "Pricing Page Visitors"}""";

        var events = new List<ActivityCrm.Data.Activities.NewActivity>();
        var n = 0;
        for (var t = now.AddDays(-7).AddHours(-2); t < now.AddMinutes(-70); t += TimeSpan.FromMinutes(5), n++)
        {
            var (lead, execution) = (leads[n % leads.Count], Guid.NewGuid());
            events.Add(HealthTestData.Event(Scheduler, t, "MESSAGE_SENT", leadId: lead, correlationId: execution, metadata: n % 3 == 0 ? pricing : webinar));
            // Every 40th send never hears back from the carrier.
            if (n % 40 != 0) events.Add(HealthTestData.Event("n8n:st-delivery-v2", t.AddMinutes(2), "MESSAGE_DELIVERED", leadId: lead, correlationId: execution));
        }
        events.AddRange(HealthTestData.Steady(Replies, now.AddDays(-7).AddHours(-2), now.AddMinutes(-1), TimeSpan.FromMinutes(20)));
        events.AddRange(new[] { -3, -9, -20 }.Select(h => HealthTestData.Event("ui:note-add", now.AddHours(h), "NOTE_ADDED", leadId: leads[0])));
        events.AddRange(Enumerable.Range(0, 30).Select(i => HealthTestData.Event("backfill:sms_audit", now.AddDays(-200).AddMinutes(i), "MESSAGE_DELIVERED", leadId: leads[1])));
        await ds.AppendAsync(events);
        for (var i = 0; i < 3; i++) await ds.DeadLetterAsync(Replies, now.AddMinutes(-10 * i));
        await ds.DeadLetterAsync(null, now.AddMinutes(-2));
    }
}

[Collection(AppProcessCollection.Name)]
public sealed class HealthPageTests(HealthPageFixture fx) : IClassFixture<HealthPageFixture>
{
    private static ILocator Row(IPage page, string source) => page.Locator($"[data-testid=source-row][data-source='{source}']");

    [Fact]
    public async Task The_health_page_shows_each_source_the_quiet_flag_waiting_follow_ups_and_alerts_wide_and_narrow()
    {
        var page = await fx.SignedInPageAsync("/admin/health", width: 1400, height: 900);

        var scheduler = Row(page, HealthPageFixture.Scheduler);
        await Assertions.Expect(scheduler.GetByTestId("quiet-badge")).ToBeVisibleAsync();
        await Assertions.Expect(scheduler.GetByTestId("last-hour")).ToHaveTextAsync("0");
        await Assertions.Expect(scheduler.GetByTestId("last-24h")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex("^2[67][0-9]$")); // 12 an hour for 23 h
        var replies = Row(page, HealthPageFixture.Replies);
        await Assertions.Expect(replies.GetByTestId("quiet-badge")).ToHaveCountAsync(0);
        await Assertions.Expect(replies.GetByTestId("dead-letters")).ToHaveTextAsync("3");
        await Assertions.Expect(Row(page, "ui:note-add").GetByTestId("quiet-badge")).ToHaveCountAsync(0);
        await Assertions.Expect(Row(page, "backfill:sms_audit")).ToContainTextAsync("Idle");
        await Assertions.Expect(Row(page, "(unknown source)").GetByTestId("dead-letters")).ToHaveTextAsync("1");
        await Assertions.Expect(page.GetByTestId("tile-database")).ToContainTextAsync("Reachable");
        await Assertions.Expect(page.GetByTestId("db-connections")).ToContainTextAsync("connections");

        await fx.ScreenshotAsync(page, "health-1400x900");

        // Waiting for follow-up: grouped by campaign, with a drill-down to the events.
        var webinar = page.Locator("[data-testid=gap-row][data-campaign='c-webinar']");
        await Assertions.Expect(webinar).ToContainTextAsync("Webinar Follow-up");
        await Assertions.Expect(webinar).ToContainTextAsync(HealthPageFixture.Scheduler);
        await webinar.GetByTestId("gap-toggle").ClickAsync();
        var drillDown = page.GetByTestId("gap-events").Locator("a.event-desc");
        await Assertions.Expect(drillDown.First).ToBeVisibleAsync();
        var count = int.Parse(await webinar.GetByTestId("gap-count").InnerTextAsync());
        Assert.Equal(count, await drillDown.CountAsync());
        Assert.StartsWith("/admin/activity-logs/", await drillDown.First.GetAttributeAsync("href"));

        // The alert service saw the quiet scheduler, the dead letters and the waiting sends; the page shows them without a reload.
        var alerts = page.GetByTestId("alerts");
        await Assertions.Expect(alerts.Locator($"[data-key='quiet:{HealthPageFixture.Scheduler}']")).ToContainTextAsync("went quiet", new() { Timeout = 20_000 });
        await Assertions.Expect(alerts.Locator("[data-key='dead-letters']")).ToBeVisibleAsync();
        await Assertions.Expect(alerts.Locator("[data-key='lifecycle:MESSAGE_SENT']")).ToBeVisibleAsync();
        await fx.ScreenshotAsync(page, "health-1400x900-follow-ups");
        await page.SetViewportSizeAsync(1400, 2600); // the whole page at once, for review (the layout scrolls inside its body)
        await fx.ScreenshotAsync(page, "health-1400-whole");

        var narrow = await fx.SignedInPageAsync("/admin/health", width: 390, height: 844);
        await Assertions.Expect(Row(narrow, HealthPageFixture.Scheduler).GetByTestId("quiet-badge")).ToBeVisibleAsync();
        Assert.True(await narrow.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= window.innerWidth"), "the narrow page scrolls sideways");
        await fx.ScreenshotAsync(narrow, "health-390x844");
        await narrow.SetViewportSizeAsync(390, 4000);
        await fx.ScreenshotAsync(narrow, "health-390-whole");
        fx.AssertNoConsoleErrors();
    }

    [Fact]
    public async Task Events_and_ingestion_latency_show_up_on_the_open_page_without_a_reload()
    {
        var page = await fx.SignedInPageAsync("/admin/health");
        await Assertions.Expect(page.GetByTestId("sources")).ToBeVisibleAsync();
        var source = HealthTestData.Source();

        using var http = new HttpClient { BaseAddress = new Uri(fx.App.BaseUrl) };
        http.DefaultRequestHeaders.Add("x-api-key", AppFactory.ApiKey);
        for (var i = 0; i < 3; i++)
            (await http.PostAsJsonAsync("/api/internal/log-activity", EventPayloads.Sms("recHEALTHLIVE").With("source", source))).EnsureSuccessStatusCode();

        await Assertions.Expect(Row(page, source).GetByTestId("last-hour")).ToHaveTextAsync("3", new() { Timeout = 10_000 });
        await Assertions.Expect(page.GetByTestId("tile-latency")).ToContainTextAsync("p95", new() { Timeout = 10_000 });
        await Assertions.Expect(page.Locator("[data-testid=latency] [data-endpoint='/api/internal/log-activity'] [data-testid=latency-count]")).ToHaveTextAsync("3");
        fx.AssertNoConsoleErrors();
    }

    [Fact]
    public async Task The_page_counts_the_browsers_connected_to_this_instance()
    {
        var page = await fx.SignedInPageAsync("/admin/health");
        var connected = page.GetByTestId("circuits-connected");
        await Assertions.Expect(connected).ToHaveTextAsync(new System.Text.RegularExpressions.Regex("^[1-9][0-9]*$"));
        var before = int.Parse(await connected.InnerTextAsync());

        var other = await fx.SignedInPageAsync("/admin");
        await Assertions.Expect(connected).ToHaveTextAsync((before + 1).ToString(), new() { Timeout = 10_000 });

        await other.Context.CloseAsync();
        await Assertions.Expect(connected).ToHaveTextAsync(before.ToString(), new() { Timeout = 10_000 });
    }
}
