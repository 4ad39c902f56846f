using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using ActivityCrm.Data.Postgres;
using ActivityCrm.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;
using Npgsql;

namespace ActivityCrm.Tests.Data;

/// <summary>The app on a database with Database:Partitioning=monthly (converted at start-up, after some history exists).</summary>
public sealed class PartitionedAppFactory : AppFactory
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("Database:Partitioning", "monthly");
    }
}

/// <summary>
/// Monthly range partitioning of lead_activity_log (docs/scaling.md): conversion keeps every row and its
/// hash, and ingestion, idempotency, the append-only rules and keyset paging work across partitions.
/// </summary>
public sealed class PartitioningTests(PartitionedAppFactory app) : IClassFixture<PartitionedAppFactory>
{
    private const string Url = "/api/internal/log-activity";

    private static DateTimeOffset MonthsAgo(int months, int day = 15) =>
        new DateTimeOffset(DateTime.UtcNow.Year, DateTime.UtcNow.Month, day, 12, 0, 0, TimeSpan.Zero).AddMonths(-months);

    private async Task<Guid> PostAsync(string airtableId, DateTimeOffset at, string? key = null, string? description = null)
    {
        using var client = app.ApiClient();
        var payload = EventPayloads.Sms(airtableId).With("timestamp", at.ToString("yyyy-MM-ddTHH:mm:ss.fffZ"))
            .With("idempotencyKey", key ?? Guid.NewGuid().ToString());
        if (description is not null) payload = payload.With("description", description);
        var response = await client.PostAsJsonAsync(Url, payload);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("activityId").GetGuid();
    }

    private Task<string> PartitionOfAsync(Guid id) =>
        app.ScalarAsync<string>("SELECT tableoid::regclass::text FROM lead_activity_log WHERE id = @id", ("id", id));

    [Fact]
    public async Task The_app_converts_the_table_at_start_up_into_monthly_partitions_and_a_default_for_older_events()
    {
        Assert.True(await ActivityPartitioning.IsPartitionedAsync(app.DataSource));
        var partitions = await ActivityPartitioning.ListAsync(app.DataSource);
        var thisMonth = $"lead_activity_log_{DateTime.UtcNow:yyyy_MM}";
        Assert.Contains(partitions, p => p.Name == thisMonth);
        Assert.Contains(partitions, p => p.Name == "lead_activity_log_default");
        // Three months ahead are always there, so an event never waits for a partition.
        Assert.Contains(partitions, p => p.Name == $"lead_activity_log_{DateTime.UtcNow.AddMonths(3):yyyy_MM}");
        Assert.Equal(0, await ActivityPartitioning.EnsureFuturePartitionsAsync(app.DataSource));

        var lead = await app.CreateLeadAsync();
        Assert.Equal(thisMonth, await PartitionOfAsync(await PostAsync(lead.AirtableId, DateTimeOffset.UtcNow.AddMinutes(-1))));
        // Far older than the partitions kept per month (a backfill, say): the default partition takes it.
        Assert.Equal("lead_activity_log_default", await PartitionOfAsync(await PostAsync(lead.AirtableId, new DateTimeOffset(2019, 3, 1, 0, 0, 0, TimeSpan.Zero))));
    }

    [Fact]
    public async Task A_retry_is_a_duplicate_even_when_it_carries_a_timestamp_in_another_partition()
    {
        var lead = await app.CreateLeadAsync();
        var key = $"cross-{Guid.NewGuid()}";
        var first = await PostAsync(lead.AirtableId, MonthsAgo(2), key);

        using var client = app.ApiClient();
        var retry = await client.PostAsJsonAsync(Url, EventPayloads.Sms(lead.AirtableId)
            .With("timestamp", MonthsAgo(0, 1).ToString("O")).With("idempotencyKey", key));

        Assert.Equal(HttpStatusCode.OK, retry.StatusCode);
        Assert.Equal(first, (await retry.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("activityId").GetGuid());
        Assert.Equal(1, await app.ScalarAsync<long>("SELECT count(*) FROM lead_activity_log WHERE lead_id = @l", ("l", lead.Id)));
    }

    [Fact]
    public async Task Concurrent_retries_store_one_event()
    {
        var lead = await app.CreateLeadAsync();
        var body = JsonSerializer.Serialize(EventPayloads.Sms(lead.AirtableId)
            .With("timestamp", MonthsAgo(1).ToString("O")).With("idempotencyKey", $"race-{Guid.NewGuid()}"));

        var statuses = await Task.WhenAll(Enumerable.Range(0, 12).Select(async _ =>
        {
            using var client = app.ApiClient();
            return (await client.PostAsync(Url, new StringContent(body, Encoding.UTF8, "application/json"))).StatusCode;
        }));

        Assert.Single(statuses, s => s == HttpStatusCode.Created);
        Assert.Equal(1, await app.ScalarAsync<long>("SELECT count(*) FROM lead_activity_log WHERE lead_id = @l", ("l", lead.Id)));
    }

    [Fact]
    public async Task Keyset_paging_walks_across_month_boundaries_without_gaps_or_repeats()
    {
        var lead = await app.CreateLeadAsync();
        var expected = new List<Guid>();
        for (var month = 0; month < 4; month++)
            for (var i = 0; i < 12; i++)
                expected.Add(await PostAsync(lead.AirtableId, MonthsAgo(month + 1, 1 + i * 2)));

        var seen = new List<Guid>();
        (DateTime Ts, Guid Id)? cursor = null;
        while (true)
        {
            await using var cmd = app.DataSource.CreateCommand("""
                SELECT id, "timestamp" FROM lead_activity_log
                WHERE lead_id = @lead AND (@first OR ("timestamp", id) < (@ts, @id))
                ORDER BY "timestamp" DESC, id DESC LIMIT 10
                """);
            cmd.Parameters.AddWithValue("lead", lead.Id);
            cmd.Parameters.AddWithValue("first", cursor is null);
            cmd.Parameters.AddWithValue("ts", cursor?.Ts ?? DateTime.UtcNow);
            cmd.Parameters.AddWithValue("id", cursor?.Id ?? Guid.Empty);
            var page = new List<(Guid, DateTime)>();
            await using (var r = await cmd.ExecuteReaderAsync())
                while (await r.ReadAsync()) page.Add((r.GetGuid(0), r.GetDateTime(1)));
            if (page.Count == 0) break;
            seen.AddRange(page.Select(p => p.Item1));
            cursor = (page[^1].Item2, page[^1].Item1);
        }

        Assert.Equal(expected.Count, seen.Count);
        Assert.Equal(expected.ToHashSet(), seen.ToHashSet());
    }

    [Fact]
    public async Task The_append_only_rules_hold_on_every_partition_and_orphans_still_link()
    {
        var lead = await app.CreateLeadAsync();
        var old = await PostAsync(lead.AirtableId, MonthsAgo(2));
        await Assert.ThrowsAsync<PostgresException>(() => app.ExecAsync("UPDATE lead_activity_log SET description = 'x' WHERE id = @id", ("id", old)));
        await Assert.ThrowsAsync<PostgresException>(() => app.ExecAsync("DELETE FROM lead_activity_log WHERE id = @id", ("id", old)));
        var hash = await app.ScalarAsync<string>("SELECT encode(content_hash, 'hex') FROM lead_activity_log WHERE id = @id", ("id", old));
        await app.ExecAsync("UPDATE lead_activity_log SET description = '[redacted]', message_content = NULL, redacted_at = now(), redaction_reason = 'test' WHERE id = @id", ("id", old));
        Assert.Equal(hash, await app.ScalarAsync<string>("SELECT encode(content_hash, 'hex') FROM lead_activity_log WHERE id = @id", ("id", old)));

        var orphanAirtableId = $"recPART{Guid.NewGuid():N}"[..17];
        var orphan = await PostAsync(orphanAirtableId, MonthsAgo(1));
        using var client = app.ApiClient();
        var sync = await client.PutAsJsonAsync($"/api/internal/leads/{orphanAirtableId}", new { firstName = "Late", lastName = "Sync" });
        Assert.Equal(1, (await sync.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("linkedActivities").GetInt32());
        Assert.NotEqual(Guid.Empty, await app.ScalarAsync<Guid>("SELECT lead_id FROM lead_activity_log WHERE id = @id", ("id", orphan)));
    }
}

/// <summary>Converting a table that already holds history: every row, hash and redaction survives.</summary>
public sealed class PartitionConversionTests(AppFactory app) : IClassFixture<AppFactory>
{
    [Fact]
    public async Task Conversion_keeps_every_event_with_its_hash_including_redacted_ones()
    {
        await app.SeedDemoAsync(new ActivityCrm.Data.Demo.DemoDataOptions(Leads: 40, Events: 3_000, Days: 200));
        const string Fingerprint = "SELECT md5(string_agg(id::text || encode(content_hash, 'hex') || description || coalesce(redaction_reason, ''), ',' ORDER BY id)) FROM lead_activity_log";
        var count = await app.ScalarAsync<long>("SELECT count(*) FROM lead_activity_log");
        var redacted = await app.ScalarAsync<long>("SELECT count(*) FROM lead_activity_log WHERE redacted_at IS NOT NULL");
        var before = await app.ScalarAsync<string>(Fingerprint);
        Assert.True(redacted > 0);

        var result = await ActivityPartitioning.EnableAsync(app.DataSource);

        Assert.Contains($"{count} events moved", result);
        Assert.True(await ActivityPartitioning.IsPartitionedAsync(app.DataSource));
        Assert.Equal(before, await app.ScalarAsync<string>(Fingerprint));
        Assert.True((await ActivityPartitioning.ListAsync(app.DataSource)).Count >= 8); // ~7 months of history + 3 ahead + default
        // The hash function follows the table: a fresh event still gets its hash from the database.
        var lead = await app.CreateLeadAsync();
        using var client = app.ApiClient();
        var r = await client.PostAsJsonAsync("/api/internal/log-activity", EventPayloads.Sms(lead.AirtableId));
        var id = (await r.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("activityId").GetGuid();
        Assert.Equal(32, await app.ScalarAsync<int>("SELECT length(content_hash) FROM lead_activity_log WHERE id = @id", ("id", id)));
        Assert.Equal("already partitioned", await ActivityPartitioning.EnableAsync(app.DataSource));
    }
}
