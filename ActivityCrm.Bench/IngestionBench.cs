using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using ActivityCrm.Data.Activities;
using Npgsql;
using NpgsqlTypes;

namespace ActivityCrm.Bench;

/// <summary>
/// Ingestion through the app over HTTP (single events at 1/16/64 clients, batches of 100 and 1,000) next to
/// PostgreSQL's own limit in the same run: the same INSERT statement straight through Npgsql, and COPY.
/// </summary>
public sealed class IngestionBench(string connectionString, AppUnderTest app, string[] leadAirtableIds, TimeSpan duration, Report report)
{

    /// <summary>Why the 16-client latency budget is missed, when PostgreSQL itself misses it on this disk.</summary>
    private static string Why((double EventsPerSecond, Samples Latency, long Events) http, (double EventsPerSecond, Samples Latency, long Events) direct) =>
        http.Latency.P99 > 50 && direct.Latency.P99 > 50
            ? $". Why missed: PostgreSQL's own INSERT at 16 clients already has p99 {Report.Ms(direct.Latency.P99)} (each commit waits " +
              $"for the WAL flush on this disk, and the app and the benchmark share 2 cores), so p99 ≤ 50 ms is below what this machine " +
              $"allows even without the app; the app adds {Report.Ms(http.Latency.P99 - direct.Latency.P99)} at p99. Batches are the way past it."
            : "";
    private readonly string _run = Guid.NewGuid().ToString("N")[..8];
    private long _seq;

    private string NextKey() => $"bench-{_run}-{Interlocked.Increment(ref _seq)}";
    private string Lead() => leadAirtableIds[Random.Shared.Next(leadAirtableIds.Length)];

    private object Payload() => new
    {
        eventType = "MESSAGE_SENT", eventCategory = "SMS", leadAirtableId = Lead(),
        description = "SMS sent: Hey there, saw your form submission about the pricing webinar",
        messageContent = "Hey there, saw your form submission. If you want help mapping your ChatGPT use cases, reply YES.",
        metadata = new { campaign_id = "chatgpt_use_cases", phone = "4085551234", template_id = "recTPL123" },
        source = "n8n:bench", executionId = "42", idempotencyKey = NextKey(),
        timestamp = DateTimeOffset.UtcNow.ToString("O"),
    };

    private NewActivity Activity() => new()
    {
        EventType = "MESSAGE_SENT", EventCategory = "SMS", LeadAirtableId = Lead(),
        Description = "SMS sent: Hey there, saw your form submission about the pricing webinar",
        MessageContent = "Hey there, saw your form submission. If you want help mapping your ChatGPT use cases, reply YES.",
        Metadata = """{"campaign_id": "chatgpt_use_cases", "phone": "4085551234", "template_id": "recTPL123"}""",
        Source = "n8n:bench-direct", ExecutionId = "42", IdempotencyKey = NextKey(), Timestamp = DateTimeOffset.UtcNow,
    };

    public async Task RunAsync()
    {
        await using var ds = new NpgsqlDataSourceBuilder(connectionString).Build();
        var writer = new ActivityWriter(ds);
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 256 }) { BaseAddress = new Uri(app.BaseUrl) };
        http.DefaultRequestHeaders.Add("x-api-key", AppUnderTest.ApiKey);

        // Warm both paths (JIT, connection pools, plans).
        await Load.RunAsync(8, TimeSpan.FromSeconds(3), async (_, _) => await PostAsync(http, "/api/internal/log-activity", Payload()));
        await Load.RunAsync(8, TimeSpan.FromSeconds(2), async (_, _) => { await writer.AppendAsync(Activity()); return 1; });

        var direct16 = await Load.RunAsync(16, duration, async (_, _) => { await writer.AppendAsync(Activity()); return 1; });
        report.Add(new("Ingestion", "PostgreSQL limit: same INSERT via Npgsql, 16 clients", Report.Rate(direct16.EventsPerSecond), "", null,
            $"p50 {Report.Ms(direct16.Latency.Median)}, p95 {Report.Ms(direct16.Latency.P95)}, p99 {Report.Ms(direct16.Latency.P99)}"));

        foreach (var clients in new[] { 1, 16, 64 })
        {
            var r = await Load.RunAsync(clients, duration, async (_, _) => await PostAsync(http, "/api/internal/log-activity", Payload()));
            var ratio = r.EventsPerSecond / direct16.EventsPerSecond;
            report.Add(new("Ingestion", $"HTTP single events, {clients} client{(clients > 1 ? "s" : "")}", Report.Rate(r.EventsPerSecond),
                clients == 16 ? "≥ 50% of direct INSERT, p99 ≤ 50 ms" : "", clients == 16 ? ratio >= 0.5 && r.Latency.P99 <= 50 : null,
                $"p50 {Report.Ms(r.Latency.Median)}, p95 {Report.Ms(r.Latency.P95)}, p99 {Report.Ms(r.Latency.P99)}; {ratio:P0} of direct INSERT at 16" +
                (clients == 16 ? Why(r, direct16) : "")));
        }

        foreach (var size in new[] { 100, 1000 })
        {
            const int clients = 4;
            var direct = await Load.RunAsync(clients, duration, async (_, _) =>
            {
                await writer.AppendAsync(Enumerable.Range(0, size).Select(_ => Activity()).ToList());
                return size;
            });
            var viaHttp = await Load.RunAsync(clients, duration, async (_, _) =>
                await PostAsync(http, "/api/internal/log-activity/batch", new { events = Enumerable.Range(0, size).Select(_ => Payload()).ToArray() }, size));
            var ratio = viaHttp.EventsPerSecond / direct.EventsPerSecond;
            report.Add(new("Ingestion", $"PostgreSQL limit: multi-row INSERT of {size:N0} via Npgsql, {clients} clients", Report.Rate(direct.EventsPerSecond), "", null,
                $"p50 {Report.Ms(direct.Latency.Median)}, p99 {Report.Ms(direct.Latency.P99)} per batch"));
            report.Add(new("Ingestion", $"HTTP batches of {size:N0}, {clients} clients", Report.Rate(viaHttp.EventsPerSecond), "≥ 50% of direct multi-row INSERT",
                ratio >= 0.5, $"{ratio:P0} of direct; p50 {Report.Ms(viaHttp.Latency.Median)}, p99 {Report.Ms(viaHttp.Latency.P99)} per batch"));
        }

        var copy = await CopyRateAsync(ds, 300_000);
        report.Add(new("Ingestion", "PostgreSQL limit: binary COPY", Report.Rate(copy), "", null, "300,000 rows, one connection"));
    }

    private static async Task<int> PostAsync(HttpClient http, string path, object body, int events = 1)
    {
        using var content = new ByteArrayContent(JsonSerializer.SerializeToUtf8Bytes(body));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var response = await http.PostAsync(path, content);
        if (!response.IsSuccessStatusCode)
            throw new InvalidOperationException($"{path} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        return events;
    }

    private async Task<double> CopyRateAsync(NpgsqlDataSource ds, int rows)
    {
        await using var conn = await ds.OpenConnectionAsync();
        var sw = Stopwatch.StartNew();
        await using (var w = await conn.BeginBinaryImportAsync(
            "COPY lead_activity_log (event_type, event_category, lead_airtable_id, description, message_content, metadata, source, execution_id, idempotency_key, \"timestamp\") FROM STDIN (FORMAT BINARY)"))
        {
            for (var i = 0; i < rows; i++)
            {
                var a = Activity();
                await w.StartRowAsync();
                await w.WriteAsync(a.EventType);
                await w.WriteAsync(a.EventCategory);
                await w.WriteAsync(a.LeadAirtableId!);
                await w.WriteAsync(a.Description);
                await w.WriteAsync(a.MessageContent!);
                await w.WriteAsync(a.Metadata!, NpgsqlDbType.Jsonb);
                await w.WriteAsync("n8n:bench-copy");
                await w.WriteAsync(a.ExecutionId!);
                await w.WriteAsync(a.IdempotencyKey!);
                await w.WriteAsync(a.Timestamp.UtcDateTime, NpgsqlDbType.TimestampTz);
            }
            await w.CompleteAsync();
        }
        return rows / sw.Elapsed.TotalSeconds;
    }
}
