using System.Net;
using System.Net.Http.Json;
using ActivityCrm.Data.Activities;
using ActivityCrm.Data.Entities;
using ActivityCrm.Data.Leads;
using ActivityCrm.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace ActivityCrm.Tests.Access;

/// <summary>Erasing a lead on request, through the real append-only trigger, and keeping it erased.</summary>
public sealed class ErasureTests(AppFactory app) : IClassFixture<AppFactory>
{
    private LeadErasure Erasure => app.Services.GetRequiredService<LeadErasure>();

    [Fact]
    public async Task Erasure_removes_personal_fields_event_content_and_notes_and_records_who_without_personal_data()
    {
        var lead = await app.CreateLeadAsync("Jane", "Doe", $"jane.{Guid.NewGuid():N}@example.com");
        await app.ExecAsync("UPDATE leads SET phone = '+1 408 555 1234', company = 'Acme', title = 'CEO' WHERE id = @id", ("id", lead.Id));
        var sms = await app.PostEventAsync(EventPayloads.Sms(lead.AirtableId, "Hi Jane, call me on 408 555 1234")
            .With("metadata", new Dictionary<string, object?> { ["phone"] = "4085551234", ["campaign_id"] = "c1" }));
        var plain = await app.PostEventAsync(EventPayloads.Sms(lead.AirtableId).Without("metadata").Without("messageContent"));
        await app.ExecAsync("INSERT INTO lead_notes (lead_id, body) VALUES (@id, 'Jane prefers calls after 5pm')", ("id", lead.Id));
        var (superId, _) = await TestUsers.CreateAsync(app.Database.ConnectionString, Roles.SuperAdmin, displayName: "Sam Super");
        var earlierRedaction = await app.Services.GetRequiredService<Redaction>().RedactAsync(plain, "typo", [], superId);
        var hashBefore = await app.ScalarAsync<string>("SELECT encode(content_hash, 'hex') FROM lead_activity_log WHERE id = @id", ("id", sms));

        var result = await Erasure.EraseAsync(lead.Id, superId);

        Assert.Equal(ErasureStatus.Erased, result.Status);
        Assert.Equal(1, result.DeletedNotes);
        Assert.Equal(0L, await app.ScalarAsync<long>(
            "SELECT count(*) FROM leads WHERE id = @id AND (first_name IS NOT NULL OR last_name IS NOT NULL OR email IS NOT NULL OR phone IS NOT NULL OR company IS NOT NULL OR title IS NOT NULL)",
            ("id", lead.Id)));
        Assert.Equal(lead.AirtableId, await app.ScalarAsync<string>("SELECT airtable_record_id FROM leads WHERE id = @id", ("id", lead.Id)));
        Assert.Equal(1L, await app.ScalarAsync<long>("SELECT count(*) FROM leads WHERE id = @id AND erased_at IS NOT NULL", ("id", lead.Id)));

        // Every event of the lead, including the earlier LEAD_REDACTED record, now holds no personal content.
        var leftovers = await app.ScalarAsync<long>("""
            SELECT count(*) FROM lead_activity_log
            WHERE lead_id = @id AND event_type <> 'LEAD_ERASED'
              AND (description <> '[redacted]' OR message_content IS NOT NULL OR redacted_at IS NULL
                   OR EXISTS (SELECT 1 FROM jsonb_each(coalesce(metadata, '{}')) WHERE value <> '"[redacted]"'))
            """, ("id", lead.Id));
        Assert.Equal(0, leftovers);
        Assert.Equal("erasure request", await app.ScalarAsync<string>("SELECT redaction_reason FROM lead_activity_log WHERE id = @id", ("id", sms)));
        Assert.Equal(hashBefore, await app.ScalarAsync<string>("SELECT encode(content_hash, 'hex') FROM lead_activity_log WHERE id = @id", ("id", sms)));
        Assert.Equal("[redacted]", await app.ScalarAsync<string>("SELECT description FROM lead_activity_log WHERE id = @id", ("id", earlierRedaction.RedactionEventId!.Value)));
        Assert.Equal(0L, await app.ScalarAsync<long>("SELECT count(*) FROM lead_notes WHERE lead_id = @id", ("id", lead.Id)));

        var record = result.ErasureEventId!.Value;
        Assert.Equal("LEAD_ERASED", await app.ScalarAsync<string>("SELECT event_type FROM lead_activity_log WHERE id = @id", ("id", record)));
        Assert.Equal(superId, await app.ScalarAsync<Guid>("SELECT created_by FROM lead_activity_log WHERE id = @id", ("id", record)));
        var recordText = await app.ScalarAsync<string>("SELECT row_to_json(a)::text FROM lead_activity_log a WHERE id = @id", ("id", record));
        Assert.Contains("Sam Super", recordText);
        foreach (var personal in new[] { "Jane", "Doe", "jane.", "408", "Acme", "CEO", "5pm" })
            Assert.DoesNotContain(personal, recordText);
    }

    [Fact]
    public async Task An_erased_lead_stays_erased_when_airtable_syncs_it_again()
    {
        var lead = await app.CreateLeadAsync("John", "Smith", $"john.{Guid.NewGuid():N}@example.com");
        var (superId, _) = await TestUsers.CreateAsync(app.Database.ConnectionString, Roles.SuperAdmin);
        await Erasure.EraseAsync(lead.Id, superId);

        using var client = app.ApiClient();
        var sync = await client.PutAsJsonAsync($"/api/internal/leads/{lead.AirtableId}",
            new { firstName = "John", lastName = "Smith", email = "john@example.com", phone = "555", status = "contacted" });

        Assert.Equal(HttpStatusCode.OK, sync.StatusCode);
        Assert.Equal(0L, await app.ScalarAsync<long>(
            "SELECT count(*) FROM leads WHERE id = @id AND (first_name IS NOT NULL OR email IS NOT NULL OR phone IS NOT NULL OR erased_at IS NULL)", ("id", lead.Id)));
        Assert.Equal("contacted", await app.ScalarAsync<string>("SELECT status FROM leads WHERE id = @id", ("id", lead.Id)));
    }

    [Fact]
    public async Task Erasure_also_empties_rejected_payloads_that_carry_the_lead()
    {
        var lead = await app.CreateLeadAsync("Orla", "Orphan");
        var (superId, _) = await TestUsers.CreateAsync(app.Database.ConnectionString, Roles.SuperAdmin);
        using var client = app.ApiClient();
        var rejected = await client.PostAsJsonAsync("/api/internal/log-activity",
            EventPayloads.Sms(lead.AirtableId, "Orla's private text").With("eventType", "NOT_A_TYPE"));
        Assert.Equal(HttpStatusCode.BadRequest, rejected.StatusCode);

        var result = await Erasure.EraseAsync(lead.Id, superId);

        Assert.Equal(1, result.ClearedDeadLetters);
        Assert.Equal(0L, await app.ScalarAsync<long>("SELECT count(*) FROM ingestion_failures WHERE strpos(payload, 'Orla') > 0"));
        Assert.Equal("discarded", await app.ScalarAsync<string>(
            "SELECT status FROM ingestion_failures WHERE payload = '[erased]' ORDER BY received_at DESC LIMIT 1"));
    }

    [Fact]
    public async Task Erasing_twice_is_refused_and_an_unknown_lead_is_not_found()
    {
        var lead = await app.CreateLeadAsync();
        var (superId, _) = await TestUsers.CreateAsync(app.Database.ConnectionString, Roles.SuperAdmin);
        Assert.Equal(ErasureStatus.Erased, (await Erasure.EraseAsync(lead.Id, superId)).Status);
        Assert.Equal(ErasureStatus.AlreadyErased, (await Erasure.EraseAsync(lead.Id, superId)).Status);
        Assert.Equal(1L, await app.ScalarAsync<long>("SELECT count(*) FROM lead_activity_log WHERE lead_id = @id AND event_type = 'LEAD_ERASED'", ("id", lead.Id)));
        Assert.Equal(ErasureStatus.NotFound, (await Erasure.EraseAsync(Guid.NewGuid(), superId)).Status);
    }

    [Fact]
    public async Task The_erase_page_is_for_super_admins_and_asks_for_the_email_or_ERASE()
    {
        var lead = await app.CreateLeadAsync("Page", "Check", $"page.{Guid.NewGuid():N}@example.com");
        var (_, _, superAdmin) = await app.SignedInUserAsync(Roles.SuperAdmin);
        var html = WebUtility.HtmlDecode(await superAdmin.GetStringAsync($"/leads/{lead.Id}/erase"));
        Assert.Contains("or ERASE to confirm", html);
        Assert.Contains("Page Check", html);

        var (_, _, admin) = await app.SignedInUserAsync(Roles.Admin);
        Assert.EndsWith("/account/denied", (await admin.GetAsync($"/leads/{lead.Id}/erase")).Headers.Location!.AbsolutePath);
    }
}
