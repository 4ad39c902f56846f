using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ActivityCrm.Data.Entities;
using ActivityCrm.Tests.Infrastructure;
using ActivityCrm.Web.Features.EventTypes;
using Microsoft.Extensions.DependencyInjection;

namespace ActivityCrm.Tests.Recovery;

public sealed class DeadLetterTests(AppFactory app) : IClassFixture<AppFactory>
{
    private async Task AddTypeAsync(string name, string category = EventCategories.Call) =>
        Assert.Empty(await app.Services.GetRequiredService<EventTypeSettings>().AddAsync(new EventTypeInput
        {
            Name = name, Category = category, Label = name.ToLowerInvariant().Replace('_', ' '), Icon = "voicemail", Colour = "#00897b",
        }));

    private static Dictionary<string, object?> Voicemail(string airtableId, string type) => EventPayloads.Sms(airtableId)
        .With("eventType", type).With("eventCategory", "CALL").With("description", "Voicemail left: call back about pricing");

    [Fact]
    public async Task A_replayed_dead_letter_is_stored_once_and_marked_replayed_with_its_activity_id()
    {
        var lead = await app.CreateLeadAsync();
        var type = $"VOICEMAIL_{Guid.NewGuid():N}"[..20].ToUpperInvariant();
        var deadLetter = await app.RejectedEventAsync(Voicemail(lead.AirtableId, type));
        await AddTypeAsync(type);
        using var admin = await app.AdminClientAsync();

        var replay = await admin.ReplayAsync(deadLetter);

        Assert.Equal(["stored"], replay.Statuses());
        var activityId = replay.GetProperty("results")[0].GetProperty("activityId").GetGuid();
        Assert.Equal(1, await app.EventCountAsync(lead.AirtableId));
        Assert.Equal(lead.Id, await app.ScalarAsync<Guid>("SELECT lead_id FROM lead_activity_log WHERE id = @id", ("id", activityId)));
        Assert.Equal("replayed", await app.DeadLetterStatusAsync(deadLetter));
        Assert.Equal(activityId, await app.ScalarAsync<Guid>("SELECT replayed_activity_id FROM ingestion_failures WHERE id = @id", ("id", deadLetter)));
        Assert.Equal(AppFactory.AdminEmail, await app.ScalarAsync<string>(
            "SELECT u.email FROM ingestion_failures f JOIN users u ON u.id = f.resolved_by WHERE f.id = @id", ("id", deadLetter)));
    }

    [Fact]
    public async Task Replaying_again_or_a_second_copy_of_the_same_request_never_duplicates()
    {
        var lead = await app.CreateLeadAsync();
        var type = $"CALLBACK_{Guid.NewGuid():N}"[..20].ToUpperInvariant();
        var payload = Voicemail(lead.AirtableId, type);
        var first = await app.RejectedEventAsync(payload);
        // The n8n node's retry of a 400 within the same minute is not recorded twice...
        using (var client = app.ApiClient())
            await client.PostAsync("/api/internal/log-activity", new StringContent(JsonSerializer.Serialize(payload, JsonSerializerOptions.Web), System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(1, await app.ScalarAsync<long>("SELECT count(*) FROM ingestion_failures WHERE event_type = @t", ("t", type)));
        // ...but the same event from another day is, and both are the same event.
        await app.ExecAsync("UPDATE ingestion_failures SET received_at = received_at - interval '2 days' WHERE id = @id", ("id", first));
        var second = await app.RejectedEventAsync(payload);
        await AddTypeAsync(type);
        using var admin = await app.AdminClientAsync();

        var replay = await admin.ReplayAsync(first, second);
        var again = await admin.ReplayAsync(first);

        Assert.Equal(["stored", "duplicate"], replay.Statuses());
        Assert.Equal(["duplicate"], again.Statuses());
        Assert.Single(new[] { replay.GetProperty("results")[0], replay.GetProperty("results")[1], again.GetProperty("results")[0] }
            .Select(r => r.GetProperty("activityId").GetGuid()).Distinct());
        Assert.Equal(1, await app.EventCountAsync(lead.AirtableId));
        Assert.Equal("replayed", await app.DeadLetterStatusAsync(second));
    }

    [Fact]
    public async Task Replaying_many_stores_the_fixed_ones_and_keeps_a_still_invalid_one_pending_with_its_new_errors()
    {
        var lead = await app.CreateLeadAsync();
        var type = $"DIALED_{Guid.NewGuid():N}"[..20].ToUpperInvariant();
        var fixable = new List<Guid>();
        for (var i = 0; i < 3; i++)
            fixable.Add(await app.RejectedEventAsync(Voicemail(lead.AirtableId, type).With("executionId", $"exec-{i}")));
        // Unknown type AND a category that cannot match it: fixing the type leaves the category problem.
        var stillInvalid = await app.RejectedEventAsync(Voicemail(lead.AirtableId, type).With("executionId", "exec-x").With("eventCategory", "EMAIL"));
        Assert.Contains("unknown_event_type", await app.ScalarAsync<string>("SELECT reason FROM ingestion_failures WHERE id = @id", ("id", stillInvalid)));
        await AddTypeAsync(type);
        using var admin = await app.AdminClientAsync();

        var replay = await admin.ReplayAsync([.. fixable, stillInvalid]);

        Assert.Equal(3, replay.GetProperty("stored").GetInt32());
        Assert.Equal(1, replay.GetProperty("stillInvalid").GetInt32());
        Assert.Equal(3, await app.EventCountAsync(lead.AirtableId));
        Assert.Equal("pending", await app.DeadLetterStatusAsync(stillInvalid));
        var errors = await app.ScalarAsync<string>("SELECT errors::text FROM ingestion_failures WHERE id = @id", ("id", stillInvalid));
        Assert.Contains("does not match eventType", errors);
        Assert.DoesNotContain("Unknown eventType", errors);
        Assert.Equal("validation", await app.ScalarAsync<string>("SELECT reason FROM ingestion_failures WHERE id = @id", ("id", stillInvalid)));
    }

    [Fact]
    public async Task A_replay_keeps_the_time_the_event_first_arrived_when_it_had_no_timestamp()
    {
        var lead = await app.CreateLeadAsync();
        var type = $"TEXTED_{Guid.NewGuid():N}"[..20].ToUpperInvariant();
        var deadLetter = await app.RejectedEventAsync(Voicemail(lead.AirtableId, type).Without("timestamp").Without("executionId"));
        await app.ExecAsync("UPDATE ingestion_failures SET received_at = '2026-01-02T03:04:05Z' WHERE id = @id", ("id", deadLetter));
        await AddTypeAsync(type);
        using var admin = await app.AdminClientAsync();

        await admin.ReplayAsync(deadLetter);
        await admin.ReplayAsync(deadLetter);

        Assert.Equal(1, await app.EventCountAsync(lead.AirtableId)); // no natural key: the dead letter's id is the key
        Assert.Equal(new DateTime(2026, 1, 2, 3, 4, 5, DateTimeKind.Utc),
            await app.ScalarAsync<DateTime>("SELECT \"timestamp\" FROM lead_activity_log WHERE lead_airtable_id = @a", ("a", lead.AirtableId)));
    }

    [Fact]
    public async Task Discarding_needs_a_reason_and_records_who_when_and_why()
    {
        var airtableId = RecoveryHelpers.UniqueAirtableId();
        var deadLetter = await app.RejectedEventAsync(EventPayloads.Sms(airtableId).With("eventType", "STAGING_TEST_PING"));
        using var admin = await app.AdminClientAsync();

        var noReason = await admin.PostAsJsonAsync("/api/admin/dead-letters/discard", new { ids = new[] { deadLetter }, reason = "  " });
        Assert.Equal(HttpStatusCode.BadRequest, noReason.StatusCode);
        Assert.True((await noReason.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").TryGetProperty("reason", out _));
        Assert.Equal("pending", await app.DeadLetterStatusAsync(deadLetter));

        var discard = await admin.PostAsJsonAsync("/api/admin/dead-letters/discard", new { ids = new[] { deadLetter }, reason = "Test traffic from the staging workflow" });

        Assert.Equal(HttpStatusCode.OK, discard.StatusCode);
        Assert.Equal(1, (await discard.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("discarded").GetInt32());
        Assert.Equal("discarded", await app.DeadLetterStatusAsync(deadLetter));
        Assert.Equal("Test traffic from the staging workflow", await app.ScalarAsync<string>("SELECT resolution_note FROM ingestion_failures WHERE id = @id", ("id", deadLetter)));
        Assert.Equal(1, await app.ScalarAsync<long>("SELECT count(*) FROM ingestion_failures WHERE id = @id AND resolved_at > now() - interval '1 minute' AND resolved_by IS NOT NULL", ("id", deadLetter)));
        Assert.Equal(0, await app.EventCountAsync(airtableId));
    }

    [Fact]
    public async Task The_list_filters_by_status_source_and_reason_and_shows_the_payload_and_errors()
    {
        var airtableId = RecoveryHelpers.UniqueAirtableId();
        var source = $"n8n:filter-{Guid.NewGuid():N}"[..24];
        var unknown = await app.RejectedEventAsync(EventPayloads.Sms(airtableId).With("source", source).With("eventType", "PIGEON_SENT"));
        var invalid = await app.RejectedEventAsync(EventPayloads.Sms(airtableId).With("source", source).With("description", ""));
        using var admin = await app.AdminClientAsync();

        var bySource = await admin.GetFromJsonAsync<JsonElement>($"/api/admin/dead-letters?source={Uri.EscapeDataString(source)}");
        var byReason = await admin.GetFromJsonAsync<JsonElement>($"/api/admin/dead-letters?source={Uri.EscapeDataString(source)}&reason=unknown_event_type");
        var discardedOnly = await admin.GetFromJsonAsync<JsonElement>($"/api/admin/dead-letters?source={Uri.EscapeDataString(source)}&status=discarded");
        var one = await admin.GetFromJsonAsync<JsonElement>($"/api/admin/dead-letters/{invalid}");

        Assert.Equal(2, bySource.GetProperty("total").GetInt64());
        Assert.Equal([invalid, unknown], bySource.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("id").GetGuid()).ToArray()); // newest first
        Assert.Equal([unknown], byReason.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("id").GetGuid()).ToArray());
        Assert.Equal(0, discardedOnly.GetProperty("total").GetInt64());
        Assert.Contains(airtableId, one.GetProperty("payload").GetString());
        Assert.Contains("description must not be empty", one.GetProperty("errors").GetProperty("description")[0].GetString());
        Assert.Equal("validation", one.GetProperty("reason").GetString());
    }

    [Fact]
    public async Task The_dead_letter_api_is_for_admins_only()
    {
        var analyst = await TestUsers.CreateAsync(app.Database.ConnectionString, Roles.Analyst);
        using var anonymous = app.CreateClient(new() { AllowAutoRedirect = false });
        using var analystClient = await app.SignedInAsync(analyst.Email, TestUsers.Password);
        using var apiKeyClient = app.ApiClient();

        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/api/admin/dead-letters")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await apiKeyClient.GetAsync("/api/admin/dead-letters")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await analystClient.GetAsync("/api/admin/dead-letters")).StatusCode);
        var post = await analystClient.PostAsJsonAsync("/api/admin/dead-letters/replay", new { ids = new[] { Guid.NewGuid() } });
        Assert.True(post.StatusCode == HttpStatusCode.Forbidden, await post.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Adding_the_missing_event_type_then_replaying_stores_the_event_once()
    {
        // The admin's "fix the cause" flow: an n8n workflow starts sending a type nobody added yet.
        var lead = await app.CreateLeadAsync();
        var type = $"VOICEMAIL_{Guid.NewGuid():N}"[..22].ToUpperInvariant();
        using var api = app.ApiClient();
        var payload = Voicemail(lead.AirtableId, type).With("idempotencyKey", $"dialer-{Guid.NewGuid():N}");
        var rejected = await api.PostAsJsonAsync("/api/internal/log-activity", payload);
        Assert.Equal(HttpStatusCode.BadRequest, rejected.StatusCode);
        var deadLetter = await app.ScalarAsync<Guid>("SELECT id FROM ingestion_failures WHERE event_type = @t", ("t", type));
        Assert.Equal("unknown_event_type", await app.ScalarAsync<string>("SELECT reason FROM ingestion_failures WHERE id = @id", ("id", deadLetter)));

        var settings = app.Services.GetRequiredService<EventTypeSettings>();
        Assert.NotEmpty(await settings.AddAsync(new EventTypeInput { Name = "voicemail left", Category = "CALL", Label = "x", Icon = "voicemail", Colour = "#00897b" }));
        Assert.Empty(await settings.AddAsync(new EventTypeInput
        {
            Name = type, Category = "CALL", Label = "Voicemail left", Icon = "voicemail", Colour = "rgb(0, 137, 123)",
            Description = "The dialer left a voicemail", ExpectedFollowUps = ["CALL_LOGGED"], FollowUpWithinMinutes = 1440,
        }));
        using var admin = await app.AdminClientAsync();

        var replay = await admin.ReplayAsync(deadLetter);
        var again = await admin.ReplayAsync(deadLetter);
        var retryFromN8n = await api.PostAsJsonAsync("/api/internal/log-activity", payload);

        Assert.Equal(["stored"], replay.Statuses());
        Assert.Equal(["duplicate"], again.Statuses());
        Assert.Equal(HttpStatusCode.OK, retryFromN8n.StatusCode); // the type is accepted now; the event is already there
        Assert.Equal(1, await app.EventCountAsync(lead.AirtableId));
        Assert.Equal("#00897b", await app.ScalarAsync<string>("SELECT colour FROM activity_types WHERE name = @n", ("n", type)));
        Assert.Equal(1440, await app.ScalarAsync<int>("SELECT follow_up_within_minutes FROM activity_types WHERE name = @n", ("n", type)));
    }

    [Fact]
    public async Task A_database_error_that_outlives_the_retries_is_a_500_that_keeps_the_event_for_replay()
    {
        var lead = await app.CreateLeadAsync();
        var source = $"n8n:broken-{Guid.NewGuid():N}"[..20];
        // A failure that is neither bad input nor an outage, for this source only (as a corrupt block or a broken trigger would be).
        await app.ExecAsync($$"""
            CREATE FUNCTION test_refuse_{{source[11..]}}() RETURNS trigger LANGUAGE plpgsql AS $f$
            BEGIN IF NEW.source = '{{source}}' THEN RAISE EXCEPTION 'could not read block 7 of relation base/16384/2619' USING ERRCODE = 'XX001'; END IF; RETURN NEW; END $f$;
            CREATE TRIGGER test_refuse_{{source[11..]}} BEFORE INSERT ON lead_activity_log FOR EACH ROW EXECUTE FUNCTION test_refuse_{{source[11..]}}();
            """);
        using var api = app.ApiClient();
        var payload = EventPayloads.Sms(lead.AirtableId).With("source", source).With("idempotencyKey", "disk-full-1");

        var response = await api.PostAsJsonAsync("/api/internal/log-activity", payload);
        var retry = await api.PostAsJsonAsync("/api/internal/log-activity", payload);

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("kept in the dead-letter store", await response.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.InternalServerError, retry.StatusCode);
        var deadLetter = await app.ScalarAsync<Guid>("SELECT id FROM ingestion_failures WHERE source = @s AND reason = 'database_error'", ("s", source));
        Assert.Contains("could not read block 7", await app.ScalarAsync<string>("SELECT errors::text FROM ingestion_failures WHERE id = @id", ("id", deadLetter)));

        await app.ExecAsync($"DROP TRIGGER test_refuse_{source[11..]} ON lead_activity_log");
        using var admin = await app.AdminClientAsync();
        Assert.Equal(["stored"], (await admin.ReplayAsync(deadLetter)).Statuses());
        Assert.Equal(1, await app.EventCountAsync(lead.AirtableId));
    }

    [Fact]
    public async Task Event_type_names_are_checked_and_built_in_types_can_be_edited_but_keep_their_name_and_category()
    {
        var settings = app.Services.GetRequiredService<EventTypeSettings>();

        var errors = await settings.AddAsync(new EventTypeInput { Name = "MESSAGE_SENT", Category = "SMS", Label = "Dup", Icon = "send", Colour = "#123456" });
        Assert.Contains("already exists", errors["Name"][0]);
        errors = await settings.AddAsync(new EventTypeInput { Name = "lower_case", Category = "PIGEON", Label = "", Icon = "Bad Icon", Colour = "blue" });
        Assert.Equal(["Category", "Colour", "Icon", "Label", "Name"], errors.Keys.Order().ToArray());
        errors = await settings.AddAsync(new EventTypeInput { Name = "FOLLOWS_NOTHING", Category = "SYSTEM", Label = "x", Icon = "event", Colour = "#123456", ExpectedFollowUps = ["NOPE"] });
        Assert.Contains("NOPE is not an event type", errors["ExpectedFollowUps"][0]);

        var sent = (await settings.ListAsync()).Single(t => t.Name == "MESSAGE_SENT");
        var input = EventTypeInput.From(sent);
        input.Label = "Text sent";
        input.Category = "EMAIL"; // ignored: a type's category never changes
        input.FollowUpWithinMinutes = 45;
        Assert.Empty(await settings.UpdateAsync(input));

        var after = (await settings.ListAsync()).Single(t => t.Name == "MESSAGE_SENT");
        Assert.Equal(("Text sent", "SMS", 45, true), (after.Label, after.Category, after.FollowUpWithinMinutes, after.IsBuiltIn));
        Assert.Equal("Text sent", app.Services.GetRequiredService<ActivityCrm.Data.Activities.ActivityTypeCache>().Current["MESSAGE_SENT"].Label);
    }
}
