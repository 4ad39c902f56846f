using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using ActivityCrm.Tests.Infrastructure;

namespace ActivityCrm.Tests.Ingestion;

public sealed class LogActivityTests(AppFactory app) : IClassFixture<AppFactory>
{
    private const string Url = "/api/internal/log-activity";

    [Fact]
    public async Task A_valid_event_is_stored_once_with_every_field_and_touches_the_lead()
    {
        var lead = await app.CreateLeadAsync();
        using var client = app.ApiClient();
        var correlation = Guid.NewGuid();
        var payload = EventPayloads.Sms(lead.AirtableId)
            .With("timestamp", "2025-11-07T08:15:05Z")
            .With("actorType", "agent").With("actorId", "follow-up-drafter")
            .With("correlationId", correlation.ToString())
            .With("relatedEntityType", "Campaign").With("relatedEntityId", "chatgpt_use_cases");

        var response = await client.PostAsJsonAsync(Url, payload);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(body.GetProperty("success").GetBoolean());
        var id = body.GetProperty("activityId").GetGuid();
        Assert.Equal(DateTimeOffset.Parse("2025-11-07T08:15:05Z"), body.GetProperty("timestamp").GetDateTimeOffset());

        Assert.Equal(lead.Id, await app.ScalarAsync<Guid>("SELECT lead_id FROM lead_activity_log WHERE id = @id", ("id", id)));
        Assert.Equal("agent", await app.ScalarAsync<string>("SELECT actor_type FROM lead_activity_log WHERE id = @id", ("id", id)));
        Assert.Equal(correlation, await app.ScalarAsync<Guid>("SELECT correlation_id FROM lead_activity_log WHERE id = @id", ("id", id)));
        Assert.Equal("4085551234", await app.ScalarAsync<string>("SELECT metadata->>'phone' FROM lead_activity_log WHERE id = @id", ("id", id)));
        Assert.Equal(32, await app.ScalarAsync<int>("SELECT length(content_hash) FROM lead_activity_log WHERE id = @id", ("id", id)));
        Assert.Equal(DateTimeOffset.Parse("2025-11-07T08:15:05Z"),
            await app.ScalarAsync<DateTime>("SELECT last_activity_at FROM leads WHERE id = @id", ("id", lead.Id)));
    }

    [Fact]
    public async Task Without_a_known_lead_the_event_is_kept_as_an_orphan_and_linked_when_the_lead_syncs()
    {
        var airtableId = $"recORPHAN{Guid.NewGuid():N}"[..20];
        using var client = app.ApiClient();
        var created = await (await client.PostAsJsonAsync(Url, EventPayloads.Sms(airtableId))).Content.ReadFromJsonAsync<JsonElement>();
        var id = created.GetProperty("activityId").GetGuid();
        Assert.Equal(0, await app.ScalarAsync<long>("SELECT count(lead_id) FROM lead_activity_log WHERE id = @id", ("id", id)));

        var sync = await client.PutAsJsonAsync($"/api/internal/leads/{airtableId}", new { firstName = "Late", lastName = "Arrival", email = $"{airtableId}@x.example", status = "new" });

        Assert.Equal(HttpStatusCode.Created, sync.StatusCode);
        var synced = await sync.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(1, synced.GetProperty("linkedActivities").GetInt32());
        Assert.Equal(synced.GetProperty("leadId").GetGuid(), await app.ScalarAsync<Guid>("SELECT lead_id FROM lead_activity_log WHERE id = @id", ("id", id)));

        // A second sync updates the lead and links nothing new.
        var again = await client.PutAsJsonAsync($"/api/internal/leads/{airtableId}", new { title = "CEO" });
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal("Late", await app.ScalarAsync<string>("SELECT first_name FROM leads WHERE airtable_record_id = @a", ("a", airtableId)));
        Assert.Equal("CEO", await app.ScalarAsync<string>("SELECT title FROM leads WHERE airtable_record_id = @a", ("a", airtableId)));
    }

    [Fact]
    public async Task A_retry_with_the_same_idempotency_key_returns_the_original_and_stores_nothing()
    {
        var lead = await app.CreateLeadAsync();
        using var client = app.ApiClient();
        var payload = EventPayloads.Sms(lead.AirtableId).With("idempotencyKey", $"exec-{Guid.NewGuid()}-0");

        var first = await client.PostAsJsonAsync(Url, payload);
        var retry = await client.PostAsJsonAsync(Url, payload.With("description", "changed text on retry"));

        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, retry.StatusCode);
        var a = await first.Content.ReadFromJsonAsync<JsonElement>();
        var b = await retry.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(a.GetProperty("activityId").GetGuid(), b.GetProperty("activityId").GetGuid());
        Assert.True(b.GetProperty("duplicate").GetBoolean());
        Assert.Equal(1, await app.ScalarAsync<long>("SELECT count(*) FROM lead_activity_log WHERE lead_id = @l", ("l", lead.Id)));
    }

    [Fact]
    public async Task Without_a_key_the_prd_natural_key_makes_a_retry_a_no_op()
    {
        var lead = await app.CreateLeadAsync();
        using var client = app.ApiClient();
        var payload = EventPayloads.Sms(lead.AirtableId).Without("timestamp"); // executionId alone identifies the retry

        var first = await client.PostAsJsonAsync(Url, payload);
        var retry = await client.PostAsJsonAsync(Url, payload);
        var otherExecution = await client.PostAsJsonAsync(Url, payload.With("executionId", "other-execution"));

        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, retry.StatusCode);
        Assert.Equal(HttpStatusCode.Created, otherExecution.StatusCode);
        Assert.Equal(2, await app.ScalarAsync<long>("SELECT count(*) FROM lead_activity_log WHERE lead_id = @l", ("l", lead.Id)));
    }

    [Fact]
    public async Task Concurrent_retries_of_one_event_store_it_exactly_once()
    {
        var lead = await app.CreateLeadAsync();
        var payload = EventPayloads.Sms(lead.AirtableId).With("idempotencyKey", $"race-{Guid.NewGuid()}");
        var body = JsonSerializer.Serialize(payload);

        var responses = await Task.WhenAll(Enumerable.Range(0, 12).Select(async _ =>
        {
            using var client = app.ApiClient();
            var r = await client.PostAsync(Url, new StringContent(body, Encoding.UTF8, "application/json"));
            return (r.StatusCode, Id: (await r.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("activityId").GetGuid());
        }));

        Assert.Single(responses, r => r.StatusCode == HttpStatusCode.Created);
        Assert.All(responses, r => Assert.Contains(r.StatusCode, new[] { HttpStatusCode.Created, HttpStatusCode.OK }));
        Assert.Single(responses.Select(r => r.Id).Distinct());
        Assert.Equal(1, await app.ScalarAsync<long>("SELECT count(*) FROM lead_activity_log WHERE lead_id = @l", ("l", lead.Id)));
    }

    public static TheoryData<string, object?, string> InvalidFields => new()
    {
        { "eventType", null, "eventType is required" },
        { "eventType", 42, "eventType must be a string" },
        { "eventCategory", null, "eventCategory is required" },
        { "eventCategory", "BOOKING", "does not match eventType MESSAGE_SENT" },
        { "eventCategory", "PIGEON", "Unknown eventCategory" },
        { "description", "", "description must not be empty" },
        { "description", new string('x', 10_001), "at most 10,000 characters" },
        { "source", null, "source is required" },
        { "source", "n8n workflow", "must not contain spaces" },
        { "leadId", "not-a-uuid", "leadId must be a UUID" },
        { "createdBy", "12", "createdBy must be a UUID" },
        { "correlationId", "x", "correlationId must be a UUID" },
        { "metadata", "a string", "metadata must be a JSON object" },
        { "metadata", new[] { 1, 2 }, "metadata must be a JSON object" },
        { "timestamp", "2025-11-07 08:15", "ISO-8601 with a time zone" },
        { "timestamp", "tomorrow", "ISO-8601 with a time zone" },
        { "timestamp", "2999-01-01T00:00:00Z", "more than a day in the future" },
        { "actorType", "robot", "actorType must be one of: human, agent, system" },
        { "messageContent", "nul\u0000byte", "must not contain NUL" },
        { "executionId", true, "executionId must be a string or a number" },
    };

    [Theory]
    [MemberData(nameof(InvalidFields))]
    public async Task Each_invalid_field_is_rejected_by_name_and_nothing_is_stored(string field, object? value, string message)
    {
        var lead = await app.CreateLeadAsync();
        using var client = app.ApiClient();
        var payload = value is null ? EventPayloads.Sms(lead.AirtableId).Without(field) : EventPayloads.Sms(lead.AirtableId).With(field, value);

        var response = await client.PostAsJsonAsync(Url, payload);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        var errors = problem.GetProperty("errors");
        Assert.True(errors.TryGetProperty(field, out var messages), $"errors should name {field}: {errors}");
        Assert.Contains(message, messages.EnumerateArray().First().GetString());
        Assert.Equal(0, await app.ScalarAsync<long>("SELECT count(*) FROM lead_activity_log WHERE lead_airtable_id = @a", ("a", lead.AirtableId)));
        Assert.Equal(1, await app.ScalarAsync<long>("SELECT count(*) FROM ingestion_failures WHERE payload LIKE @p", ("p", $"%{lead.AirtableId}%")));
    }

    [Fact]
    public async Task Every_bad_field_is_reported_at_once_and_an_unknown_type_lists_the_valid_ones()
    {
        using var client = app.ApiClient();
        var response = await client.PostAsJsonAsync(Url, new { eventType = "SMOKE_SIGNAL", description = "", source = "n8n:x" });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var errors = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors");
        Assert.Equal(["description", "eventCategory", "eventType", "leadAirtableId"], errors.EnumerateObject().Select(p => p.Name).Order().ToArray());
        var typeMessage = errors.GetProperty("eventType")[0].GetString()!;
        Assert.Contains("MESSAGE_SENT", typeMessage);
        Assert.Contains("NURTURE_STEP_EXECUTED", typeMessage);
    }

    [Fact]
    public async Task A_lead_id_that_does_not_exist_without_an_airtable_id_is_rejected()
    {
        using var client = app.ApiClient();
        var response = await client.PostAsJsonAsync(Url, EventPayloads.Sms("x").Without("leadAirtableId").With("leadId", Guid.NewGuid().ToString()));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("No lead with this id", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task An_unknown_created_by_user_is_rejected()
    {
        var lead = await app.CreateLeadAsync();
        using var client = app.ApiClient();
        var response = await client.PostAsJsonAsync(Url, EventPayloads.Sms(lead.AirtableId).With("createdBy", Guid.NewGuid().ToString()));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("createdBy", await response.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("acrm_0123456789ab_wrong-secret-000000000000000")]
    [InlineData("definitely not a key")]
    public async Task A_missing_or_wrong_api_key_is_refused_with_401(string? key)
    {
        using var client = app.CreateClient();
        if (key is not null) client.DefaultRequestHeaders.Add("x-api-key", key);
        var response = await client.PostAsJsonAsync(Url, EventPayloads.Sms("recX"));
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task A_signed_in_cookie_is_not_an_api_key()
    {
        using var client = app.CreateClient();
        var response = await client.PostAsJsonAsync(Url, EventPayloads.Sms("recX"));
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task A_body_over_256_KB_is_refused_with_413()
    {
        using var client = app.ApiClient();
        var huge = EventPayloads.Sms("recBIG").With("messageContent", new string('a', 300 * 1024));
        var response = await client.PostAsJsonAsync(Url, huge);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal(0, await app.ScalarAsync<long>("SELECT count(*) FROM lead_activity_log WHERE lead_airtable_id = 'recBIG'"));
    }

    [Theory]
    [InlineData("{\"eventType\": \"MESSAGE_SENT\",", "application/json", HttpStatusCode.BadRequest)]
    [InlineData("not json at all", "application/json", HttpStatusCode.BadRequest)]
    [InlineData("[1,2,3]", "application/json", HttpStatusCode.BadRequest)]
    [InlineData("eventType=MESSAGE_SENT", "application/x-www-form-urlencoded", HttpStatusCode.UnsupportedMediaType)]
    [InlineData("{}", "text/plain", HttpStatusCode.UnsupportedMediaType)]
    public async Task A_body_that_is_not_a_json_event_gets_a_clear_4xx(string body, string contentType, HttpStatusCode expected)
    {
        using var client = app.ApiClient();
        var response = await client.PostAsync(Url, new StringContent(body, Encoding.UTF8, contentType));
        Assert.Equal(expected, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.False(string.IsNullOrWhiteSpace((await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString()));
    }

    [Fact]
    public async Task The_openapi_document_describes_the_ingestion_endpoints()
    {
        using var client = app.CreateClient();
        var doc = await client.GetFromJsonAsync<JsonElement>("/openapi/v1.json");
        var paths = doc.GetProperty("paths");
        Assert.True(paths.TryGetProperty("/api/internal/log-activity", out _));
        Assert.True(paths.TryGetProperty("/api/internal/log-activity/batch", out _));
        Assert.True(paths.TryGetProperty("/api/internal/leads/{airtableRecordId}", out _));
        var body = paths.GetProperty("/api/internal/log-activity").GetProperty("post").GetProperty("requestBody");
        Assert.Contains("application/json", body.GetProperty("content").EnumerateObject().Select(p => p.Name));
        var schemaText = doc.GetRawText();
        Assert.Contains("idempotencyKey", schemaText);
        Assert.Contains("leadAirtableId", schemaText);
    }

    [Fact]
    public async Task Health_endpoints_are_anonymous()
    {
        using var client = app.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/healthz")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/readyz")).StatusCode);
    }
}
