using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using ActivityCrm.Tests.Infrastructure;
using ActivityCrm.Web.Features.Imports;
using Microsoft.Extensions.DependencyInjection;

namespace ActivityCrm.Tests.Recovery;

/// <summary>CSV files built row by row for the import tests.</summary>
public static class Csv
{
    public static string Field(string? value) =>
        value is null ? "" : value.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? "\"" + value.Replace("\"", "\"\"") + "\"" : value;

    public static string Line(params string?[] fields) => string.Join(',', fields.Select(Field));

    public static MemoryStream Stream(IEnumerable<string> lines) => new(Encoding.UTF8.GetBytes(string.Join("\n", lines) + "\n"));

    public static string SamplePath(string name)
    {
        return RepoRoot.Combine("samples", name);
    }
}

public sealed class ImportTests(AppFactory app) : IClassFixture<AppFactory>
{
    private const string RetryQueueHeader = "queue_id,operation_type,lead_id,payload,retry_count,next_retry_at,created_at";
    private RetryQueueImport RetryQueue => app.Services.GetRequiredService<RetryQueueImport>();
    private SmsAuditBackfill Backfill => app.Services.GetRequiredService<SmsAuditBackfill>();

    private static string RetryRow(string queueId, string leadId, object payload, string operation = "activity_log") =>
        Csv.Line(queueId, operation, leadId, payload as string ?? JsonSerializer.Serialize(payload, JsonSerializerOptions.Web), "0", "2025-11-07T08:20:05Z", "2025-11-07T08:15:06Z");

    [Fact]
    public async Task A_retry_queue_export_is_replayed_once_and_importing_it_again_creates_nothing()
    {
        var lead = await app.CreateLeadAsync();
        // One event the node gave up on although the server had stored it (the response was lost).
        var arrived = EventPayloads.Sms(lead.AirtableId).With("executionId", "28973").With("timestamp", "2025-11-07T08:15:05Z");
        using (var api = app.ApiClient()) (await api.PostAsJsonAsync("/api/internal/log-activity", arrived)).EnsureSuccessStatusCode();
        var lines = new List<string>
        {
            RetryQueueHeader,
            RetryRow("28973-0", lead.AirtableId, arrived),
            RetryRow("28974-0", lead.AirtableId, EventPayloads.Sms(lead.AirtableId).With("executionId", "28974").With("timestamp", "2025-11-07T09:00:00Z")),
            // No executionId, timestamp or key: the queue id is what makes a second import a no-op.
            RetryRow("28975-0", lead.AirtableId, EventPayloads.Sms(lead.AirtableId).Without("executionId").Without("timestamp").With("description", "SMS sent: keyless")),
            // The payload lacks the lead: the row's lead_id is used.
            RetryRow("28976-0", lead.AirtableId, EventPayloads.Sms("x").Without("leadAirtableId").With("executionId", "28976")),
            RetryRow("28977-0", lead.AirtableId, EventPayloads.Sms(lead.AirtableId).With("eventType", "SMOKE_SIGNAL")),
            RetryRow("28978-0", lead.AirtableId, "{\"eventType\": \"MESSAGE_SENT\","),
            RetryRow("28979-0", lead.AirtableId, EventPayloads.Sms(lead.AirtableId), operation: "lead_sync"),
        };

        var first = await RetryQueue.ImportAsync(Csv.Stream(lines));
        var second = await RetryQueue.ImportAsync(Csv.Stream(lines));

        Assert.Equal((7, 3, 1, 3), (first.Rows, first.Created, first.Duplicates, first.Rejected));
        Assert.Equal((7, 0, 4, 3), (second.Rows, second.Created, second.Duplicates, second.Rejected));
        Assert.Equal(4, await app.EventCountAsync(lead.AirtableId));
        Assert.Equal(new DateTime(2025, 11, 7, 8, 15, 6, DateTimeKind.Utc), await app.ScalarAsync<DateTime>(
            "SELECT \"timestamp\" FROM lead_activity_log WHERE description = 'SMS sent: keyless'")); // created_at, not the import's time
        Assert.Equal([6, 7, 8], first.RejectedRows.Select(r => r.Row).ToArray());
        // Rejected rows wait in the dead-letter store (once, although imported twice), replayable after a fix.
        Assert.Equal(3, await app.ScalarAsync<long>("SELECT count(*) FROM ingestion_failures WHERE reason = 'import' AND errors::text LIKE '%Retry_Queue import, row%'"));
        Assert.Equal(1, await app.ScalarAsync<long>("SELECT count(*) FROM ingestion_failures WHERE reason = 'import' AND event_type = 'SMOKE_SIGNAL' AND status = 'pending'"));
    }

    [Fact]
    public async Task A_retry_queue_file_without_a_payload_column_is_refused_before_anything_is_written()
    {
        var e = await Assert.ThrowsAsync<ImportFileException>(() => RetryQueue.ImportAsync(Csv.Stream(["queue_id,lead_id", "1,recX"])));
        Assert.Contains("no payload column", e.Message);
        await Assert.ThrowsAsync<ImportFileException>(() => RetryQueue.ImportAsync(new MemoryStream()));
    }

    private static string SmsHeader => "Record ID,Lead,Phone,Message,Status,Campaign,Sent At,Delivered At,Error,SimpleTexting Message ID,Workflow ID,Execution ID";

    private static string SmsRow(string record, string lead, string text, string status, string sentAt, string? deliveredAt = null, string? providerId = null, string? error = null) =>
        Csv.Line(record, lead, "4085551234", text, status, "chatgpt_use_cases", sentAt, deliveredAt, error, providerId, "kJMMZ10anu4NqYUL", "28973");

    [Fact]
    public async Task The_sms_audit_dry_run_predicts_the_real_run_and_a_second_run_finds_only_duplicates()
    {
        var lead = await app.CreateLeadAsync();
        var unsynced = RecoveryHelpers.UniqueAirtableId("recLGCY");
        // Logged by the n8n workflow during the dual-write period: once with the SimpleTexting id, once without.
        using (var api = app.ApiClient())
        {
            var withId = EventPayloads.Sms(lead.AirtableId, "Hey John, saw your form submission").With("timestamp", "2025-09-17T14:03:05Z");
            withId["metadata"] = new Dictionary<string, object?> { ["phone"] = "4085551234", ["simpletexting_id"] = "ST-1001" };
            (await api.PostAsJsonAsync("/api/internal/log-activity", withId)).EnsureSuccessStatusCode();
            var withoutId = EventPayloads.Sms(lead.AirtableId, "Want the template?").With("timestamp", "2025-09-18T10:00:30Z").Without("metadata");
            (await api.PostAsJsonAsync("/api/internal/log-activity", withoutId)).EnsureSuccessStatusCode();
        }
        var lines = new List<string>
        {
            SmsHeader,
            SmsRow("recA1", lead.AirtableId, "Hey John, saw your form submission", "Delivered", "2025-09-17T14:03:00Z", "2025-09-17T14:03:40Z", "ST-1001"),
            SmsRow("recA2", lead.AirtableId, "Want the template?", "sent", "9/18/2025 10:01am"),
            SmsRow("recA3", lead.AirtableId, "Different text, same minute", "sent", "9/18/2025 10:01am"),
            SmsRow("recA4", unsynced, "Hi Grace, following up", "failed", "2025-09-19T08:00:00Z", error: "30006 Landline or unreachable carrier"),
            SmsRow("recA4", unsynced, "Hi Grace, following up", "failed", "2025-09-19T08:00:00Z", error: "30006 Landline or unreachable carrier"),
            SmsRow("recA5", "", "No lead", "sent", "2025-09-19T08:00:00Z"),
            SmsRow("recA6", lead.AirtableId, "Tomorrow", "scheduled", "2025-09-19T08:00:00Z"),
            SmsRow("recA7", lead.AirtableId, "When?", "sent", "last tuesday"),
            "recA8,\"broken",
        };
        var before = await app.EventCountAsync(lead.AirtableId);

        var dry = await Backfill.RunAsync(Csv.Stream(lines), dryRun: true);
        Assert.Equal(before, await app.EventCountAsync(lead.AirtableId)); // a dry run writes nothing
        var real = await Backfill.RunAsync(Csv.Stream(lines), dryRun: false);
        var again = await Backfill.RunAsync(Csv.Stream(lines), dryRun: false);

        Assert.Equal(9, dry.Rows);
        Assert.Equal(3, dry.New); // A1's delivery, A3, A4
        Assert.Equal(1, dry.NewForUnsyncedLeads);
        Assert.Equal(new Dictionary<string, int> { ["same_provider_message_id"] = 1, ["same_time_and_text"] = 1, ["repeated_in_file"] = 1 }, dry.Duplicates);
        Assert.Equal(4, dry.UnusableRows);
        Assert.Equal((1, 1, 1), (dry.Unusable["missing_lead"], dry.Unusable["unknown_status"], dry.Unusable["bad_time"]));
        Assert.Equal((dry.New, dry.DuplicateTotal, dry.UnusableRows), (real.New, real.DuplicateTotal, real.UnusableRows));
        Assert.Equal(dry.Duplicates, real.Duplicates);
        Assert.Equal(dry.Unusable, real.Unusable);
        Assert.Equal(0, again.New);
        Assert.Equal(dry.Events, again.DuplicateTotal);
        Assert.Equal(before + 2, await app.EventCountAsync(lead.AirtableId));
        Assert.Equal(1, await app.EventCountAsync(unsynced));
        Assert.Equal(3, await app.ScalarAsync<long>("SELECT count(*) FROM lead_activity_log WHERE source = 'backfill:sms_audit' AND lead_airtable_id IN (@a, @b)",
            ("a", lead.AirtableId), ("b", unsynced)));
        Assert.Equal("ST-1001", await app.ScalarAsync<string>(
            "SELECT metadata->>'simpletexting_id' FROM lead_activity_log WHERE source = 'backfill:sms_audit' AND event_type = 'MESSAGE_DELIVERED' AND lead_airtable_id = @a", ("a", lead.AirtableId)));
        Assert.Equal(new DateTime(2025, 9, 17, 14, 3, 40, DateTimeKind.Utc), await app.ScalarAsync<DateTime>(
            "SELECT \"timestamp\" FROM lead_activity_log WHERE source = 'backfill:sms_audit' AND event_type = 'MESSAGE_DELIVERED' AND lead_airtable_id = @a", ("a", lead.AirtableId)));
        Assert.Equal("SMS failed: 30006 Landline or unreachable carrier", await app.ScalarAsync<string>(
            "SELECT description FROM lead_activity_log WHERE lead_airtable_id = @a", ("a", unsynced)));
        Assert.Contains(dry.Examples, e => e.Row == 10 && e.Reason is "malformed_row" or "missing_status"); // the broken last line
    }

    [Fact]
    public async Task The_shipped_sample_file_is_usable_and_its_bad_rows_are_explained()
    {
        await using var file = File.OpenRead(Csv.SamplePath("sms_audit_sample.csv"));

        var dry = await Backfill.RunAsync(file, dryRun: true);

        Assert.Equal(50, dry.Rows);
        Assert.Equal(4, dry.UnusableRows);
        Assert.Equal([46, 47, 48, 49], dry.Examples.Select(e => e.Row).ToArray());
        Assert.Equal(3, dry.Duplicates["repeated_in_file"]);
        Assert.Equal(dry.Events, dry.New + dry.DuplicateTotal);
    }

    [Fact]
    public async Task A_hundred_thousand_row_sms_audit_file_streams_through_a_dry_run_with_progress()
    {
        var path = Path.Combine(Path.GetTempPath(), $"sms-audit-100k-{Guid.NewGuid():N}.csv");
        var leads = Enumerable.Range(0, 500).Select(i => $"recBULK{i:D5}{Guid.NewGuid():N}"[..17]).ToArray();
        await using (var writer = new StreamWriter(path))
        {
            await writer.WriteLineAsync("record_id,lead_record_id,phone,message_text,status,campaign,sent_at,simpletexting_message_id");
            var start = new DateTime(2025, 3, 1, 0, 0, 0, DateTimeKind.Utc);
            for (var i = 0; i < 100_000; i++)
                await writer.WriteLineAsync(Csv.Line($"recBULK{i:D8}", i % 1000 == 999 ? "" : leads[i % leads.Length], "4085551234", $"Message number {i}, hello", i % 7 == 0 ? "failed" : "sent",
                    "bulk", start.AddMinutes(i).ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture), $"ST{i}"));
        }
        try
        {
            var reports = new List<ImportProgress>();
            await using var file = File.OpenRead(path);

            // A dry run makes every decision a real run makes (the real run's writes are the writer's, tested
            // elsewhere; 100,000 of them take about a minute here, see docs/operations.md).
            var report = await Backfill.RunAsync(file, dryRun: true, new SyncProgress(reports.Add));

            Assert.Equal(100_000, report.Rows);
            Assert.Equal(99_900, report.New);
            Assert.Equal(100, report.Unusable["missing_lead"]);
            Assert.Equal(0, await app.ScalarAsync<long>("SELECT count(*) FROM lead_activity_log WHERE lead_airtable_id LIKE 'recBULK%'"));
            Assert.True(reports.Count >= 50, $"progress was reported {reports.Count} times");
            Assert.True(reports.Select(r => r.BytesRead).SequenceEqual(reports.Select(r => r.BytesRead).Order()));
            Assert.Equal(100.0, reports[^1].Percent!.Value, 0);
        }
        finally { File.Delete(path); }
    }

    /// <summary>Progress&lt;T&gt; posts to a thread pool; this reports inline so the test sees every report in order.</summary>
    private sealed class SyncProgress(Action<ImportProgress> report) : IProgress<ImportProgress>
    {
        public void Report(ImportProgress value) => report(value);
    }
}

/// <summary>The import command through the real app binary, as an operator runs it.</summary>
[Collection(AppProcessCollection.Name)]
public sealed class ImportCommandTests : IAsyncLifetime
{
    private TestDatabase _db = null!;

    public async Task InitializeAsync()
    {
        _db = await TestDatabase.CreateAsync();
        // The app migrates and bootstraps on first start; running the command does the same.
    }

    public async Task DisposeAsync() => await _db.DisposeAsync();

    private Task<(int Code, string Output)> RunAsync(params string[] args) => RecoveryHelpers.RunAppCommandAsync(_db.ConnectionString, args);

    [Fact]
    public async Task The_import_command_does_a_dry_run_then_the_import_with_progress_and_refuses_an_unusable_file()
    {
        var sample = Csv.SamplePath("sms_audit_sample.csv");
        await using var ds = _db.CreateDataSource();
        async Task<long> Backfilled()
        {
            await using var cmd = ds.CreateCommand("SELECT count(*) FROM lead_activity_log WHERE source = 'backfill:sms_audit'");
            return (long)(await cmd.ExecuteScalarAsync())!;
        }

        var dry = await RunAsync("import", "sms-audit", sample, "--dry-run");
        Assert.True(dry.Code == 0, dry.Output);
        Assert.Contains("dry run", dry.Output);
        Assert.Contains("100.0%", dry.Output);
        Assert.Contains("unusable rows: 4", dry.Output);
        Assert.Contains("row 48: sent_at 'sometime last week' is not a date and time.", dry.Output);
        Assert.Equal(0, await Backfilled());

        var real = await RunAsync("import", "sms-audit", sample);
        Assert.True(real.Code == 0, real.Output);
        var stored = await Backfilled();
        Assert.True(stored > 40, real.Output);
        Assert.Contains($"new (stored): {stored:N0}", real.Output);

        var bad = Path.Combine(Path.GetTempPath(), $"not-sms-audit-{Guid.NewGuid():N}.csv");
        await File.WriteAllTextAsync(bad, "name,email\nJohn,john@example.com\n");
        try
        {
            var refused = await RunAsync("import", "sms-audit", bad);
            Assert.Equal(1, refused.Code);
            Assert.Contains("no lead_record_id, status, sent_at column", refused.Output);
        }
        finally { File.Delete(bad); }
        Assert.Equal(stored, await Backfilled());
    }
}
