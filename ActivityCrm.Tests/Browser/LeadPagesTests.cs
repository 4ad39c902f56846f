using System.Net.Http.Json;
using System.Text.RegularExpressions;
using ActivityCrm.Tests.Infrastructure;
using Microsoft.Playwright;

namespace ActivityCrm.Tests.Browser;

/// <summary>The leads list, the lead page with its Activity Timeline, and the campaigns page in a real Chromium.</summary>
public sealed class LeadPagesTests(LeadPagesFixture fx) : IClassFixture<LeadPagesFixture>
{
    private static readonly LocatorAssertionsToBeVisibleOptions Soon = new() { Timeout = 15_000 };

    private static ILocator Timeline(IPage page) => page.GetByTestId("timeline");

    private static ILocator Entry(IPage page, string type) => Timeline(page).Locator($"article.tl-entry[data-event-type={type}]");

    private static ILocator Dialog(IPage page) => page.Locator(".rz-dialog");

    private static async Task ChooseAsync(IPage page, string dropdownTestId, string option)
    {
        await Dialog(page).GetByTestId(dropdownTestId).ClickAsync();
        await page.Locator(".rz-dropdown-item", new() { HasText = option }).First.ClickAsync();
    }

    private static async Task<int> ScrollToTheEndAsync(IPage page)
    {
        for (var i = 0; i < 40 && !await page.GetByTestId("timeline-end").IsVisibleAsync(); i++)
        {
            await page.EvaluateAsync("() => document.querySelector('.rz-body').scrollTo(0, 1e9)");
            await page.WaitForTimeoutAsync(300);
        }
        return await Timeline(page).Locator("[data-event-id]").CountAsync();
    }

    [Fact]
    public async Task A_program_manager_does_every_action_on_the_lead_page_and_sees_each_one_on_the_timeline()
    {
        var lead = await fx.LeadAsync("Ada", "Actions");
        var campaign = $"Spring push {Guid.NewGuid():N}"[..18];
        await fx.ExecAsync("INSERT INTO campaigns (name) VALUES (@n)", ("n", campaign));
        var page = await fx.ManagerPageAsync($"/leads/{lead.Id}");
        await Assertions.Expect(page.GetByTestId("lead-name")).ToHaveTextAsync("Ada Actions");
        await Assertions.Expect(page.GetByTestId("timeline-empty")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("a", new() { HasText = "Erase personal data" })).ToHaveCountAsync(0);

        // Change status
        await page.GetByRole(AriaRole.Button, new() { Name = "Change status" }).ClickAsync();
        await ChooseAsync(page, "status-select", "Qualified");
        await Dialog(page).GetByRole(AriaRole.Button, new() { Name = "Change status" }).ClickAsync();
        await Assertions.Expect(Entry(page, "STATUS_CHANGED").Locator(".lead-status")).ToHaveTextAsync(["New", "Qualified"], new() { Timeout = 15_000 });
        await Assertions.Expect(page.GetByTestId("lead-status")).ToHaveTextAsync("Qualified");

        // Add a note: an empty one is refused inline, then a real one is stored
        await page.GetByRole(AriaRole.Button, new() { Name = "Add note" }).ClickAsync();
        await Dialog(page).GetByRole(AriaRole.Button, new() { Name = "Add note" }).ClickAsync();
        await Assertions.Expect(Dialog(page).GetByTestId("action-error")).ToContainTextAsync("The note is empty");
        await Dialog(page).Locator("textarea[name=note]").FillAsync("Wants a proposal for 12 seats by Friday.");
        await Dialog(page).GetByRole(AriaRole.Button, new() { Name = "Add note" }).ClickAsync();
        await Assertions.Expect(Entry(page, "NOTE_ADDED").GetByTestId("note")).ToHaveTextAsync("Wants a proposal for 12 seats by Friday.", new() { Timeout = 15_000 });
        await Assertions.Expect(page.GetByRole(AriaRole.Tab, new() { Name = "Notes (1)" })).ToBeVisibleAsync();

        // Log a call
        await page.GetByRole(AriaRole.Button, new() { Name = "Log call" }).ClickAsync();
        await ChooseAsync(page, "call-outcome", "Connected");
        await Dialog(page).Locator("input[name=minutes]").FillAsync("12");
        await Dialog(page).Locator("textarea[name=notes]").FillAsync("Budget approved.");
        await Dialog(page).GetByRole(AriaRole.Button, new() { Name = "Log call" }).ClickAsync();
        await Assertions.Expect(Entry(page, "CALL_LOGGED")).ToContainTextAsync("Call logged: connected, 12 min", new() { Timeout = 15_000 });

        // Enrol in a campaign, then remove from it
        await page.GetByRole(AriaRole.Button, new() { Name = "Enrol in campaign" }).ClickAsync();
        await ChooseAsync(page, "campaign-select", campaign);
        await Dialog(page).GetByRole(AriaRole.Button, new() { Name = "Enrol", Exact = true }).ClickAsync();
        await Assertions.Expect(Entry(page, "CAMPAIGN_ENROLLED")).ToContainTextAsync(campaign, new() { Timeout = 15_000 });
        await Assertions.Expect(page.GetByTestId("lead-campaigns")).ToContainTextAsync(campaign);
        await page.GetByRole(AriaRole.Button, new() { Name = $"Remove from {campaign}" }).ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Remove", Exact = true }).ClickAsync();
        await Assertions.Expect(Entry(page, "CAMPAIGN_REMOVED")).ToContainTextAsync(campaign, new() { Timeout = 15_000 });
        await Assertions.Expect(page.GetByTestId("lead-campaigns")).Not.ToContainTextAsync(campaign);

        // Claim
        await page.GetByRole(AriaRole.Button, new() { Name = "Claim lead" }).ClickAsync();
        await Assertions.Expect(Entry(page, "LEAD_CLAIMED")).ToContainTextAsync("Lead claimed by Pat Manager", new() { Timeout = 15_000 });
        await Assertions.Expect(page.GetByTestId("lead-owner")).ToHaveTextAsync("Pat Manager");

        // Each action is exactly one event on the timeline, by this person, from its ui: source.
        await Assertions.Expect(Timeline(page).Locator("[data-event-id]")).ToHaveCountAsync(6);
        await Assertions.Expect(Timeline(page).Locator(".actor-badge[data-actor-type=human]")).ToHaveCountAsync(6);
        Assert.Equal(6, await fx.ScalarAsync<long>("SELECT count(*) FROM lead_activity_log WHERE lead_id = @l AND actor_id = @u AND created_by = @id AND actor_type = 'human'",
            ("l", lead.Id), ("u", fx.Manager.Id.ToString()), ("id", fx.Manager.Id)));
        Assert.Equal("ui:call-log,ui:campaign-enroll,ui:campaign-remove,ui:lead-claim,ui:note-add,ui:status-change",
            await fx.ScalarAsync<string>("SELECT string_agg(source, ',' ORDER BY source) FROM lead_activity_log WHERE lead_id = @l", ("l", lead.Id)));
        fx.AssertNoConsoleErrors();
    }

    [Fact]
    public async Task Scrolling_down_loads_older_events_until_the_start_of_the_history()
    {
        var lead = await fx.LeadAsync("Sam", "Scroller");
        await fx.EventsAsync(lead.AirtableId, 230);
        var page = await fx.SignedInPageAsync($"/leads/{lead.Id}");

        await Assertions.Expect(Timeline(page).Locator("[data-event-id]")).ToHaveCountAsync(100, new() { Timeout = 15_000 });
        await Assertions.Expect(Timeline(page).Locator("[data-event-id]").First).ToContainTextAsync("message 0");

        var count = await ScrollToTheEndAsync(page);

        Assert.Equal(230, count);
        var ids = await Timeline(page).Locator("[data-event-id]").EvaluateAllAsync<string[]>("els => els.map(e => e.dataset.eventId)");
        Assert.Equal(230, ids.Distinct().Count());
        await Assertions.Expect(Timeline(page).Locator("[data-event-id]").Last).ToContainTextAsync("message 229");
        await Assertions.Expect(page.GetByTestId("timeline-end")).ToContainTextAsync("230 events");

        // The search box narrows the same timeline: "message 17" is 17 and 170-179.
        await page.GetByTestId("timeline-search").FillAsync("message 17");
        await Assertions.Expect(Timeline(page).Locator("[data-event-id]")).ToHaveCountAsync(11, new() { Timeout = 15_000 });
        await Assertions.Expect(page.GetByTestId("timeline-end")).ToContainTextAsync("11 events match");
        fx.AssertNoConsoleErrors();
    }

    [Fact]
    public async Task An_event_ingested_through_the_api_appears_live_on_the_open_lead_page_when_it_matches_the_filters()
    {
        var lead = await fx.LeadAsync("Liv", "Live");
        var other = await fx.LeadAsync("Otto", "Other");
        await fx.EventsAsync(lead.AirtableId, 3);
        var page = await fx.ManagerPageAsync($"/leads/{lead.Id}");
        await Assertions.Expect(Timeline(page).Locator("[data-event-id]")).ToHaveCountAsync(3, new() { Timeout = 15_000 });
        using var http = fx.Api();

        var mine = $"Live for Liv {Guid.NewGuid():N}";
        var notMine = $"Live for Otto {Guid.NewGuid():N}";
        (await http.PostAsJsonAsync("/api/internal/log-activity", EventPayloads.Sms(other.AirtableId, notMine).With("description", notMine))).EnsureSuccessStatusCode();
        (await http.PostAsJsonAsync("/api/internal/log-activity", EventPayloads.Sms(lead.AirtableId, mine).With("description", mine))).EnsureSuccessStatusCode();

        await Assertions.Expect(Timeline(page).GetByText(mine).First).ToBeVisibleAsync(Soon);
        await Assertions.Expect(Timeline(page).Locator("[data-event-id]")).ToHaveCountAsync(4);
        await Assertions.Expect(Timeline(page).GetByText(notMine)).ToHaveCountAsync(0);

        // With only calls shown, a new SMS stays out and a new call comes in.
        await Timeline(page).Locator("button.tl-filter[data-category=CALL]").ClickAsync();
        await Assertions.Expect(page.GetByTestId("timeline-empty")).ToBeVisibleAsync();
        var sms = $"Filtered out {Guid.NewGuid():N}";
        var call = $"Call came in {Guid.NewGuid():N}";
        (await http.PostAsJsonAsync("/api/internal/log-activity", EventPayloads.Sms(lead.AirtableId, sms).With("description", sms))).EnsureSuccessStatusCode();
        (await http.PostAsJsonAsync("/api/internal/log-activity", EventPayloads.Sms(lead.AirtableId).With("eventType", "CALL_LOGGED").With("eventCategory", "CALL")
            .With("description", call).With("metadata", new { outcome = "connected", durationSeconds = 90 }))).EnsureSuccessStatusCode();
        await Assertions.Expect(Entry(page, "CALL_LOGGED")).ToContainTextAsync(call, new() { Timeout = 15_000 });
        await Assertions.Expect(Timeline(page).GetByText(sms)).ToHaveCountAsync(0);
        fx.AssertNoConsoleErrors();
    }

    [Fact]
    public async Task The_leads_list_searches_hides_deleted_leads_and_opens_any_lead_including_deleted_and_unknown_ones()
    {
        var tag = Guid.NewGuid().ToString("N")[..8];
        var lead = await fx.LeadAsync("Zephyrine", $"Quist{tag}");
        var gone = await fx.LeadAsync("Gone", $"Away{tag}");
        await fx.ExecAsync("UPDATE leads SET deleted_at = now() WHERE id = @id", ("id", gone.Id));
        var page = await fx.ManagerPageAsync("/leads");
        var rows = page.GetByTestId("leads-grid").Locator("tbody tr");
        await Assertions.Expect(rows.First).ToBeVisibleAsync(Soon);

        await page.GetByTestId("leads-search").FillAsync(tag);
        await Assertions.Expect(rows).ToHaveCountAsync(1, new() { Timeout = 15_000 });
        await Assertions.Expect(rows.First).ToContainTextAsync($"Zephyrine Quist{tag}");
        await page.GetByText("Show deleted").ClickAsync();
        await Assertions.Expect(rows).ToHaveCountAsync(2, new() { Timeout = 15_000 });
        await Assertions.Expect(page.GetByTestId("leads-grid")).ToContainTextAsync("(deleted)");

        await page.GetByTestId("lead-link").GetByText($"Zephyrine Quist{tag}").ClickAsync();
        await Assertions.Expect(page.GetByTestId("lead-name")).ToHaveTextAsync($"Zephyrine Quist{tag}", new() { Timeout = 15_000 });
        Assert.EndsWith($"/leads/{lead.Id}", page.Url);

        await page.GotoAsync($"/leads/{gone.Id}");
        await Assertions.Expect(page.GetByTestId("deleted-banner")).ToContainTextAsync("(deleted)", new() { Timeout = 15_000 });
        await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "Add note" })).ToBeDisabledAsync();

        await page.GotoAsync($"/leads/{Guid.NewGuid()}");
        await Assertions.Expect(page.GetByTestId("lead-not-found")).ToContainTextAsync("Lead not found", new() { Timeout = 15_000 });
        fx.AssertNoConsoleErrors();
    }

    [Fact]
    public async Task Campaigns_are_created_once_per_name_archived_and_then_offer_no_enrolment()
    {
        var name = $"Autumn webinar {Guid.NewGuid():N}"[..22];
        var page = await fx.ManagerPageAsync("/campaigns");

        await page.GetByLabel("Campaign name").FillAsync(name);
        await page.GetByRole(AriaRole.Button, new() { Name = "Create campaign" }).ClickAsync();
        var row = page.GetByTestId("campaigns-grid").Locator("tbody tr", new() { HasText = name });
        await Assertions.Expect(row).ToBeVisibleAsync(Soon);
        await page.GetByLabel("Campaign name").FillAsync(name.ToUpperInvariant());
        await page.GetByRole(AriaRole.Button, new() { Name = "Create campaign" }).ClickAsync();
        await Assertions.Expect(page.GetByTestId("action-error")).ToContainTextAsync("already exists");

        await row.GetByRole(AriaRole.Button, new() { Name = $"Archive {name}" }).ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Archive", Exact = true }).ClickAsync();
        await Assertions.Expect(row).ToContainTextAsync("archived", new() { Timeout = 15_000 });

        var lead = await fx.LeadAsync("Arch", "Ived");
        await page.GotoAsync($"/leads/{lead.Id}");
        await BrowserFixture.WaitForCircuitAsync(page); // a click on the prerendered button before that is lost
        await page.GetByRole(AriaRole.Button, new() { Name = "Enrol in campaign" }).ClickAsync();
        await Dialog(page).GetByTestId("campaign-select").ClickAsync();
        await Assertions.Expect(page.Locator(".rz-dropdown-item").First).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator(".rz-dropdown-item", new() { HasText = name })).ToHaveCountAsync(0);
        fx.AssertNoConsoleErrors();
    }

    [Theory]
    [InlineData(1400, 900)]
    [InlineData(390, 844)]
    public async Task The_pages_fit_the_window_and_admins_see_the_erase_and_open_event_links(int width, int height)
    {
        var busiest = await fx.ScalarAsync<Guid>("SELECT lead_id FROM lead_activity_log WHERE lead_id IS NOT NULL GROUP BY lead_id ORDER BY count(*) DESC LIMIT 1");
        var page = await fx.SignedInPageAsync("/leads", width: width, height: height);
        await Assertions.Expect(page.GetByTestId("lead-link").First).ToBeVisibleAsync(Soon);
        await AssertFitsAsync(page);
        await fx.ScreenshotAsync(page, $"leads-{width}");

        await page.GotoAsync($"/leads/{busiest}");
        await BrowserFixture.WaitForCircuitAsync(page);
        await Assertions.Expect(Timeline(page).Locator("[data-event-id], [data-testid=journey]").First).ToBeVisibleAsync(Soon);
        await Assertions.Expect(page.Locator("a", new() { HasText = "Erase personal data" })).ToHaveAttributeAsync("href", $"/leads/{busiest}/erase");
        await AssertFitsAsync(page);
        await fx.ScreenshotAsync(page, $"lead-{width}");
        await Timeline(page).Locator("article.tl-entry .tl-head").First.ClickAsync();
        await Assertions.Expect(Timeline(page).GetByTestId("event-details").First).ToBeVisibleAsync();
        await Assertions.Expect(Timeline(page).GetByTestId("event-details").First.Locator("a", new() { HasText = "Open event" })).ToHaveAttributeAsync("href", new Regex("^/admin/activity-logs/[0-9a-f-]{36}$"));

        await page.GotoAsync("/campaigns");
        await Assertions.Expect(page.GetByTestId("campaigns-grid").Locator("tbody tr").First).ToBeVisibleAsync(Soon);
        await AssertFitsAsync(page);
        await fx.ScreenshotAsync(page, $"campaigns-{width}");
        fx.AssertNoConsoleErrors();
    }

    /// <summary>Nothing sticks out sideways once the page has settled: it never scrolls horizontally (wide grids
    /// scroll inside themselves). Polled, because a grid may lay out twice while the circuit starts.</summary>
    private static async Task AssertFitsAsync(IPage page)
    {
        await BrowserFixture.WaitForCircuitAsync(page);
        var overflow = 0;
        for (var attempt = 0; attempt < 20; attempt++)
        {
            overflow = await page.EvaluateAsync<int>("() => Math.max(document.documentElement.scrollWidth, document.querySelector('.rz-body').scrollWidth) - window.innerWidth");
            if (overflow <= 0) return;
            await page.WaitForTimeoutAsync(250);
        }
        var culprits = await page.EvaluateAsync<string[]>("""
            () => [...document.querySelectorAll('.rz-body *')].filter(e => e.getBoundingClientRect().right > window.innerWidth + 1 && !e.closest('.rz-data-grid-data'))
                  .slice(0, 8).map(e => `${e.tagName}.${e.className} right=${Math.round(e.getBoundingClientRect().right)}`)
            """);
        Assert.Fail($"The page is {overflow}px wider than the window ({page.Url}):\n{string.Join("\n", culprits)}");
    }
}
