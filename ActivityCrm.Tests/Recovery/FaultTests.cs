using System.Collections.Concurrent;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using ActivityCrm.Data.Postgres;
using ActivityCrm.Tests.Infrastructure;
using ActivityCrm.Web.Features.Imports;
using ActivityCrm.Web.Features.Ingestion;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace ActivityCrm.Tests.Recovery;

/// <summary>
/// Sends like the PRD's n8n "Write to Activity Log" node: retryOnFail with maxTries 3 and a wait between tries
/// (2 s in the PRD; shorter here, the number of tries and the body are what matter), the same body — so the
/// same natural key — on every try. 5xx and connection errors are retried, 4xx is final. An event it gives up
/// on goes to its Retry_Queue, exactly as the PRD's "Fallback to Retry_Queue" error branch does.
/// </summary>
public sealed class N8nNode(HttpClient http, TimeSpan waitBetweenTries)
{
    public const int MaxTries = 3;
    public ConcurrentQueue<(string QueueId, string LeadId, string Payload)> RetryQueue { get; } = new();
    public int FailedTries;

    public async Task<bool> SendAsync(string queueId, string leadAirtableId, string json)
    {
        for (var attempt = 1; attempt <= MaxTries; attempt++)
        {
            try
            {
                using var response = await http.PostAsync("/api/internal/log-activity", new StringContent(json, Encoding.UTF8, "application/json"));
                if (response.IsSuccessStatusCode) return true;
                if ((int)response.StatusCode < 500) throw new InvalidOperationException($"{queueId} was rejected: {await response.Content.ReadAsStringAsync()}");
            }
            catch (HttpRequestException) { }
            catch (TaskCanceledException) { } // a timeout
            Interlocked.Increment(ref FailedTries);
            if (attempt < MaxTries) await Task.Delay(waitBetweenTries);
        }
        RetryQueue.Enqueue((queueId, leadAirtableId, json));
        return false;
    }

    /// <summary>The Retry_Queue as Airtable exports it.</summary>
    public string RetryQueueCsv() => string.Join("\n",
        new[] { "queue_id,operation_type,lead_id,payload,retry_count,next_retry_at,created_at" }
            .Concat(RetryQueue.Select(r => Csv.Line(r.QueueId, "activity_log", r.LeadId, r.Payload, "0", "2026-11-22T10:05:00Z", "2026-11-22T10:00:00Z")))) + "\n";

    /// <summary>An SMS event as the PRD's "Prepare Activity Log Entry" node builds it (executionId and timestamp, no key).</summary>
    public static string Event(string leadAirtableId, string executionId, int item) => JsonSerializer.Serialize(
        EventPayloads.Sms(leadAirtableId, $"Message {item} of execution {executionId}")
            .With("executionId", executionId)
            .With("timestamp", new DateTimeOffset(2026, 11, 22, 10, 0, 0, TimeSpan.Zero).AddSeconds(item).ToString("yyyy-MM-ddTHH:mm:ss.fffZ")),
        JsonSerializerOptions.Web);

    /// <summary>Sends every event from <paramref name="workers"/> parallel executions; <paramref name="afterEach"/> sees the count stored.</summary>
    public async Task<int> SendAllAsync(IReadOnlyList<(string QueueId, string Lead, string Json)> events, int workers, TimeSpan pace, Func<int, Task> afterEach)
    {
        var next = -1;
        var stored = 0;
        await Task.WhenAll(Enumerable.Range(0, workers).Select(async _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < events.Count)
            {
                if (await SendAsync(events[i].QueueId, events[i].Lead, events[i].Json)) await afterEach(Interlocked.Increment(ref stored));
                await Task.Delay(pace);
            }
        }));
        return stored;
    }
}

/// <summary>The app process is SIGKILLed mid-stream and restarted, as in a crash on a node.</summary>
[Collection(AppProcessCollection.Name)]
public sealed class AppKilledFaultTests : IAsyncLifetime
{
    private TestDatabase _db = null!;
    private AppProcess _app = null!;
    private readonly string _spool = Path.Combine(Path.GetTempPath(), $"activitycrm-spool-{Guid.NewGuid():N}");

    public async Task InitializeAsync()
    {
        _db = await TestDatabase.CreateAsync();
        _app = await AppProcess.StartAsync(_db.ConnectionString, new Dictionary<string, string> { ["Ingestion:SpoolDirectory"] = _spool });
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        await _db.DisposeAsync();
        try { Directory.Delete(_spool, recursive: true); } catch (DirectoryNotFoundException) { }
    }

    [Fact]
    public async Task Events_sent_while_the_app_is_killed_and_restarted_are_all_stored_exactly_once()
    {
        const int n = 200;
        var lead = RecoveryHelpers.UniqueAirtableId("recKILL");
        var events = Enumerable.Range(0, n).Select(i => ($"{40000 + i / 4}-{i % 4}", lead, N8nNode.Event(lead, $"{40000 + i / 4}", i))).ToList();
        using var http = new HttpClient { BaseAddress = new Uri(_app.BaseUrl), Timeout = TimeSpan.FromSeconds(10) };
        http.DefaultRequestHeaders.Add("x-api-key", AppFactory.ApiKey);
        var node = new N8nNode(http, TimeSpan.FromMilliseconds(300));
        var killed = 0;
        Task? restart = null;

        await node.SendAllAsync(events, workers: 4, pace: TimeSpan.FromMilliseconds(15), async stored =>
        {
            if (stored != 50 || Interlocked.Exchange(ref killed, 1) != 0) return;
            await _app.KillAsync();
            restart = _app.StartAsync();
        });
        await restart!;

        Assert.True(node.FailedTries > 0 && !node.RetryQueue.IsEmpty, "the kill should have cost some tries and made the node give up on some events");
        var gaveUp = node.RetryQueue.Select(r => JsonDocument.Parse(r.Payload).RootElement.GetProperty("executionId").GetString() + "/" +
                                                  JsonDocument.Parse(r.Payload).RootElement.GetProperty("timestamp").GetString()).ToHashSet();
        // What the node gave up on is in its Retry_Queue (never reached the server); the operator imports it.
        var csv = Path.Combine(Path.GetTempPath(), $"retry-queue-{Guid.NewGuid():N}.csv");
        await File.WriteAllTextAsync(csv, node.RetryQueueCsv());
        try
        {
            var import = await RecoveryHelpers.RunAppCommandAsync(_db.ConnectionString, "import", "retry-queue", csv);
            Assert.True(import.Code == 0, import.Output);
        }
        finally { File.Delete(csv); }

        await using var ds = _db.CreateDataSource();
        async Task<long> Count(string sql)
        {
            await using var cmd = ds.CreateCommand(sql);
            cmd.Parameters.AddWithValue("lead", lead);
            return (long)(await cmd.ExecuteScalarAsync())!;
        }
        Assert.Equal(n, await Count("SELECT count(*) FROM lead_activity_log WHERE lead_airtable_id = @lead"));
        Assert.Equal(n, await Count("SELECT count(DISTINCT (execution_id, \"timestamp\")) FROM lead_activity_log WHERE lead_airtable_id = @lead"));
        Assert.Equal(0, await Count("SELECT count(*) FROM ingestion_failures WHERE payload LIKE '%' || @lead || '%' AND status = 'pending'"));
        Assert.True(gaveUp.Count > 0);
    }
}

/// <summary>The app on a PostgreSQL server of its own, which the test stops and starts; a spool folder of its own.</summary>
public sealed class RestartableDatabaseAppFactory : AppFactory
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), $"activitycrm-fault-{Guid.NewGuid():N}");

    public EmbeddedPostgres PgServer { get; private set; } = null!;
    public string SpoolDirectory => Path.Combine(_dir, "spool");
    protected override string ConnectionString => PgServer.ConnectionString("activitycrm") + ";Timeout=3;Command Timeout=5";

    public override async Task InitializeAsync()
    {
        PgServer = await EmbeddedPostgres.StartAsync(Path.Combine(_dir, "pg"), new Dictionary<string, string> { ["fsync"] = "off" });
        await PgServer.EnsureDatabaseAsync("activitycrm");
        await base.InitializeAsync();
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("Ingestion:SpoolDirectory", SpoolDirectory);
    }

    public async Task StopDatabaseAsync() => await PgServer.StopAsync();

    public async Task StartDatabaseAsync()
    {
        PgServer = await EmbeddedPostgres.StartAsync(PgServer.DataDirectory);
        DataSource.Clear(); // the test's own connections (not the app's: it has to cope by itself)
    }

    protected override async Task OnDisposedAsync()
    {
        await PgServer.StopAsync();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}

public sealed class DatabaseRestartFaultTests(RestartableDatabaseAppFactory app) : IClassFixture<RestartableDatabaseAppFactory>
{
    [Fact]
    public async Task Events_sent_while_postgres_is_stopped_and_started_are_all_stored_exactly_once_without_the_retry_queue()
    {
        const int n = 200;
        var lead = RecoveryHelpers.UniqueAirtableId("recPGDOWN");
        var events = Enumerable.Range(0, n).Select(i => ($"{50000 + i / 4}-{i % 4}", lead, N8nNode.Event(lead, $"{50000 + i / 4}", i))).ToList();
        using var http = app.ApiClient();
        var node = new N8nNode(http, TimeSpan.FromMilliseconds(300));
        var stopped = 0;
        Task? outage = null;

        await node.SendAllAsync(events, workers: 4, pace: TimeSpan.FromMilliseconds(15), stored =>
        {
            if (stored == 50 && Interlocked.Exchange(ref stopped, 1) == 0)
                outage = Task.Run(async () =>
                {
                    await app.StopDatabaseAsync();
                    await Task.Delay(TimeSpan.FromSeconds(2));
                    await app.StartDatabaseAsync();
                });
            return Task.CompletedTask;
        });
        await outage!;

        Assert.True(!node.RetryQueue.IsEmpty, "the outage should have made the node give up on some events");
        // Everything answered 503 was kept in the server's spool and is stored when the database is back,
        // so even the events the node gave up on arrive without anyone importing its Retry_Queue.
        var spool = app.Services.GetRequiredService<IngestionSpool>();
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while ((spool.PendingFiles > 0 || await app.EventCountAsync(lead) < n) && DateTime.UtcNow < deadline) await Task.Delay(250);

        Assert.Equal(0, spool.PendingFiles);
        Assert.Equal(n, await app.EventCountAsync(lead));
        Assert.Equal(n, await app.ScalarAsync<long>("SELECT count(DISTINCT (execution_id, \"timestamp\")) FROM lead_activity_log WHERE lead_airtable_id = @a", ("a", lead)));
        const string ours = "reason = 'database_unavailable' AND payload LIKE '%' || @a || '%'";
        Assert.True(await app.ScalarAsync<long>($"SELECT count(*) FROM ingestion_failures WHERE {ours}", ("a", lead)) >= node.RetryQueue.Count);
        Assert.Equal(0, await app.ScalarAsync<long>($"SELECT count(*) FROM ingestion_failures WHERE {ours} AND status <> 'replayed'", ("a", lead)));

        // The operator imports the node's Retry_Queue anyway (the PRD's runbook): nothing is duplicated.
        var import = await app.Services.GetRequiredService<RetryQueueImport>().ImportAsync(new MemoryStream(Encoding.UTF8.GetBytes(node.RetryQueueCsv())));
        Assert.Equal((node.RetryQueue.Count, 0, 0), (import.Duplicates, import.Created, import.Rejected));
        Assert.Equal(n, await app.EventCountAsync(lead));
    }

    [Fact]
    public async Task While_the_database_is_down_requests_are_kept_and_only_those_with_a_valid_key_are_stored_afterwards()
    {
        var lead = RecoveryHelpers.UniqueAirtableId("recSPOOL");
        using var good = app.ApiClient();
        using var wrongKey = app.CreateClient();
        wrongKey.DefaultRequestHeaders.Add("x-api-key", "acrm_0123456789ab_wrong-secret-000000000000000");
        var valid = EventPayloads.Sms(lead).With("idempotencyKey", "spool-valid");
        var keyless = EventPayloads.Sms(lead).Without("executionId").Without("timestamp").With("description", "SMS sent: keyless during outage");
        var invalid = EventPayloads.Sms(lead).With("eventType", "NOT_A_TYPE").With("idempotencyKey", "spool-invalid");

        await app.StopDatabaseAsync();
        try
        {
            foreach (var (client, payload) in new[] { (good, valid), (good, keyless), (good, invalid), (wrongKey, valid.With("idempotencyKey", "spool-forged")) })
                Assert.Equal(503, (int)(await client.PostAsJsonAsync("/api/internal/log-activity", payload)).StatusCode);
            Assert.Equal(503, (int)(await good.PostAsJsonAsync("/api/internal/log-activity/batch",
                new { events = new[] { valid.With("idempotencyKey", "spool-batch-0"), valid.With("idempotencyKey", "spool-batch-1") } })).StatusCode);
            Assert.True(app.Services.GetRequiredService<IngestionSpool>().PendingFiles > 0);
        }
        finally { await app.StartDatabaseAsync(); }

        var spool = app.Services.GetRequiredService<IngestionSpool>();
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (spool.PendingFiles > 0 && DateTime.UtcNow < deadline) await Task.Delay(250);

        Assert.Equal(0, spool.PendingFiles);
        Assert.Equal(["spool-batch-0", "spool-batch-1", "spool-valid"], await Keys(lead));
        // A keyless event could collide with the caller's own retry, so it waits for an admin; the invalid one is a
        // normal dead letter; the request with a wrong key was dropped, as a 401 would have been.
        Assert.Equal("pending", await app.ScalarAsync<string>("SELECT status FROM ingestion_failures WHERE payload LIKE '%keyless during outage%'"));
        Assert.Contains("Not replayed automatically", await app.ScalarAsync<string>("SELECT errors::text FROM ingestion_failures WHERE payload LIKE '%keyless during outage%'"));
        Assert.Equal("pending", await app.ScalarAsync<string>("SELECT status FROM ingestion_failures WHERE payload LIKE '%spool-invalid%'"));
        Assert.Equal("unknown_event_type", await app.ScalarAsync<string>("SELECT reason FROM ingestion_failures WHERE payload LIKE '%spool-invalid%'"));
        Assert.Equal(0, await app.ScalarAsync<long>("SELECT count(*) FROM ingestion_failures WHERE payload LIKE '%spool-forged%'"));
        Assert.Equal(5, await app.ScalarAsync<long>("SELECT count(*) FROM ingestion_failures WHERE payload LIKE '%' || @a || '%' AND api_key_id IS NOT NULL", ("a", lead)));
    }

    private async Task<string[]> Keys(string lead)
    {
        await using var cmd = app.DataSource.CreateCommand("SELECT idempotency_key FROM lead_activity_log WHERE lead_airtable_id = @a ORDER BY 1");
        cmd.Parameters.AddWithValue("a", lead);
        var keys = new List<string>();
        await using var r = await cmd.ExecuteReaderAsync();
        while (await r.ReadAsync()) keys.Add(r.GetString(0));
        return keys.ToArray();
    }
}
