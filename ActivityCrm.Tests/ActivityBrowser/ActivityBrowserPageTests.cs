using System.Net.Http.Json;
using ActivityCrm.Data.Demo;
using ActivityCrm.Data.Entities;
using ActivityCrm.Tests.Infrastructure;
using Microsoft.Playwright;
using Npgsql;

namespace ActivityCrm.Tests.ActivityBrowser;

/// <summary>The real app process with demo history plus a few events the tests know by heart.</summary>
public sealed class ActivityBrowserFixture : BrowserFixture
{
    public const string Word = "zanzibarquest";
    public string KnownLeadAirtableId { get; } = $"recBROWSE{Guid.NewGuid():N}"[..18];
    public Guid Correlation { get; } = Guid.NewGuid();

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        await using (var ds = NpgsqlDataSource.Create(Database.ConnectionString))
            await DemoData.SeedAsync(ds, new DemoDataOptions(Leads: 80, Events: 2_000, Days: 30, OrphanLeads: 2), TimeProvider.System);
        using var http = Api();
        (await http.PutAsJsonAsync($"/api/internal/leads/{KnownLeadAirtableId}", new { firstName = "Nadia", lastName = "Browser", email = "nadia@browse.example" }))
            .EnsureSuccessStatusCode();
        // A journey of three steps under one correlation id, a minute apart, the newest a few seconds ago.
        var now = DateTimeOffset.UtcNow;
        for (var i = 0; i < 3; i++)
            await PostAsync(EventPayloads.Sms(KnownLeadAirtableId, i == 0 ? $"Would a {Word} walkthrough help?" : $"Step {i} of the journey")
                .With("correlationId", Correlation.ToString()).With("executionId", $"77{i}01")
                .With("metadata", new { campaign_id = "browser_check", step = i })
                .With("timestamp", now.AddMinutes(-2 + i).ToString("O")));
    }

    public HttpClient Api()
    {
        var http = new HttpClient { BaseAddress = new Uri(App.BaseUrl) };
        http.DefaultRequestHeaders.Add("x-api-key", AppFactory.ApiKey);
        return http;
    }

    public async Task PostAsync(Dictionary<string, object?> payload)
    {
        using var http = Api();
        (await http.PostAsJsonAsync("/api/internal/log-activity", payload)).EnsureSuccessStatusCode();
    }
}

/// <summary>
/// /admin/activity-logs in Debian's Chromium against the real app: search, filters, expansion, export,
/// links that reproduce a view, Back, live rows pushed over the circuit and the paused notice, narrow windows.
/// </summary>
public sealed class ActivityBrowserPageTests(ActivityBrowserFixture fx) : IClassFixture<ActivityBrowserFixture>
{
    private const string Path = "/admin/activity-logs";

    private static ILocator Rows(IPage page) => page.Locator("[data-testid=events] tr[data-event-id]");

    /// <summary>Waits until the grid shows what the address bar says (not the view before a navigation).</summary>
    private static async Task WaitForLoadedAsync(IPage page)
    {
        var view = new Uri(page.Url).PathAndQuery;
        await Assertions.Expect(page.GetByTestId("events")).ToHaveAttributeAsync("data-loaded", view, new() { Timeout = 15_000 });
    }

    private static async Task PickAsync(IPage page, string dropdownTestId, string item)
    {
        await page.GetByTestId(dropdownTestId).ClickAsync();
        await page.Locator(".rz-popup:visible li", new() { HasText = item }).First.ClickAsync();
        await page.Keyboard.PressAsync("Escape");
    }

    [Fact]
    public async Task Searching_filtering_and_expanding_a_row_show_the_event_and_its_correlation()
    {
        var page = await fx.SignedInPageAsync(Path);
        await page.Context.GrantPermissionsAsync(["clipboard-read", "clipboard-write"]);
        await WaitForLoadedAsync(page);
        Assert.Equal(50, await Rows(page).CountAsync());

        await page.GetByTestId("search").FillAsync(ActivityBrowserFixture.Word);
        await page.WaitForURLAsync(u => u.Contains("search=" + ActivityBrowserFixture.Word));
        await WaitForLoadedAsync(page);
        await Assertions.Expect(Rows(page)).ToHaveCountAsync(1);
        await Assertions.Expect(page.GetByTestId("total")).ToContainTextAsync("of 1 event");

        await page.Locator("[data-testid=events] .rz-row-toggler").First.ClickAsync();
        var details = page.GetByTestId("event-details");
        await Assertions.Expect(details.GetByTestId("message-content")).ToContainTextAsync($"Would a {ActivityBrowserFixture.Word} walkthrough help?");
        await Assertions.Expect(details.GetByTestId("metadata")).ToContainTextAsync("\"campaign_id\": \"browser_check\"");
        await Assertions.Expect(details.GetByTestId("open-event")).ToHaveAttributeAsync("href", new System.Text.RegularExpressions.Regex($"^{Path}/[0-9a-f-]{{36}}$"));
        await details.GetByTestId("copy-execution-id").ClickAsync();
        await Assertions.Expect(page.GetByText("Execution id 77001 is on the clipboard.")).ToBeVisibleAsync();
        Assert.Equal("77001", await page.EvaluateAsync<string>("() => navigator.clipboard.readText()"));

        await details.GetByTestId("correlation-link").ClickAsync();
        await page.WaitForURLAsync(u => u.Contains("correlationId=" + fx.Correlation) && !u.Contains("search="));
        await WaitForLoadedAsync(page);
        await Assertions.Expect(Rows(page)).ToHaveCountAsync(3);
        await Assertions.Expect(page.GetByTestId("correlation-chip")).ToBeVisibleAsync();

        await page.GetByTestId("clear-filters").ClickAsync();
        await page.WaitForURLAsync(u => u.EndsWith(Path));
        await WaitForLoadedAsync(page);
        await PickAsync(page, "filter-type", "OPT_OUT");
        await page.WaitForURLAsync(u => u.Contains("eventType=OPT_OUT"));
        await WaitForLoadedAsync(page);
        var badges = await page.Locator("[data-testid=events] .event-badge-name").AllInnerTextsAsync();
        Assert.NotEmpty(badges);
        Assert.All(badges, b => Assert.Equal("OPT_OUT", b.Trim()));
        fx.AssertNoConsoleErrors();
    }

    [Fact]
    public async Task A_copied_link_reproduces_the_view_and_back_returns_to_the_one_before()
    {
        var page = await fx.SignedInPageAsync(Path);
        await WaitForLoadedAsync(page);
        await PickAsync(page, "filter-category", "SMS");
        await page.WaitForURLAsync(u => u.Contains("eventCategory=SMS"));
        await WaitForLoadedAsync(page);
        var firstPageTop = await Rows(page).First.GetAttributeAsync("data-event-id");

        await page.GetByTestId("page-older").ClickAsync();
        await page.WaitForURLAsync(u => u.Contains("cursor=") && u.Contains("page=2"));
        await WaitForLoadedAsync(page);
        var secondPageIds = await Rows(page).EvaluateAllAsync<string[]>("rows => rows.map(r => r.dataset.eventId)");
        Assert.DoesNotContain(firstPageTop, secondPageIds);
        await Assertions.Expect(page.GetByTestId("page-label")).ToContainTextAsync("Page 2");

        var copied = page.Url;
        var other = await fx.SignedInPageAsync(new Uri(copied).PathAndQuery);
        await WaitForLoadedAsync(other);
        Assert.Equal(secondPageIds, await Rows(other).EvaluateAllAsync<string[]>("rows => rows.map(r => r.dataset.eventId)"));
        await Assertions.Expect(other.GetByTestId("filter-category")).ToContainTextAsync("SMS");
        await Assertions.Expect(other.GetByTestId("page-label")).ToContainTextAsync("Page 2");

        await page.GoBackAsync();
        await page.WaitForURLAsync(u => u.Contains("eventCategory=SMS") && !u.Contains("cursor="));
        await WaitForLoadedAsync(page);
        await Assertions.Expect(Rows(page).First).ToHaveAttributeAsync("data-event-id", firstPageTop!);
        await page.GoBackAsync();
        await page.WaitForURLAsync(u => u.EndsWith(Path));
        await WaitForLoadedAsync(page);
        await Assertions.Expect(page.GetByTestId("filter-category")).Not.ToContainTextAsync("SMS");
        fx.AssertNoConsoleErrors();
    }

    [Fact]
    public async Task Export_downloads_every_event_of_the_filter_as_a_named_csv()
    {
        var page = await fx.SignedInPageAsync($"{Path}?search={ActivityBrowserFixture.Word}%20OR%20journey");
        await WaitForLoadedAsync(page);
        await Assertions.Expect(Rows(page)).ToHaveCountAsync(3);

        var download = await page.RunAndWaitForDownloadAsync(() => page.GetByTestId("export-csv").ClickAsync());

        Assert.Matches($@"^activity-logs_search-{ActivityBrowserFixture.Word}-OR-journey_\d{{4}}-\d{{2}}-\d{{2}}T\d{{4}}Z\.csv$", download.SuggestedFilename);
        var records = ActivityCsvTests.Parse(await File.ReadAllBytesAsync((await download.PathAsync())!));
        Assert.Equal(4, records.Count);
        Assert.Equal("id", records[0][0]);
        Assert.Equal(await Rows(page).EvaluateAllAsync<string[]>("rows => rows.map(r => r.dataset.eventId)"), records.Skip(1).Select(r => r[0]).ToArray());
        fx.AssertNoConsoleErrors();
    }

    [Fact]
    public async Task An_ingested_event_appears_live_and_while_paused_a_notice_counts_it_instead()
    {
        var page = await fx.SignedInPageAsync($"{Path}?eventType=MESSAGE_SENT");
        await WaitForLoadedAsync(page);
        var live = $"Live browser check {Guid.NewGuid():N}";

        await fx.PostAsync(EventPayloads.Sms(fx.KnownLeadAirtableId, live));
        await fx.PostAsync(EventPayloads.Sms(fx.KnownLeadAirtableId, "filtered out").With("eventType", "MESSAGE_DELIVERED").With("description", "SMS delivered (live)"));

        await Assertions.Expect(Rows(page).First).ToContainTextAsync(live, new() { Timeout = 5_000 });
        await Assertions.Expect(Rows(page).First).ToHaveAttributeAsync("data-new", "true");
        await Assertions.Expect(page.GetByText("SMS delivered (live)")).ToHaveCountAsync(0);

        await page.GetByTestId("live-toggle").ClickAsync();
        await Assertions.Expect(page.GetByTestId("live-state")).ToHaveTextAsync("Paused");
        var paused = $"Paused browser check {Guid.NewGuid():N}";
        await fx.PostAsync(EventPayloads.Sms(fx.KnownLeadAirtableId, paused));

        await Assertions.Expect(page.GetByTestId("new-events")).ToContainTextAsync("1 new event", new() { Timeout = 5_000 });
        await Assertions.Expect(page.GetByText(paused)).ToHaveCountAsync(0);
        await page.GetByTestId("new-events").ClickAsync();
        await Assertions.Expect(Rows(page).First).ToContainTextAsync(paused);
        await Assertions.Expect(page.GetByTestId("new-events")).ToHaveCountAsync(0);
        fx.AssertNoConsoleErrors();
    }

    [Fact]
    public async Task Past_the_first_page_a_new_event_shows_a_notice_and_rows_stay_put()
    {
        var page = await fx.SignedInPageAsync(Path);
        await WaitForLoadedAsync(page);
        await page.GetByTestId("page-older").ClickAsync();
        await page.WaitForURLAsync(u => u.Contains("page=2"));
        await WaitForLoadedAsync(page);
        var before = await Rows(page).EvaluateAllAsync<string[]>("rows => rows.map(r => r.dataset.eventId)");

        await fx.PostAsync(EventPayloads.Sms(fx.KnownLeadAirtableId, $"Deep page check {Guid.NewGuid():N}"));

        await Assertions.Expect(page.GetByTestId("new-events")).ToContainTextAsync("1 new event", new() { Timeout = 5_000 });
        Assert.Equal(before, await Rows(page).EvaluateAllAsync<string[]>("rows => rows.map(r => r.dataset.eventId)"));
        await page.GetByTestId("new-events").ClickAsync();
        await page.WaitForURLAsync(u => u.EndsWith(Path));
        await WaitForLoadedAsync(page);
        await Assertions.Expect(Rows(page).First).ToContainTextAsync("Deep page check");
        fx.AssertNoConsoleErrors();
    }

    [Theory]
    [InlineData(1400, 900)]
    [InlineData(390, 844)]
    public async Task The_page_fits_the_window_wide_and_narrow(int width, int height)
    {
        var page = await fx.SignedInPageAsync(Path, width: width, height: height);
        await WaitForLoadedAsync(page);
        await fx.ScreenshotAsync(page, $"activity-logs-{width}x{height}");
        await page.Locator("[data-testid=events] .rz-row-toggler").First.ClickAsync();
        await Assertions.Expect(page.GetByTestId("event-details")).ToBeVisibleAsync();
        await fx.ScreenshotAsync(page, $"activity-logs-{width}x{height}-expanded");

        Assert.True(await page.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= window.innerWidth"), "the page scrolls sideways");
        var table = await page.Locator("[data-testid=events] table").BoundingBoxAsync();
        Assert.True(table!.X + table.Width <= width + 1, $"the table overflows: {table.X}+{table.Width} > {width}");
        await Assertions.Expect(page.Locator("th.ab-col-lead")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("th.ab-col-time")).ToHaveCountAsync(width < 760 ? 0 : 1);
        fx.AssertNoConsoleErrors();
    }

    [Fact]
    public async Task An_analyst_is_told_the_page_is_not_for_their_role()
    {
        var (_, email) = await TestUsers.CreateAsync(fx.Database.ConnectionString, Roles.Analyst);
        var page = await fx.SignedInPageAsync(Path, email, TestUsers.Password);
        await Assertions.Expect(page.GetByText("Not allowed")).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByTestId("events")).ToHaveCountAsync(0);
    }
}
