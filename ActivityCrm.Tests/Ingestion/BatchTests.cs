using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ActivityCrm.Tests.Infrastructure;

namespace ActivityCrm.Tests.Ingestion;

public sealed class BatchTests(AppFactory app) : IClassFixture<AppFactory>
{
    private const string Url = "/api/internal/log-activity/batch";

    [Fact]
    public async Task Valid_items_are_stored_even_when_others_are_rejected_with_one_result_each()
    {
        var lead = await app.CreateLeadAsync();
        using var client = app.ApiClient();
        var key = $"batch-{Guid.NewGuid()}";
        var events = new object[]
        {
            EventPayloads.Sms(lead.AirtableId).With("idempotencyKey", key + "-0"),
            EventPayloads.Sms(lead.AirtableId).With("eventType", "NOT_A_TYPE"),
            EventPayloads.Sms(lead.AirtableId).With("idempotencyKey", key + "-2").With("eventType", "MESSAGE_DELIVERED"),
            EventPayloads.Sms(lead.AirtableId).With("idempotencyKey", key + "-0"), // same key again within the batch
            EventPayloads.Sms(lead.AirtableId).Without("source"),
        };

        var response = await client.PostAsJsonAsync(Url, new { events });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        var statuses = body.GetProperty("results").EnumerateArray().Select(r => r.GetProperty("status").GetString()!).ToArray();
        Assert.Equal(["created", "rejected", "created", "duplicate", "rejected"], statuses);
        Assert.Equal(2, body.GetProperty("created").GetInt32());
        Assert.Equal(1, body.GetProperty("duplicates").GetInt32());
        Assert.Equal(2, body.GetProperty("rejected").GetInt32());
        Assert.True(body.GetProperty("results")[1].GetProperty("errors").TryGetProperty("eventType", out _));
        Assert.Equal(2, await app.ScalarAsync<long>("SELECT count(*) FROM lead_activity_log WHERE lead_id = @l", ("l", lead.Id)));

        // Re-sending the whole batch (an n8n retry) stores nothing new.
        var retry = await (await client.PostAsJsonAsync(Url, new { events })).Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(0, retry.GetProperty("created").GetInt32());
        Assert.Equal(3, retry.GetProperty("duplicates").GetInt32());
        Assert.Equal(2, await app.ScalarAsync<long>("SELECT count(*) FROM lead_activity_log WHERE lead_id = @l", ("l", lead.Id)));
    }

    [Fact]
    public async Task A_thousand_events_are_accepted_and_one_more_is_refused()
    {
        var lead = await app.CreateLeadAsync();
        using var client = app.ApiClient();
        var events = Enumerable.Range(0, 1000).Select(i => EventPayloads.Sms(lead.AirtableId).With("idempotencyKey", $"{lead.AirtableId}-{i}")).ToList();

        var ok = await client.PostAsJsonAsync(Url, events);
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.Equal(1000, (await ok.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("created").GetInt32());

        events.Add(EventPayloads.Sms(lead.AirtableId));
        var tooMany = await client.PostAsJsonAsync(Url, events);
        Assert.Equal(HttpStatusCode.BadRequest, tooMany.StatusCode);
        Assert.Contains("at most 1,000", await tooMany.Content.ReadAsStringAsync());
        Assert.Equal(1000, await app.ScalarAsync<long>("SELECT count(*) FROM lead_activity_log WHERE lead_id = @l", ("l", lead.Id)));
    }

    [Theory]
    [InlineData("{\"events\": 5}")]
    [InlineData("{\"events\": []}")]
    [InlineData("{\"items\": []}")]
    public async Task A_batch_without_a_list_of_events_is_a_400_naming_events(string body)
    {
        using var client = app.ApiClient();
        var response = await client.PostAsync(Url, new StringContent(body, System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True((await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").TryGetProperty("events", out _));
    }
}
