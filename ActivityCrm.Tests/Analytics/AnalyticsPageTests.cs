using System.Net.Http.Json;
using ActivityCrm.Data.Demo;
using ActivityCrm.Data.Entities;
using ActivityCrm.Tests.Infrastructure;
using Microsoft.Playwright;
using Npgsql;

namespace ActivityCrm.Tests.Analytics;

/// <summary>The app process with demo data (the last 90 days) and the hand-built scenario (March 2026, so
/// filtering by its dates shows only its known figures).</summary>
public sealed class AnalyticsBrowserFixture : BrowserFixture
{
    public AnalyticsScenario Scenario { get; private set; } = null!;
    public string AnalystEmail { get; private set; } = "";

    protected override IReadOnlyDictionary<string, string> AppSettings => new Dictionary<string, string> { ["Analytics:RefreshSeconds"] = "1" };

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        await using var ds = NpgsqlDataSource.Create(Database.ConnectionString);
        await DemoData.SeedAsync(ds, new DemoDataOptions(Leads: 120, Events: 12_000, OrphanLeads: 2), TimeProvider.System);
        Scenario = await AnalyticsScenario.CreateAsync(ds);
        (_, AnalystEmail) = await TestUsers.CreateAsync(Database.ConnectionString, Roles.Analyst);
    }
}

public sealed class AnalyticsPageTests(AnalyticsBrowserFixture fx) : IClassFixture<AnalyticsBrowserFixture>
{
    private const string ScenarioView = "/analytics?from=2026-03-01&to=2026-03-15";
    private static readonly string[] Slugs = ["reply-rate", "funnel", "bookings", "reply-time", "events-per-day", "top-sources", "failure-rate"];

    private async Task<IPage> OpenAsync(string path, int width = 1400, int height = 900)
    {
        var page = await fx.SignedInPageAsync(path, fx.AnalystEmail, TestUsers.Password, width, height);
        // The rollups are built by the app's own refresher; wait until the page reports figures.
        await Assertions.Expect(page.GetByTestId("freshness")).ToContainTextAsync("Updated", new() { Timeout = 30_000 });
        return page;
    }

    [Fact]
    public async Task An_analyst_sees_every_panel_answer_its_question_with_a_chart()
    {
        var page = await OpenAsync(ScenarioView);

        await Assertions.Expect(page.GetByTestId("highest-drop-off")).ToHaveTextAsync("Message sent → Delivered", new() { Timeout = 15_000 });
        await Assertions.Expect(page.GetByTestId("answer-reply-rate")).ToContainTextAsync("50% of 8 leads replied within 24 hours");
        await Assertions.Expect(page.GetByTestId("answer-bookings")).ToContainTextAsync("3 leads booked and 1 opted out");
        await Assertions.Expect(page.GetByTestId("answer-reply-time")).ToContainTextAsync("5 of 8 replied");
        await Assertions.Expect(page.GetByTestId("answer-events-per-day")).ToContainTextAsync("32 events over 15 days");
        await Assertions.Expect(page.GetByTestId("answer-top-sources")).ToContainTextAsync("n8n:scheduler wrote the most: 17 events");
        await Assertions.Expect(page.GetByTestId("answer-failure-rate")).ToContainTextAsync("n8n:scheduler has the highest failure rate: 20%");
        foreach (var slug in Slugs)
            await Assertions.Expect(page.GetByTestId($"panel-{slug}").Locator(".rz-chart svg path").First).ToBeAttachedAsync();
        // The stacked chart's legend names the categories present, in their catalogue colours.
        var legend = page.GetByTestId("panel-events-per-day").Locator(".rz-legend");
        await Assertions.Expect(legend).ToContainTextAsync("SMS");
        await Assertions.Expect(legend).ToContainTextAsync("Campaign");
        await Assertions.Expect(legend).ToContainTextAsync("Booking");
        fx.AssertNoConsoleErrors();
    }

    [Fact]
    public async Task Choosing_a_campaign_changes_the_figures_and_the_link_reproduces_the_view()
    {
        var page = await OpenAsync(ScenarioView);
        await Assertions.Expect(page.GetByTestId("answer-reply-rate")).ToContainTextAsync("of 8 leads", new() { Timeout = 15_000 });

        await page.GetByTestId("campaign-filter").ClickAsync();
        await page.Locator(".rz-dropdown-item", new() { HasText = "Webinar Replay" }).ClickAsync();

        await Assertions.Expect(page.GetByTestId("answer-reply-rate")).ToContainTextAsync("33% of 3 leads in this campaign", new() { Timeout = 15_000 });
        await Assertions.Expect(page.GetByTestId("highest-drop-off")).ToHaveTextAsync("Replied → Booked");
        Assert.Contains($"campaign={fx.Scenario.WebinarKey}", page.Url);

        var again = await OpenAsync(new Uri(page.Url).PathAndQuery);
        await Assertions.Expect(again.GetByTestId("answer-reply-rate")).ToContainTextAsync("33% of 3 leads in this campaign", new() { Timeout = 15_000 });
        fx.AssertNoConsoleErrors();
    }

    [Fact]
    public async Task A_panels_csv_downloads_with_the_figures_on_screen()
    {
        var page = await OpenAsync(ScenarioView);
        await Assertions.Expect(page.GetByTestId("highest-drop-off")).ToBeVisibleAsync(new() { Timeout = 15_000 });

        var download = await page.RunAndWaitForDownloadAsync(() => page.GetByTestId("csv-funnel").ClickAsync());
        var text = await File.ReadAllTextAsync((await download.PathAsync())!);

        Assert.Equal("analytics-funnel-2026-03-01_2026-03-15.csv", download.SuggestedFilename);
        var lines = text.Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("CampaignKey,Campaign,StageOrder,Stage,Journeys,DropOff", lines[0]);
        Assert.Equal(16, lines.Length); // all campaigns, Spring and Webinar, five stages each
        Assert.Equal([",All campaigns,1,Enrolled,7,", ",All campaigns,2,Message sent,7,0", ",All campaigns,3,Delivered,5,0.2857142857142857"], lines[1..4]);
    }

    [Fact]
    public async Task A_new_event_shows_up_in_the_open_page_within_seconds()
    {
        // April 2026 holds no other test's events, so the panel starts empty.
        var page = await OpenAsync("/analytics?from=2026-04-01&to=2026-04-30");
        await Assertions.Expect(page.GetByTestId("empty-events-per-day")).ToBeVisibleAsync(new() { Timeout = 15_000 });

        using var http = new HttpClient { BaseAddress = new Uri(fx.App.BaseUrl) };
        http.DefaultRequestHeaders.Add("x-api-key", AppFactory.ApiKey);
        var note = EventPayloads.Sms(fx.Scenario.Leads["L6"].AirtableId).With("eventType", "NOTE_ADDED").With("eventCategory", "MANUAL")
            .With("description", "Note added").With("metadata", new Dictionary<string, object?>()).With("timestamp", "2026-04-10T12:30:00Z");
        (await http.PostAsJsonAsync("/api/internal/log-activity", note)).EnsureSuccessStatusCode();

        await Assertions.Expect(page.GetByTestId("answer-events-per-day")).ToContainTextAsync("1 event over 30 days", new() { Timeout = 15_000 });
        await Assertions.Expect(page.GetByTestId("answer-events-per-day")).ToContainTextAsync("Manual");
        fx.AssertNoConsoleErrors();
    }

    [Fact]
    public async Task The_page_is_readable_at_desktop_and_phone_widths()
    {
        foreach (var (width, height) in new[] { (1400, 900), (390, 844) })
        {
            // The demo data's last 90 days: the default view.
            var page = await OpenAsync("/analytics", width, height);
            await Assertions.Expect(page.GetByTestId("answer-funnel")).ToBeVisibleAsync(new() { Timeout = 15_000 });
            Assert.Contains("from=", page.Url);
            foreach (var slug in Slugs)
                await Assertions.Expect(page.GetByTestId($"panel-{slug}").Locator(".rz-chart svg path").First).ToBeAttachedAsync(new() { Timeout = 60_000 });
            await page.WaitForTimeoutAsync(1000); // chart animation
            await fx.ScreenshotAsync(page, $"analytics-{width}x{height}");
            // The body scrolls inside the layout, so the page shot shows the top; each panel gets its own.
            foreach (var slug in Slugs)
                await page.GetByTestId($"panel-{slug}").ScreenshotAsync(new() { Path = Path.Combine(AppContext.BaseDirectory, "screenshots", $"analytics-{width}-{slug}.png") });
            var overflow = await page.EvaluateAsync<bool>("() => document.documentElement.scrollWidth > window.innerWidth + 1");
            Assert.False(overflow, $"the page scrolls sideways at {width}px");
        }

        var pm = await TestUsers.CreateAsync(fx.Database.ConnectionString, Roles.ProgramManager);
        var denied = await fx.SignedInPageAsync("/analytics", pm.Email, TestUsers.Password);
        await Assertions.Expect(denied.GetByTestId("panel-funnel")).ToHaveCountAsync(0);
        await Assertions.Expect(denied.Locator("nav, .rz-sidebar").GetByText("Analytics")).ToHaveCountAsync(0);
        fx.AssertNoConsoleErrors();
    }
}
