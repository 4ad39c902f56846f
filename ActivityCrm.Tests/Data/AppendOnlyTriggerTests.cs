using ActivityCrm.Tests.Infrastructure;
using Npgsql;

namespace ActivityCrm.Tests.Data;

/// <summary>The database itself refuses to rewrite history; only orphan linking and redaction pass.</summary>
public sealed class AppendOnlyTriggerTests(AppFactory app) : IClassFixture<AppFactory>
{
    private async Task<Guid> NewEventAsync(string airtableId, object? metadata = null)
    {
        using var client = app.ApiClient();
        var payload = EventPayloads.Sms(airtableId);
        if (metadata is not null) payload = payload.With("metadata", metadata);
        var r = await client.PostAsync("/api/internal/log-activity", System.Net.Http.Json.JsonContent.Create(payload));
        r.EnsureSuccessStatusCode();
        return (await System.Net.Http.Json.HttpContentJsonExtensions.ReadFromJsonAsync<System.Text.Json.JsonElement>(r.Content)).GetProperty("activityId").GetGuid();
    }

    [Theory]
    [InlineData("UPDATE lead_activity_log SET description = 'rewritten' WHERE id = @id")]
    [InlineData("UPDATE lead_activity_log SET event_type = 'MESSAGE_FAILED', event_category = 'SMS' WHERE id = @id")]
    [InlineData("UPDATE lead_activity_log SET \"timestamp\" = now() WHERE id = @id")]
    [InlineData("UPDATE lead_activity_log SET source = 'n8n:other' WHERE id = @id")]
    [InlineData("UPDATE lead_activity_log SET content_hash = '\\x00' WHERE id = @id")]
    [InlineData("DELETE FROM lead_activity_log WHERE id = @id")]
    public async Task Plain_updates_and_deletes_fail(string sql)
    {
        var lead = await app.CreateLeadAsync();
        var id = await NewEventAsync(lead.AirtableId);
        var before = await app.ScalarAsync<string>("SELECT row_to_json(a)::text FROM lead_activity_log a WHERE id = @id", ("id", id));

        var e = await Assert.ThrowsAsync<PostgresException>(() => app.ExecAsync(sql, ("id", id)));

        Assert.Contains("append-only", e.MessageText + e.Detail, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(before, await app.ScalarAsync<string>("SELECT row_to_json(a)::text FROM lead_activity_log a WHERE id = @id", ("id", id)));
    }

    [Fact]
    public async Task A_lead_cannot_be_moved_to_another_lead()
    {
        var a = await app.CreateLeadAsync();
        var b = await app.CreateLeadAsync();
        var id = await NewEventAsync(a.AirtableId);
        await Assert.ThrowsAsync<PostgresException>(() => app.ExecAsync("UPDATE lead_activity_log SET lead_id = @b WHERE id = @id", ("b", b.Id), ("id", id)));
    }

    [Fact]
    public async Task An_orphan_can_be_linked_to_its_lead()
    {
        var orphanAirtableId = $"recLINK{Guid.NewGuid():N}"[..18];
        var id = await NewEventAsync(orphanAirtableId);
        var lead = await app.CreateLeadAsync();
        await app.ExecAsync("UPDATE lead_activity_log SET lead_id = @l WHERE id = @id", ("l", lead.Id), ("id", id));
        Assert.Equal(lead.Id, await app.ScalarAsync<Guid>("SELECT lead_id FROM lead_activity_log WHERE id = @id", ("id", id)));
    }

    [Fact]
    public async Task Redaction_may_blank_content_but_keeps_type_time_lead_ids_and_hash()
    {
        var lead = await app.CreateLeadAsync();
        var id = await NewEventAsync(lead.AirtableId, new { phone = "4085551234", campaign_id = "c1" });
        var hash = await app.ScalarAsync<string>("SELECT encode(content_hash, 'hex') FROM lead_activity_log WHERE id = @id", ("id", id));

        await app.ExecAsync("""
            UPDATE lead_activity_log
            SET description = '[redacted]', message_content = NULL, metadata = jsonb_set(metadata, '{phone}', '"[redacted]"'),
                redacted_at = now(), redaction_reason = 'Lead asked for it'
            WHERE id = @id
            """, ("id", id));

        Assert.Equal("[redacted]", await app.ScalarAsync<string>("SELECT description FROM lead_activity_log WHERE id = @id", ("id", id)));
        Assert.Equal("c1", await app.ScalarAsync<string>("SELECT metadata->>'campaign_id' FROM lead_activity_log WHERE id = @id", ("id", id)));
        Assert.Equal(hash, await app.ScalarAsync<string>("SELECT encode(content_hash, 'hex') FROM lead_activity_log WHERE id = @id", ("id", id)));
    }

    [Theory]
    [InlineData("description = 'a nicer story'")]
    [InlineData("message_content = 'replaced message'")]
    [InlineData("metadata = jsonb_set(metadata, '{phone}', '\"5550000000\"')")]
    [InlineData("metadata = metadata || '{\"added\": 1}'")]
    public async Task Redaction_cannot_replace_content(string change)
    {
        var lead = await app.CreateLeadAsync();
        var id = await NewEventAsync(lead.AirtableId, new { phone = "4085551234" });
        await Assert.ThrowsAsync<PostgresException>(() => app.ExecAsync(
            $"UPDATE lead_activity_log SET {change}, redacted_at = now(), redaction_reason = 'x' WHERE id = @id", ("id", id)));
    }

    [Fact]
    public async Task Redaction_needs_a_reason()
    {
        var lead = await app.CreateLeadAsync();
        var id = await NewEventAsync(lead.AirtableId);
        await Assert.ThrowsAsync<PostgresException>(() => app.ExecAsync(
            "UPDATE lead_activity_log SET description = '[redacted]', redacted_at = now() WHERE id = @id", ("id", id)));
    }

    [Fact]
    public async Task Soft_deleting_a_lead_keeps_its_history_and_a_hard_delete_is_refused()
    {
        var lead = await app.CreateLeadAsync();
        await NewEventAsync(lead.AirtableId);
        await app.ExecAsync("UPDATE leads SET deleted_at = now() WHERE id = @l", ("l", lead.Id));
        Assert.Equal(1, await app.ScalarAsync<long>("SELECT count(*) FROM lead_activity_log WHERE lead_id = @l", ("l", lead.Id)));
        await Assert.ThrowsAsync<PostgresException>(() => app.ExecAsync("DELETE FROM leads WHERE id = @l", ("l", lead.Id)));
    }
}
