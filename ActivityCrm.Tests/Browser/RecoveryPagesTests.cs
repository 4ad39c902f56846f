using System.Net.Http.Json;
using ActivityCrm.Tests.Infrastructure;
using ActivityCrm.Tests.Recovery;
using Microsoft.Playwright;
using Npgsql;

namespace ActivityCrm.Tests.Browser;

/// <summary>The recovery pages in a real Chromium: fix the cause of a dead letter, replay it, discard one, import files.</summary>
public sealed class RecoveryPagesTests(BrowserFixture fx) : IClassFixture<BrowserFixture>
{
    private async Task<long> ScalarAsync(string sql, params (string Name, object Value)[] args)
    {
        await using var ds = NpgsqlDataSource.Create(fx.Database.ConnectionString);
        await using var cmd = ds.CreateCommand(sql);
        foreach (var (n, v) in args) cmd.Parameters.AddWithValue(n, v);
        return Convert.ToInt64(await cmd.ExecuteScalarAsync());
    }

    private async Task<Guid> DeadLetterAsync(Dictionary<string, object?> payload)
    {
        using var http = new HttpClient { BaseAddress = new Uri(fx.App.BaseUrl) };
        http.DefaultRequestHeaders.Add("x-api-key", AppFactory.ApiKey);
        var response = await http.PostAsJsonAsync("/api/internal/log-activity", payload);
        Assert.Equal(400, (int)response.StatusCode);
        await using var ds = NpgsqlDataSource.Create(fx.Database.ConnectionString);
        await using var cmd = ds.CreateCommand("SELECT id FROM ingestion_failures WHERE payload LIKE @p ORDER BY received_at DESC LIMIT 1");
        cmd.Parameters.AddWithValue("p", $"%{payload["executionId"]}%");
        return (Guid)(await cmd.ExecuteScalarAsync())!;
    }

    [Fact]
    public async Task An_admin_adds_the_missing_event_type_and_replays_the_dead_letter_from_the_page()
    {
        var type = $"VOICEMAIL_{Guid.NewGuid():N}"[..18].ToUpperInvariant();
        var lead = RecoveryHelpers.UniqueAirtableId();
        var payload = EventPayloads.Sms(lead).With("eventType", type).With("eventCategory", "CALL")
            .With("description", "Voicemail left: call back about pricing").With("source", "n8n:dialer-v1");
        var deadLetter = await DeadLetterAsync(payload);
        var noise = await DeadLetterAsync(EventPayloads.Sms(lead).With("eventType", "STAGING_PING").With("source", "n8n:staging"));

        var page = await fx.SignedInPageAsync("/admin/dead-letters");
        var row = page.Locator($"[data-dead-letter-id='{deadLetter}']");
        await Assertions.Expect(row).ToContainTextAsync("unknown_event_type");
        await row.Locator("td").Nth(3).ClickAsync();
        await Assertions.Expect(page.GetByTestId("dead-letter-payload")).ToContainTextAsync("\"eventType\": \"" + type + "\"");
        await Assertions.Expect(page.GetByTestId("dead-letter-errors")).ToContainTextAsync($"Unknown eventType '{type}'");
        await fx.ScreenshotAsync(page, "dead-letters-1400");

        // Fix the cause: add the type on the event types page.
        await page.GetByRole(AriaRole.Link, new() { Name = "add the type" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Event types" })).ToBeVisibleAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Add event type" }).ClickAsync();
        await page.GetByTestId("et-name").FillAsync(type.ToLowerInvariant());
        await page.GetByTestId("et-category").ClickAsync();
        await page.GetByRole(AriaRole.Option, new() { Name = "CALL", Exact = true }).ClickAsync();
        await Assertions.Expect(page.GetByTestId("et-icon")).ToHaveValueAsync("call"); // a new type starts with its category's look
        await page.GetByTestId("et-label").FillAsync("Voicemail left");
        await page.GetByTestId("et-icon").FillAsync("voicemail");
        await page.GetByTestId("et-description").FillAsync("The dialer left a voicemail");
        await fx.ScreenshotAsync(page, "event-type-dialog-1400");
        await page.GetByRole(AriaRole.Button, new() { Name = "Add type" }).ClickAsync();
        await Assertions.Expect(page.Locator($"[data-event-type='{type}']")).ToContainTextAsync("Voicemail left");
        await fx.ScreenshotAsync(page, "event-types-1400");
        // Built-in types can be edited too (not renamed): the label is what the timeline shows.
        await page.GetByRole(AriaRole.Button, new() { Name = "Edit BOOKING_RESCHEDULED" }).ClickAsync();
        await Assertions.Expect(page.GetByTestId("et-name")).ToBeDisabledAsync();
        await page.GetByTestId("et-label").FillAsync("Booking moved");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        await Assertions.Expect(page.Locator("[data-event-type='BOOKING_RESCHEDULED']")).ToContainTextAsync("Booking moved");

        // Replay it from the dead-letter page, selected by its checkbox.
        await page.GoBackAsync();
        await Assertions.Expect(row).ToBeVisibleAsync();
        await row.Locator(".rz-chkbox-box").ClickAsync();
        await Assertions.Expect(page.GetByTestId("selected-count")).ToHaveTextAsync("1 selected");
        await page.GetByRole(AriaRole.Button, new() { Name = "Replay selected" }).ClickAsync();
        await Assertions.Expect(page.GetByTestId("last-result")).ToHaveTextAsync("Replay: 1 stored.");
        await Assertions.Expect(row).ToHaveCountAsync(0); // no longer pending
        Assert.Equal(1, await ScalarAsync("SELECT count(*) FROM lead_activity_log WHERE lead_airtable_id = @a AND event_type = @t", ("a", lead), ("t", type)));
        Assert.Equal(1, await ScalarAsync("SELECT count(*) FROM ingestion_failures WHERE id = @id AND status = 'replayed'", ("id", deadLetter)));

        // Discard the staging noise, which needs a reason.
        var noiseRow = page.Locator($"[data-dead-letter-id='{noise}']");
        await noiseRow.Locator(".rz-chkbox-box").ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Discard selected…" }).ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Discard", Exact = true }).ClickAsync();
        await Assertions.Expect(page.GetByTestId("discard-problem")).ToContainTextAsync("Say why");
        await page.GetByTestId("discard-reason").FillAsync("Pings from the staging workflow");
        await page.GetByRole(AriaRole.Button, new() { Name = "Discard", Exact = true }).ClickAsync();
        await Assertions.Expect(noiseRow).ToHaveCountAsync(0);
        Assert.Equal(1, await ScalarAsync("SELECT count(*) FROM ingestion_failures WHERE id = @id AND status = 'discarded' AND resolution_note = 'Pings from the staging workflow'", ("id", noise)));

        await page.GetByTestId("status-replayed").ClickAsync();
        await Assertions.Expect(row).ToContainTextAsync("replayed");
        fx.AssertNoConsoleErrors();
    }

    [Fact]
    public async Task An_admin_dry_runs_then_imports_the_sample_sms_audit_file()
    {
        var page = await fx.SignedInPageAsync("/admin/imports");
        await page.GetByTestId("sms-audit-file").SetInputFilesAsync(Csv.SamplePath("sms_audit_sample.csv"));
        await Assertions.Expect(page.GetByTestId("sms-audit-file-name")).ToContainTextAsync("sms_audit_sample.csv");

        await page.GetByRole(AriaRole.Button, new() { Name = "Dry run" }).ClickAsync();
        var dry = page.GetByTestId("sms-dry-run-result");
        await Assertions.Expect(dry).ToContainTextAsync("nothing was written");
        await Assertions.Expect(dry.GetByTestId("sms-unusable")).ToHaveTextAsync("4");
        await Assertions.Expect(dry.Locator("[data-reason='repeated_in_file']")).ToContainTextAsync("3");
        await Assertions.Expect(dry).ToContainTextAsync("Row 48: sent_at 'sometime last week' is not a date and time.");
        var expectedNew = await dry.GetByTestId("sms-new").InnerTextAsync();
        Assert.Equal(0, await ScalarAsync("SELECT count(*) FROM lead_activity_log WHERE source = 'backfill:sms_audit'"));
        await fx.ScreenshotAsync(page, "imports-dry-run-1400");

        await page.GetByTestId("sms-import").ClickAsync();
        var result = page.GetByTestId("sms-import-result");
        await Assertions.Expect(result.GetByTestId("sms-new")).ToHaveTextAsync(expectedNew);
        Assert.Equal(long.Parse(expectedNew), await ScalarAsync("SELECT count(*) FROM lead_activity_log WHERE source = 'backfill:sms_audit'"));

        // The same file again: all duplicates.
        await page.GetByRole(AriaRole.Button, new() { Name = "Dry run" }).ClickAsync();
        await Assertions.Expect(page.GetByTestId("sms-dry-run-result").GetByTestId("sms-new")).ToHaveTextAsync("0");
        await Assertions.Expect(page.Locator("[data-reason='already_imported']")).ToContainTextAsync(expectedNew);
        fx.AssertNoConsoleErrors();
    }

    [Fact]
    public async Task The_recovery_pages_fit_a_phone_screen()
    {
        await DeadLetterAsync(EventPayloads.Sms(RecoveryHelpers.UniqueAirtableId()).With("eventType", "FAX_SENT").With("source", "n8n:legacy-fax"));
        foreach (var (path, name) in new[] { ("/admin/dead-letters", "dead-letters"), ("/admin/event-types", "event-types"), ("/admin/imports", "imports") })
        {
            var page = await fx.SignedInPageAsync(path, width: 390, height: 844);
            await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToBeVisibleAsync();
            if (name == "dead-letters") await Assertions.Expect(page.Locator("[data-dead-letter-id]").First).ToBeVisibleAsync();
            if (name == "event-types") await Assertions.Expect(page.Locator("[data-event-type='MESSAGE_SENT']")).ToBeVisibleAsync();
            // Nothing wider than the screen but the grids, which scroll inside themselves.
            var overflow = await page.EvaluateAsync<int>("() => document.documentElement.scrollWidth - window.innerWidth");
            Assert.True(overflow <= 1, $"{path} is {overflow}px wider than the phone screen");
            await fx.ScreenshotAsync(page, $"{name}-390");
            await page.Context.CloseAsync();
        }
        var wide = await fx.SignedInPageAsync("/admin/imports");
        await fx.ScreenshotAsync(wide, "imports-1400");
        fx.AssertNoConsoleErrors();
    }
}
