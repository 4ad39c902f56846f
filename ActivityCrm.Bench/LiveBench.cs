using System.Net.Http.Json;
using Microsoft.Playwright;

namespace ActivityCrm.Bench;

/// <summary>
/// Live-update latency: from the ingestion POST returning to the event's row appearing in a real
/// browser's DOM on a subscribed page (admin home), with the page on the same instance and on another one.
/// </summary>
public sealed class LiveBench(Report report)
{
    public async Task RunAsync(AppUnderTest pageInstance, AppUnderTest postInstance, string label, int events = 60)
    {
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = "/usr/bin/chromium", Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
        });
        var page = await browser.NewPageAsync(new() { BaseURL = pageInstance.BaseUrl });
        await page.GotoAsync("/account/login?returnUrl=%2Fadmin");
        await page.GetByLabel("Email").FillAsync(AppUnderTest.AdminEmail);
        await page.GetByLabel("Password").FillAsync(AppUnderTest.AdminPassword);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await page.WaitForFunctionAsync("() => window.__acrmCircuitUp === true", null, new() { Timeout = 60_000 });
        // Record when each event's row is first added to the DOM (same machine clock as the poster).
        await page.EvaluateAsync("""
            () => {
              window.__seen = {};
              new MutationObserver(muts => {
                const now = Date.now();
                for (const m of muts) for (const n of m.addedNodes) {
                  if (n.nodeType !== 1) continue;
                  const els = n.matches?.('[data-event-id]') ? [n] : [...n.querySelectorAll?.('[data-event-id]') ?? []];
                  for (const e of els) window.__seen[e.dataset.eventId] ??= now;
                }
              }).observe(document.body, { childList: true, subtree: true });
            }
            """);

        using var http = new HttpClient { BaseAddress = new Uri(postInstance.BaseUrl) };
        http.DefaultRequestHeaders.Add("x-api-key", AppUnderTest.ApiKey);
        var returned = new Dictionary<string, long>();
        for (var i = 0; i < events; i++)
        {
            var response = await http.PostAsJsonAsync("/api/internal/log-activity", new
            {
                eventType = "INBOUND_REPLY", eventCategory = "SMS", leadAirtableId = "recLIVEBENCH",
                description = $"Live latency probe {i}", source = "n8n:bench-live", idempotencyKey = Guid.NewGuid().ToString(),
            });
            var at = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            var body = await response.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>();
            returned[body.GetProperty("activityId").GetString()!] = at;
            await Task.Delay(150);
        }
        await Task.Delay(2000);
        var seen = await page.EvaluateAsync<Dictionary<string, long>>("() => window.__seen");
        var samples = new Samples();
        var missing = 0;
        foreach (var (id, at) in returned)
            if (seen.TryGetValue(id, out var shownAt)) samples.Add(Math.Max(0, shownAt - at)); else missing++;
        var notify = await NotifyLatencyAsync(postInstance.ConnectionString);
        report.Add(new("Live updates", $"POST returned → row in the browser, {label}", Report.Dist(samples),
            "p95 ≤ 500 ms", samples.Count > 0 && samples.P95 <= 500 && missing == 0,
            $"{samples.Count} of {returned.Count} events seen{(missing > 0 ? $", {missing} never arrived" : "")}; " +
            $"PostgreSQL's own NOTIFY → LISTEN delivery: {Report.Dist(notify)}"));
    }

    /// <summary>PostgreSQL's limit for a push: NOTIFY committed on one connection to delivery on a listening one.</summary>
    private static async Task<Samples> NotifyLatencyAsync(string connectionString, int probes = 60)
    {
        await using var ds = Npgsql.NpgsqlDataSource.Create(connectionString);
        await using var listener = await ds.OpenConnectionAsync();
        await using var notifier = await ds.OpenConnectionAsync();
        await using (var listen = new Npgsql.NpgsqlCommand("LISTEN bench_probe", listener)) await listen.ExecuteNonQueryAsync();
        var samples = new Samples();
        for (var i = 0; i < probes; i++)
        {
            var sw = System.Diagnostics.Stopwatch.StartNew();
            await using (var cmd = new Npgsql.NpgsqlCommand($"NOTIFY bench_probe, '{i}'", notifier)) await cmd.ExecuteNonQueryAsync();
            await listener.WaitAsync(TimeSpan.FromSeconds(5));
            samples.Add(sw.Elapsed.TotalMilliseconds);
        }
        return samples;
    }
}
