using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ActivityCrm.Data.Entities;
using ActivityCrm.Tests.Infrastructure;

namespace ActivityCrm.Tests.ActivityBrowser;

/// <summary>GET /api/admin/activity-logs and /export.csv: the analysts' API over the browser's query code.</summary>
public sealed class ActivityLogsApiTests(AppFactory app) : IClassFixture<AppFactory>
{
    private const string Url = "/api/admin/activity-logs";

    private async Task<HttpClient> AnalystAsync()
    {
        var (_, email) = await TestUsers.CreateAsync(app.Database.ConnectionString, Roles.Analyst);
        return await app.SignedInAsync(email, TestUsers.Password);
    }

    /// <summary>A lead of its own with <paramref name="count"/> events from a source no other test uses.</summary>
    private async Task<(Guid LeadId, string Source)> SeedAsync(int count, string? description = null)
    {
        var lead = await app.CreateLeadAsync("Api", "Reader");
        var source = $"n8n:api-{Guid.NewGuid():N}"[..24];
        using var client = app.ApiClient();
        var events = Enumerable.Range(0, count).Select(i => EventPayloads.Sms(lead.AirtableId, description ?? $"API event {i}")
            .With("source", source).With("idempotencyKey", $"k{i}").With("timestamp", $"2026-04-01T10:{i / 60:D2}:{i % 60:D2}Z")).ToList();
        (await client.PostAsJsonAsync("/api/internal/log-activity/batch", new { events })).EnsureSuccessStatusCode();
        return (lead.Id, source);
    }

    [Theory]
    [InlineData(Url)]
    [InlineData(Url + "/export.csv")]
    public async Task Anonymous_callers_get_401_not_a_sign_in_page(string url)
    {
        using var client = app.CreateClient(new() { AllowAutoRedirect = false });
        var response = await client.GetAsync(url);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task A_signed_in_user_without_the_analyst_or_admin_role_gets_403()
    {
        var (_, email) = await TestUsers.CreateAsync(app.Database.ConnectionString, Roles.ProgramManager);
        using var client = await app.SignedInAsync(email, TestUsers.Password);
        Assert.Equal(HttpStatusCode.Forbidden, (await client.GetAsync(Url)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await client.GetAsync(Url + "/export.csv")).StatusCode);
    }

    [Fact]
    public async Task An_analyst_pages_through_the_prd_shape_with_cursors_and_page_numbers_alike()
    {
        var (leadId, source) = await SeedAsync(7);
        using var client = await AnalystAsync();

        var first = await client.GetFromJsonAsync<JsonElement>($"{Url}?source={source}&limit=3");
        var second = await client.GetFromJsonAsync<JsonElement>($"{Url}?source={source}&limit=3&cursor={first.GetProperty("nextCursor").GetString()}&page=2");
        var byNumber = await client.GetFromJsonAsync<JsonElement>($"{Url}?source={source}&limit=3&page=2");

        var a = first.GetProperty("activities");
        Assert.Equal(3, a.GetArrayLength());
        var e = a[0];
        Assert.Equal("API event 6", e.GetProperty("description").GetString()!.Replace("SMS sent: ", ""));
        Assert.Equal("SMS", e.GetProperty("category").GetString());
        Assert.Equal("4085551234", e.GetProperty("metadata").GetProperty("phone").GetString());
        Assert.Equal(DateTimeOffset.Parse("2026-04-01T10:00:06Z"), e.GetProperty("timestamp").GetDateTimeOffset());
        var lead = e.GetProperty("lead");
        Assert.Equal((leadId, "Api", "Reader", true), (lead.GetProperty("id").GetGuid(), lead.GetProperty("firstName").GetString(), lead.GetProperty("lastName").GetString(), lead.GetProperty("synced").GetBoolean()));
        Assert.Equal("System", e.GetProperty("actor").GetProperty("display").GetString());

        var p = first.GetProperty("pagination");
        Assert.Equal((1, 3, 7L, "exact", 3L, true), (p.GetProperty("page").GetInt32(), p.GetProperty("limit").GetInt32(), p.GetProperty("total").GetInt64(),
            p.GetProperty("totalKind").GetString(), p.GetProperty("totalPages").GetInt64(), p.GetProperty("hasMore").GetBoolean()));
        Assert.Equal(JsonValueKind.Null, first.GetProperty("prevCursor").ValueKind);

        static IEnumerable<Guid> Ids(JsonElement body) => body.GetProperty("activities").EnumerateArray().Select(x => x.GetProperty("id").GetGuid());
        Assert.Equal(Ids(byNumber), Ids(second));
        Assert.Empty(Ids(first).Intersect(Ids(second)));
        Assert.Equal(2, second.GetProperty("pagination").GetProperty("page").GetInt32());
        Assert.NotEqual(JsonValueKind.Null, second.GetProperty("prevCursor").ValueKind);
    }

    [Theory]
    [InlineData("eventType=NOT_A_TYPE", "eventType")]
    [InlineData("eventCategory=SMSS", "eventCategory")]
    [InlineData("dateFrom=12/01/2026", "dateFrom")]
    [InlineData("dateTo=2026-02-30", "dateTo")]
    [InlineData("limit=501", "limit")]
    [InlineData("page=0", "page")]
    [InlineData("cursor=eyJub3QiOiJvdXJzIn0", "cursor")]
    [InlineData("leadId=not-a-uuid", "leadId")]
    [InlineData("clientId=123", "clientId")]
    [InlineData("actorType=robot", "actorType")]
    [InlineData("sort=random", "sort")]
    public async Task A_bad_parameter_is_a_400_problem_naming_it(string query, string parameter)
    {
        using var client = await AnalystAsync();
        foreach (var url in new[] { $"{Url}?{query}", $"{Url}/export.csv?{query}" })
        {
            var response = await client.GetAsync(url);

            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            var errors = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors");
            Assert.Equal([parameter], errors.EnumerateObject().Select(o => o.Name));
        }
    }

    [Fact]
    public async Task The_export_streams_a_named_csv_of_the_whole_filter_with_formulas_neutralised()
    {
        var (_, source) = await SeedAsync(4, "=cmd|' /C calc'!A0");
        using var client = await AnalystAsync();

        var response = await client.GetAsync($"{Url}/export.csv?source={source}&eventCategory=SMS&limit=1");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/csv", response.Content.Headers.ContentType?.MediaType);
        var fileName = response.Content.Headers.ContentDisposition?.FileName ?? "";
        Assert.Matches(@"^activity-logs_SMS_n8n-api-[0-9a-f]+_\d{4}-\d{2}-\d{2}T\d{4}Z\.csv$", fileName);
        var records = ActivityCsvTests.Parse(await response.Content.ReadAsByteArrayAsync());
        Assert.Equal(5, records.Count); // header + every row, not one page
        var content = Array.IndexOf(records[0], "message_content");
        Assert.All(records.Skip(1), r => Assert.Equal("'=cmd|' /C calc'!A0", r[content]));
    }
}
