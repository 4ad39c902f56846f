using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ActivityCrm.Data.Activities;
using ActivityCrm.Data.Entities;
using ActivityCrm.Tests.Infrastructure;

namespace ActivityCrm.Tests.Leads;

/// <summary>GET /api/leads/{id}/activity: the PRD's timeline items, cursor paging beyond 100, and clear errors.</summary>
public sealed class TimelineApiTests(AppFactory app) : IClassFixture<AppFactory>
{
    private static string Url(Guid lead, string query = "") => $"/api/leads/{lead}/activity{query}";

    private async Task<Guid> LeadWithEventsAsync(int count)
    {
        var lead = await app.CreateLeadAsync();
        using var client = app.ApiClient();
        var newest = new DateTimeOffset(2026, 11, 1, 12, 0, 0, TimeSpan.Zero);
        foreach (var chunk in Enumerable.Range(0, count).Chunk(500))
        {
            var response = await client.PostAsJsonAsync("/api/internal/log-activity/batch", new
            {
                events = chunk.Select(i => EventPayloads.Sms(lead.AirtableId, $"message {i}")
                    .With("timestamp", newest.AddMinutes(-i).ToString("O")).With("idempotencyKey", $"api-test-{lead.Id}-{i}")),
            });
            response.EnsureSuccessStatusCode();
        }
        return lead.Id;
    }

    [Fact]
    public async Task The_timeline_has_the_PRD_item_shape_newest_first()
    {
        var lead = await LeadWithEventsAsync(3);
        using var client = await app.SignedInAsync(AppFactory.AdminEmail, AppFactory.AdminPassword);

        var response = await client.GetAsync(Url(lead));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(lead, body.GetProperty("leadId").GetGuid());
        Assert.Equal(JsonValueKind.Null, body.GetProperty("nextCursor").ValueKind);
        var items = body.GetProperty("timeline").EnumerateArray().ToList();
        Assert.Equal(3, items.Count);
        var first = items[0];
        foreach (var field in new[] { "id", "timestamp", "eventType", "category", "description", "message", "details", "source" })
            Assert.True(first.TryGetProperty(field, out _), $"missing {field}");
        Assert.Equal("MESSAGE_SENT", first.GetProperty("eventType").GetString());
        Assert.Equal("SMS", first.GetProperty("category").GetString());
        Assert.Equal("message 0", first.GetProperty("message").GetString());
        Assert.Equal("4085551234", first.GetProperty("details").GetProperty("phone").GetString());
        Assert.Equal("n8n:kJMMZ10anu4NqYUL", first.GetProperty("source").GetString());
        Assert.Equal(["message 0", "message 1", "message 2"], items.Select(i => i.GetProperty("message").GetString()));
    }

    [Fact]
    public async Task Cursor_paging_reads_the_whole_history_beyond_the_first_100()
    {
        var lead = await LeadWithEventsAsync(260);
        using var client = await app.SignedInAsync(AppFactory.AdminEmail, AppFactory.AdminPassword);

        var seen = new List<string>();
        var pages = 0;
        string? cursor = null;
        do
        {
            var body = await client.GetFromJsonAsync<JsonElement>(Url(lead, cursor is null ? "" : $"?cursor={Uri.EscapeDataString(cursor)}"));
            var items = body.GetProperty("timeline").EnumerateArray().ToList();
            Assert.True(items.Count <= 100);
            seen.AddRange(items.Select(i => i.GetProperty("message").GetString()!));
            cursor = body.GetProperty("nextCursor").GetString();
            pages++;
        } while (cursor is not null);

        Assert.Equal(3, pages);
        Assert.Equal(Enumerable.Range(0, 260).Select(i => $"message {i}"), seen);
        var small = await client.GetFromJsonAsync<JsonElement>(Url(lead, "?limit=7&category=sms&q=message"));
        Assert.Equal(7, small.GetProperty("timeline").GetArrayLength());
        Assert.Equal(0, (await client.GetFromJsonAsync<JsonElement>(Url(lead, "?category=CALL"))).GetProperty("timeline").GetArrayLength());
    }

    [Fact]
    public async Task A_program_manager_may_read_it_anonymous_callers_get_401_and_analysts_403()
    {
        var lead = await LeadWithEventsAsync(1);
        var (_, pm) = await TestUsers.CreateAsync(app.Database.ConnectionString, Roles.ProgramManager);
        var (_, analyst) = await TestUsers.CreateAsync(app.Database.ConnectionString, Roles.Analyst);
        using var anonymous = app.CreateClient(new() { AllowAutoRedirect = false });
        using var asPm = await app.SignedInAsync(pm, TestUsers.Password);
        using var asAnalyst = await app.SignedInAsync(analyst, TestUsers.Password);
        using var withApiKeyOnly = app.ApiClient();

        var unauthorized = await anonymous.GetAsync(Url(lead));
        Assert.Equal(HttpStatusCode.Unauthorized, unauthorized.StatusCode);
        Assert.Equal("application/problem+json", unauthorized.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.Unauthorized, (await withApiKeyOnly.GetAsync(Url(lead))).StatusCode);
        var forbidden = await asAnalyst.GetAsync(Url(lead));
        Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
        Assert.Equal("application/problem+json", forbidden.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.OK, (await asPm.GetAsync(Url(lead))).StatusCode);
    }

    [Theory]
    [InlineData("?limit=0", "limit")]
    [InlineData("?limit=501", "limit")]
    [InlineData("?limit=ten", "limit")]
    [InlineData("?cursor=garbage", "cursor")]
    [InlineData("?category=SMOKE_SIGNAL", "category")]
    public async Task Bad_parameters_get_a_problem_naming_the_field(string query, string field)
    {
        var lead = await LeadWithEventsAsync(1);
        using var client = await app.SignedInAsync(AppFactory.AdminEmail, AppFactory.AdminPassword);

        var response = await client.GetAsync(Url(lead, query));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _));
    }

    [Fact]
    public async Task An_unknown_lead_is_404_and_a_malformed_id_400_while_a_deleted_lead_keeps_its_history()
    {
        var deleted = await LeadWithEventsAsync(2);
        await app.ExecAsync("UPDATE leads SET deleted_at = now() WHERE id = @id", ("id", deleted));
        using var client = await app.SignedInAsync(AppFactory.AdminEmail, AppFactory.AdminPassword);

        var unknown = await client.GetAsync(Url(Guid.NewGuid()));
        var malformed = await client.GetAsync("/api/leads/not-a-uuid/activity");
        var history = await client.GetFromJsonAsync<JsonElement>(Url(deleted));

        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal("application/problem+json", unknown.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);
        Assert.Equal(2, history.GetProperty("timeline").GetArrayLength());
    }

    [Fact]
    public async Task A_redacted_event_is_marked_as_such()
    {
        var lead = await LeadWithEventsAsync(1);
        var id = await app.ScalarAsync<Guid>("SELECT id FROM lead_activity_log WHERE lead_id = @l", ("l", lead));
        // The one rewrite the append-only trigger allows.
        await app.ExecAsync("UPDATE lead_activity_log SET description = '[redacted]', message_content = NULL, redacted_at = now(), redaction_reason = 'test' WHERE id = @id", ("id", id));
        using var client = await app.SignedInAsync(AppFactory.AdminEmail, AppFactory.AdminPassword);

        var item = (await client.GetFromJsonAsync<JsonElement>(Url(lead))).GetProperty("timeline")[0];

        Assert.True(item.GetProperty("redacted").GetBoolean());
        Assert.Equal("test", item.GetProperty("redactionReason").GetString());
        Assert.Equal(JsonValueKind.Null, item.GetProperty("message").ValueKind);
    }
}
