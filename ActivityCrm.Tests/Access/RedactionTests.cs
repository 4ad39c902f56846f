using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ActivityCrm.Data.Activities;
using ActivityCrm.Data.Entities;
using ActivityCrm.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace ActivityCrm.Tests.Access;

/// <summary>Redaction through the append-only trigger's one allowed path, with its LEAD_REDACTED record.</summary>
public sealed class RedactionTests(AppFactory app) : IClassFixture<AppFactory>
{
    private Redaction Redaction => app.Services.GetRequiredService<Redaction>();

    private async Task<(Guid EventId, Guid LeadId)> EventAsync()
    {
        var lead = await app.CreateLeadAsync();
        var id = await app.PostEventAsync(EventPayloads.Sms(lead.AirtableId, "Call me on 408 555 1234")
            .With("metadata", new Dictionary<string, object?> { ["phone"] = "4085551234", ["campaign_id"] = "c1", ["nested"] = new { a = 1 } }));
        return (id, lead.Id);
    }

    private Task<string> Column(Guid id, string expression) =>
        app.ScalarAsync<string>($"SELECT coalesce(({expression})::text, '<null>') FROM lead_activity_log WHERE id = @id", ("id", id));

    [Fact]
    public async Task Redaction_blanks_description_message_and_chosen_keys_and_keeps_everything_else()
    {
        var (id, leadId) = await EventAsync();
        var (adminId, _) = await TestUsers.CreateAsync(app.Database.ConnectionString, Roles.Admin, displayName: "Ada Admin");
        var before = await app.ScalarAsync<string>("""
            SELECT row_to_json(x)::text FROM (SELECT event_type, event_category, lead_id, "timestamp", source, idempotency_key, content_hash, created_at
                                              FROM lead_activity_log WHERE id = @id) x
            """, ("id", id));

        var result = await Redaction.RedactAsync(id, "  The lead asked us to remove their phone number  ", ["phone", "nested"], adminId);

        Assert.Equal(RedactionStatus.Redacted, result.Status);
        Assert.Equal("[redacted]", await Column(id, "description"));
        Assert.Equal("<null>", await Column(id, "message_content"));
        Assert.Equal("[redacted]", await Column(id, "metadata->>'phone'"));
        Assert.Equal("[redacted]", await Column(id, "metadata->>'nested'"));
        Assert.Equal("c1", await Column(id, "metadata->>'campaign_id'"));
        Assert.Equal("The lead asked us to remove their phone number", await Column(id, "redaction_reason"));
        Assert.Equal(adminId.ToString(), await Column(id, "redacted_by"));
        Assert.Equal(before, await app.ScalarAsync<string>("""
            SELECT row_to_json(x)::text FROM (SELECT event_type, event_category, lead_id, "timestamp", source, idempotency_key, content_hash, created_at
                                              FROM lead_activity_log WHERE id = @id) x
            """, ("id", id)));

        var record = result.RedactionEventId!.Value;
        Assert.Equal("LEAD_REDACTED", await Column(record, "event_type"));
        Assert.Equal(leadId.ToString(), await Column(record, "lead_id"));
        Assert.Equal("ui:redact", await Column(record, "source"));
        Assert.Equal(adminId.ToString(), await Column(record, "created_by"));
        Assert.Equal("human", await Column(record, "actor_type"));
        Assert.Equal(id.ToString(), await Column(record, "metadata->>'activity_id'"));
        Assert.Equal("The lead asked us to remove their phone number", await Column(record, "metadata->>'reason'"));
        Assert.Equal("""["phone", "nested"]""", await Column(record, "metadata->'metadata_keys'"));
        var description = await Column(record, "description");
        Assert.Contains("Ada Admin", description);
        Assert.Contains("The lead asked us to remove their phone number", description);
        Assert.DoesNotContain("408 555 1234", description);
    }

    [Fact]
    public async Task Redacting_twice_is_refused_and_changes_nothing()
    {
        var (id, _) = await EventAsync();
        var (adminId, _) = await TestUsers.CreateAsync(app.Database.ConnectionString, Roles.Admin);
        Assert.Equal(RedactionStatus.Redacted, (await Redaction.RedactAsync(id, "first", [], adminId)).Status);

        var again = await Redaction.RedactAsync(id, "second", ["phone"], adminId);

        Assert.Equal(RedactionStatus.AlreadyRedacted, again.Status);
        Assert.Equal("first", await Column(id, "redaction_reason"));
        Assert.Equal("4085551234", await Column(id, "metadata->>'phone'"));
        Assert.Equal(1, await app.ScalarAsync<long>("SELECT count(*) FROM lead_activity_log WHERE event_type = 'LEAD_REDACTED' AND metadata->>'activity_id' = @id",
            ("id", id.ToString())));
    }

    [Fact]
    public async Task Two_admins_redacting_at_once_produce_one_redaction()
    {
        var (id, _) = await EventAsync();
        var (a, _) = await TestUsers.CreateAsync(app.Database.ConnectionString, Roles.Admin);
        var (b, _) = await TestUsers.CreateAsync(app.Database.ConnectionString, Roles.SuperAdmin);

        var results = await Task.WhenAll(Redaction.RedactAsync(id, "by a", [], a), Redaction.RedactAsync(id, "by b", [], b));

        Assert.Single(results, r => r.Status == RedactionStatus.Redacted);
        Assert.Single(results, r => r.Status == RedactionStatus.AlreadyRedacted);
    }

    [Theory]
    [InlineData(null, "reason")]
    [InlineData("   ", "reason")]
    public async Task A_reason_is_required(string? reason, string field)
    {
        var (id, _) = await EventAsync();
        var (adminId, _) = await TestUsers.CreateAsync(app.Database.ConnectionString, Roles.Admin);
        var result = await Redaction.RedactAsync(id, reason, [], adminId);
        Assert.Equal(RedactionStatus.Invalid, result.Status);
        Assert.Contains(field, result.Errors!.Keys);
        Assert.Equal("<null>", await Column(id, "redacted_at"));
    }

    [Fact]
    public async Task Unknown_metadata_keys_are_refused_by_name()
    {
        var (id, _) = await EventAsync();
        var (adminId, _) = await TestUsers.CreateAsync(app.Database.ConnectionString, Roles.Admin);
        var result = await Redaction.RedactAsync(id, "x", ["email"], adminId);
        Assert.Equal(RedactionStatus.Invalid, result.Status);
        Assert.Contains("'email'", result.Errors!["metadataKeys"][0]);
    }

    [Fact]
    public async Task An_orphan_event_can_be_redacted_and_its_record_waits_with_it_for_the_lead()
    {
        var airtable = $"recREDORPH{Guid.NewGuid():N}"[..20];
        var id = await app.PostEventAsync(EventPayloads.Sms(airtable));
        var (adminId, _) = await TestUsers.CreateAsync(app.Database.ConnectionString, Roles.Admin);

        var result = await Redaction.RedactAsync(id, "wrong number", [], adminId);

        Assert.Equal(RedactionStatus.Redacted, result.Status);
        Assert.Equal(airtable, await Column(result.RedactionEventId!.Value, "lead_airtable_id"));
    }

    [Fact]
    public async Task The_api_redacts_for_an_admin_and_answers_problems_for_everything_else()
    {
        var (id, _) = await EventAsync();
        var (_, _, admin) = await app.SignedInUserAsync(Roles.Admin);
        var url = $"/api/admin/activity-logs/{id}/redact";

        var missing = await admin.PostAsJsonAsync(url, new { metadataKeys = new[] { "phone" } });
        Assert.Equal(HttpStatusCode.BadRequest, missing.StatusCode);
        Assert.Equal("application/problem+json", missing.Content.Headers.ContentType?.MediaType);
        Assert.True((await missing.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").TryGetProperty("reason", out _));
        Assert.Equal("<null>", await Column(id, "redacted_at"));

        var unknownKey = await admin.PostAsJsonAsync(url, new { reason = "x", metadataKeys = new[] { "nope" } });
        Assert.Equal(HttpStatusCode.BadRequest, unknownKey.StatusCode);

        var ok = await admin.PostAsJsonAsync(url, new { reason = "Contained a personal phone number", metadataKeys = new[] { "phone" } });
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        var body = await ok.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(id, body.GetProperty("redactedEventId").GetGuid());
        Assert.Equal("LEAD_REDACTED", await Column(body.GetProperty("redactionEventId").GetGuid(), "event_type"));

        var twice = await admin.PostAsJsonAsync(url, new { reason = "again" });
        Assert.Equal(HttpStatusCode.Conflict, twice.StatusCode);
        Assert.Equal("application/problem+json", twice.Content.Headers.ContentType?.MediaType);

        var unknown = await admin.PostAsJsonAsync($"/api/admin/activity-logs/{Guid.NewGuid()}/redact", new { reason = "x" });
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);

        var (_, _, pm) = await app.SignedInUserAsync(Roles.ProgramManager);
        Assert.Equal(HttpStatusCode.Forbidden, (await pm.PostAsJsonAsync(url, new { reason = "x" })).StatusCode);
    }

    [Fact]
    public async Task The_event_page_shows_the_redaction_with_who_and_why_and_links_its_record()
    {
        var (id, _) = await EventAsync();
        var (adminId, email) = await TestUsers.CreateAsync(app.Database.ConnectionString, Roles.Admin, displayName: "Grace Admin");
        var result = await Redaction.RedactAsync(id, "Personal number in the text", [], adminId);
        var session = await app.SignedInAsync(email);

        var html = WebUtility.HtmlDecode(await session.GetStringAsync($"/admin/activity-logs/{id}"));

        Assert.Contains("by Grace Admin", html);
        Assert.Contains("Personal number in the text", html);
        Assert.Contains($"/admin/activity-logs/{result.RedactionEventId}", html);
        Assert.DoesNotContain("408 555 1234", html);
        Assert.Contains("Redacted: the hash below", html);
    }
}
