using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ActivityCrm.Data.Entities;
using ActivityCrm.Tests.Infrastructure;
using Microsoft.Playwright;

namespace ActivityCrm.Tests.Browser;

/// <summary>
/// The access pages in a real Chromium against the real app: users, API keys, the event page with its
/// redaction dialog, erasure, integrity; sessions that end when a user is disabled; hostile event content
/// that stays text; no CSP violation or other console error on any of them; screenshots at two sizes.
/// </summary>
[Collection(AppProcessCollection.Name)]
public sealed class AccessPagesBrowserTests(BrowserFixture fx) : IClassFixture<BrowserFixture>
{
    private const string ScriptPayload = "<script>window.__xss = 'script'</script>";
    private const string ImgPayload = "<img src=x onerror=\"window.__xss = 'img'; alert('xss')\">";

    private HttpClient Api()
    {
        var http = new HttpClient { BaseAddress = new Uri(fx.App.BaseUrl) };
        http.DefaultRequestHeaders.Add("x-api-key", AppFactory.ApiKey);
        return http;
    }

    private async Task<(Guid Id, string AirtableId)> LeadAsync(string first, string last, string? email = null)
    {
        var airtable = $"rec{Guid.NewGuid():N}"[..17];
        using var http = Api();
        var r = await http.PutAsJsonAsync($"/api/internal/leads/{airtable}", new { firstName = first, lastName = last, email = email ?? $"{airtable}@example.com" });
        r.EnsureSuccessStatusCode();
        return ((await r.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("leadId").GetGuid(), airtable);
    }

    private async Task<Guid> EventAsync(Dictionary<string, object?> payload)
    {
        using var http = Api();
        var r = await http.PostAsJsonAsync("/api/internal/log-activity", payload);
        r.EnsureSuccessStatusCode();
        return (await r.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("activityId").GetGuid();
    }

    private Task<(Guid Id, string Email)> UserAsync(string role, string? name = null) =>
        TestUsers.CreateAsync(fx.Database.ConnectionString, role, displayName: name);

    private async Task ShootAsync(string name, string path, Func<IPage, Task>? ready = null, bool staticPage = false)
    {
        foreach (var (w, h) in new[] { (1400, 900), (390, 844) })
        {
            var page = await fx.SignedInPageAsync(staticPage ? "/" : path, width: w, height: h);
            if (staticPage) await page.GotoAsync(path);
            if (ready is not null) await ready(page);
            await fx.ScreenshotAsync(page, $"access-{name}-{w}x{h}");
            await page.Context.CloseAsync();
        }
    }

    [Fact]
    public async Task Hostile_description_message_and_metadata_stay_inert_text_on_the_event_page_the_admin_home_and_in_the_csv()
    {
        var lead = await LeadAsync("Xss", "Probe");
        var id = await EventAsync(EventPayloads.Sms(lead.AirtableId)
            .With("description", $"SMS sent: {ScriptPayload}{ImgPayload}")
            .With("messageContent", $"Reply {ImgPayload} {ScriptPayload}")
            .With("metadata", new Dictionary<string, object?> { ["note"] = ImgPayload, [ScriptPayload] = "key with a script", ["link"] = "javascript:alert(1)" }));
        var dialogs = 0;

        foreach (var path in new[] { $"/admin/activity-logs/{id}", "/admin" })
        {
            var page = await fx.SignedInPageAsync(path);
            page.Dialog += async (_, d) => { dialogs++; await d.DismissAsync(); };
            if (path == "/admin") await Assertions.Expect(page.GetByTestId("latest-events")).ToContainTextAsync("<script>");
            else
            {
                await Assertions.Expect(page.GetByTestId("event-full-description")).ToContainTextAsync(ScriptPayload);
                await Assertions.Expect(page.GetByTestId("event-message")).ToContainTextAsync(ImgPayload);
                await Assertions.Expect(page.GetByTestId("event-metadata")).ToContainTextAsync("onerror");
            }
            await page.WaitForTimeoutAsync(500); // an injected image's error handler would have run by now

            Assert.Equal("undefined", await page.EvaluateAsync<string>("() => typeof window.__xss"));
            Assert.Equal(0, await page.Locator("img[src='x']").CountAsync());
            Assert.Equal(0, await page.EvaluateAsync<int>("() => [...document.scripts].filter(s => s.textContent.includes('__xss')).length"));
            Assert.Equal(0, await page.Locator("a[href^='javascript:']").CountAsync());
            await page.Context.CloseAsync();
        }
        Assert.Equal(0, dialogs);

        // The CSV an analyst downloads carries the same text, inert: quoted, and no cell a spreadsheet would run.
        await EventAsync(EventPayloads.Sms(lead.AirtableId).With("description", "=HYPERLINK(\"http://evil.example\",\"click\")")
            .With("messageContent", "+cmd|' /C calc'!A0").With("metadata", new Dictionary<string, object?> { ["x"] = "@SUM(1)" }));
        var signedIn = await fx.SignedInPageAsync("/");
        var csv = await signedIn.Context.APIRequest.GetAsync($"/api/admin/activity-logs/export.csv?leadId={lead.Id}");
        Assert.Equal(200, csv.Status);
        var records = ActivityBrowser.ActivityCsvTests.Parse(await csv.BodyAsync());
        var description = ActivityCrm.Data.Activities.ActivityCsv.Columns.ToList().IndexOf("description");
        var rows = records.Skip(1).ToList();
        Assert.Contains(rows, r => r[description] == $"SMS sent: {ScriptPayload}{ImgPayload}");
        Assert.All(rows.SelectMany(r => r), cell => Assert.DoesNotMatch("^[=+\\-@\t\r]", cell));
        Assert.Contains(rows, r => r[description].StartsWith("'=HYPERLINK"));
        fx.AssertNoConsoleErrors();
    }

    [Fact]
    public async Task An_admin_redacts_an_event_with_a_required_reason_and_the_page_shows_who_and_why()
    {
        var lead = await LeadAsync("Rita", "Redact");
        var id = await EventAsync(EventPayloads.Sms(lead.AirtableId, "Call me on 408 555 1234"));
        var page = await fx.SignedInPageAsync($"/admin/activity-logs/{id}");
        await Assertions.Expect(page.GetByTestId("integrity-state")).ToContainTextAsync("Verified");

        await page.GetByTestId("redact").ClickAsync();
        var dialog = page.Locator(".rz-dialog");
        await Assertions.Expect(dialog).ToContainTextAsync("cannot be undone");
        await page.ScreenshotAsync(new() { Path = Path.Combine(AppContext.BaseDirectory, "screenshots", "access-redact-dialog-1400x900.png") });
        await page.GetByTestId("redact-confirm").ClickAsync();
        await Assertions.Expect(dialog).ToContainTextAsync("Say why");

        await page.GetByTestId("redact-reason").FillAsync("The lead's phone number was in the text");
        await dialog.GetByText("phone", new() { Exact = true }).ClickAsync();
        await page.GetByTestId("redact-confirm").ClickAsync();

        await Assertions.Expect(page.GetByTestId("redaction-notice")).ToContainTextAsync("The lead's phone number was in the text");
        await Assertions.Expect(page.GetByTestId("event-full-description")).ToHaveTextAsync("[redacted]");
        await Assertions.Expect(page.GetByTestId("event-metadata")).ToContainTextAsync("\"phone\": \"[redacted]\"");
        await Assertions.Expect(page.GetByTestId("event-metadata")).ToContainTextAsync("chatgpt_use_cases");
        await Assertions.Expect(page.GetByTestId("redact")).ToBeDisabledAsync();
        await Assertions.Expect(page.GetByTestId("integrity-state")).ToContainTextAsync("Redacted");

        await page.GetByText("See the entry that recorded it").ClickAsync();
        await Assertions.Expect(page.GetByTestId("event-full-description")).ToContainTextAsync("redacted a MESSAGE_SENT event");
        Assert.DoesNotContain("408 555 1234", await page.ContentAsync());
        fx.AssertNoConsoleErrors();
    }

    [Fact]
    public async Task A_super_admin_creates_a_user_who_signs_in_with_the_password_shown_once_and_is_thrown_out_when_disabled()
    {
        var email = $"new-{Guid.NewGuid():N}"[..12] + "@tests.local";
        var admin = await fx.SignedInPageAsync("/admin/users");
        await admin.GetByTestId("new-user").ClickAsync();
        var dialog = admin.Locator(".rz-dialog");
        await dialog.GetByRole(AriaRole.Textbox, new() { Name = "Email" }).FillAsync(email);
        await dialog.GetByRole(AriaRole.Textbox, new() { Name = "Display name" }).FillAsync("Nora New");
        await dialog.Locator(".role-option", new() { HasText = "Analyst" }).Locator(".rz-chkbox-box").ClickAsync();
        await Assertions.Expect(dialog.GetByTestId("password-rules")).ToContainTextAsync("At least 10 characters");
        await admin.ScreenshotAsync(new() { Path = Path.Combine(AppContext.BaseDirectory, "screenshots", "access-new-user-dialog-1400x900.png") });
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Create user" }).ClickAsync();
        var secret = admin.GetByTestId("secret-value");
        await Assertions.Expect(secret).ToBeVisibleAsync();
        var password = (await secret.TextContentAsync())!.Trim();
        await admin.GetByRole(AriaRole.Button, new() { Name = "Done" }).ClickAsync();
        await Assertions.Expect(admin.GetByTestId("users-grid")).ToContainTextAsync(email);

        var user = await fx.SignedInPageAsync("/", email, password);
        await Assertions.Expect(user.GetByTestId("current-user")).ToContainTextAsync(email);

        await admin.GetByRole(AriaRole.Button, new() { Name = $"Disable {email}" }).ClickAsync();
        await admin.Locator(".rz-dialog").GetByRole(AriaRole.Button, new() { Name = "Disable" }).ClickAsync();
        await Assertions.Expect(admin.GetByTestId("users-grid").Locator("tr", new() { HasText = email })).ToContainTextAsync("Disabled");

        // The open page notices within the circuit's revalidation interval, with no action by its user.
        await user.WaitForURLAsync(u => u.Contains("/account/login"), new() { Timeout = 30_000 });
        fx.AssertNoConsoleErrors();
    }

    [Fact]
    public async Task A_super_admin_cannot_disable_themselves_or_drop_their_own_super_admin_role()
    {
        var page = await fx.SignedInPageAsync("/admin/users");
        await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = $"Disable {AppFactory.AdminEmail}" })).ToBeDisabledAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = $"Change roles of {AppFactory.AdminEmail}" }).ClickAsync();
        var own = page.Locator(".rz-dialog .role-option", new() { HasText = "SuperAdmin" });
        await Assertions.Expect(own).ToContainTextAsync("you cannot remove your own");
        await Assertions.Expect(own.Locator(".rz-chkbox-box")).ToHaveClassAsync(new System.Text.RegularExpressions.Regex("rz-state-disabled"));
    }

    [Fact]
    public async Task A_new_api_key_is_shown_once_works_and_is_refused_right_after_it_is_revoked()
    {
        var name = $"n8n test {Guid.NewGuid():N}"[..16];
        var page = await fx.SignedInPageAsync("/admin/api-keys");
        await page.GetByTestId("new-key").ClickAsync();
        var dialog = page.Locator(".rz-dialog");
        await dialog.GetByRole(AriaRole.Textbox, new() { Name = "Name" }).FillAsync(name);
        await dialog.GetByRole(AriaRole.Textbox, new() { Name = "Source prefix" }).FillAsync("n8n:");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Create key" }).ClickAsync();
        var secret = (await page.GetByTestId("secret-value").TextContentAsync())!.Trim();
        Assert.StartsWith("acrm_", secret);
        await page.ScreenshotAsync(new() { Path = Path.Combine(AppContext.BaseDirectory, "screenshots", "access-api-key-created-1400x900.png") });
        await page.GetByRole(AriaRole.Button, new() { Name = "Done" }).ClickAsync();

        using var http = new HttpClient { BaseAddress = new Uri(fx.App.BaseUrl) };
        http.DefaultRequestHeaders.Add("x-api-key", secret);
        Assert.Equal(HttpStatusCode.Created, (await http.PostAsJsonAsync("/api/internal/log-activity", EventPayloads.Sms("recKEYUI0001"))).StatusCode);
        await page.ReloadAsync();
        await BrowserFixture.WaitForCircuitAsync(page);
        var row = page.GetByTestId("keys-grid").Locator("tr", new() { HasText = name });
        await Assertions.Expect(row).Not.ToContainTextAsync("never");
        Assert.DoesNotContain(secret, await page.ContentAsync());

        await page.GetByRole(AriaRole.Button, new() { Name = $"Revoke {name}" }).ClickAsync();
        await page.Locator(".rz-dialog").GetByRole(AriaRole.Button, new() { Name = "Revoke" }).ClickAsync();
        await Assertions.Expect(row).ToContainTextAsync("Revoked");
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.PostAsJsonAsync("/api/internal/log-activity", EventPayloads.Sms("recKEYUI0001"))).StatusCode);
        fx.AssertNoConsoleErrors();
    }

    [Fact]
    public async Task A_super_admin_erases_a_lead_after_typing_its_email()
    {
        var email = $"erase.{Guid.NewGuid():N}"[..16] + "@example.com";
        var lead = await LeadAsync("Erin", "Erase", email);
        await EventAsync(EventPayloads.Sms(lead.AirtableId, "Hi Erin"));
        var page = await fx.SignedInPageAsync($"/leads/{lead.Id}/erase");
        await Assertions.Expect(page.GetByTestId("erase-name")).ToHaveTextAsync("Erin Erase");

        await page.GetByTestId("erase-confirmation").FillAsync("someone@else.example");
        await page.GetByTestId("erase-submit").ClickAsync();
        await Assertions.Expect(page.GetByTestId("erase-error")).ToContainTextAsync("Type the lead’s email exactly");

        await page.GetByTestId("erase-confirmation").FillAsync(email.ToUpperInvariant());
        await page.GetByTestId("erase-submit").ClickAsync();
        await Assertions.Expect(page.GetByTestId("erase-done")).ToContainTextAsync("1 event redacted, 0 notes deleted");
        fx.AssertNoConsoleErrors();
    }

    [Fact]
    public async Task The_integrity_page_runs_the_check_and_reports_the_counts()
    {
        var lead = await LeadAsync("Ivy", "Integrity");
        for (var i = 0; i < 5; i++) await EventAsync(EventPayloads.Sms(lead.AirtableId));
        var page = await fx.SignedInPageAsync("/admin/integrity");
        await page.GetByTestId("integrity-run").ClickAsync();
        await Assertions.Expect(page.GetByTestId("integrity-verdict")).ToContainTextAsync("No event was changed", new() { Timeout = 30_000 });
        Assert.True(long.Parse((await page.GetByTestId("integrity-checked").TextContentAsync())!.Replace(",", "")) >= 5);
        fx.AssertNoConsoleErrors();
    }

    [Fact]
    public async Task The_account_menu_leads_to_change_password_which_states_the_rules()
    {
        var page = await fx.SignedInPageAsync("/");
        await page.GetByTestId("current-user").ClickAsync();
        await page.GetByText("Change password").ClickAsync();
        await page.WaitForURLAsync(u => u.EndsWith("/account/password"));
        await Assertions.Expect(page.GetByTestId("password-rules")).ToContainTextAsync("At least 10 characters");
        fx.AssertNoConsoleErrors();
    }

    [Fact]
    public async Task Screenshots_of_every_access_page_at_desktop_and_phone_width_without_console_errors()
    {
        var lead = await LeadAsync("Shot", "Lead", "shot.lead@example.com");
        var id = await EventAsync(EventPayloads.Sms(lead.AirtableId, "A message long enough to wrap on a phone screen, with an id 3f2504e0-4f89-11d3-9a0c-0305e82c3301"));
        await UserAsync(Roles.Analyst, "Ann Analyst");
        await UserAsync(Roles.ProgramManager, "Pat Manager");

        await ShootAsync("users", "/admin/users", p => Assertions.Expect(p.GetByTestId("users-grid")).ToContainTextAsync("Ann Analyst"));
        await ShootAsync("api-keys", "/admin/api-keys", p => Assertions.Expect(p.GetByTestId("keys-grid")).ToBeVisibleAsync());
        await ShootAsync("event", $"/admin/activity-logs/{id}", p => Assertions.Expect(p.GetByTestId("integrity-state")).ToBeVisibleAsync());
        await ShootAsync("erase", $"/leads/{lead.Id}/erase", p => Assertions.Expect(p.GetByTestId("erase-name")).ToBeVisibleAsync());
        await ShootAsync("integrity", "/admin/integrity", async p =>
        {
            await p.GetByTestId("integrity-run").ClickAsync();
            await Assertions.Expect(p.GetByTestId("integrity-verdict")).ToBeVisibleAsync(new() { Timeout = 30_000 });
        });
        await ShootAsync("change-password", "/account/password", p => Assertions.Expect(p.GetByTestId("password-rules")).ToBeVisibleAsync(), staticPage: true);
        foreach (var (w, h) in new[] { (1400, 900), (390, 844) })
        {
            var page = await fx.NewPageAsync(w, h);
            await page.GotoAsync("/account/login");
            await fx.ScreenshotAsync(page, $"access-login-{w}x{h}");
            await page.Context.CloseAsync();
        }
        fx.AssertNoConsoleErrors();
    }
}
