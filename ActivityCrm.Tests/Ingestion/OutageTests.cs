using System.Net;
using System.Net.Http.Json;
using ActivityCrm.Data;
using ActivityCrm.Data.Postgres;
using ActivityCrm.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace ActivityCrm.Tests.Ingestion;

/// <summary>The app on a PostgreSQL server of its own, which the test stops and starts.</summary>
public class OwnServerAppFactory : AppFactory
{
    private EmbeddedPostgres _server = null!;
    private readonly string _dir = Path.Combine(Path.GetTempPath(), $"activitycrm-outage-{Guid.NewGuid():N}");

    public EmbeddedPostgres PgServer => _server;
    protected override string ConnectionString => _server.ConnectionString("activitycrm") + ";Timeout=3;Command Timeout=5";

    public override async Task InitializeAsync()
    {
        _server = await EmbeddedPostgres.StartAsync(_dir, new Dictionary<string, string> { ["fsync"] = "off" });
        await _server.EnsureDatabaseAsync("activitycrm");
        await base.InitializeAsync();
    }

    protected override async Task OnDisposedAsync()
    {
        await _server.StopAsync();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}

public sealed class OutageTests(OwnServerAppFactory app) : IClassFixture<OwnServerAppFactory>
{
    [Fact]
    public async Task While_the_database_is_down_ingestion_answers_503_with_retry_after_and_recovers_after()
    {
        using var client = app.ApiClient();
        var payload = EventPayloads.Sms("recOUTAGE01").With("idempotencyKey", "outage-1");
        Assert.Equal(HttpStatusCode.Created, (await client.PostAsJsonAsync("/api/internal/log-activity", payload)).StatusCode);

        await app.PgServer.StopAsync();
        try
        {
            var down = await client.PostAsJsonAsync("/api/internal/log-activity", payload.With("idempotencyKey", "outage-2"));
            Assert.Equal(HttpStatusCode.ServiceUnavailable, down.StatusCode);
            Assert.Equal("application/problem+json", down.Content.Headers.ContentType?.MediaType);
            Assert.True(down.Headers.RetryAfter?.Delta > TimeSpan.Zero);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, (await app.CreateClient().GetAsync("/readyz")).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await app.CreateClient().GetAsync("/healthz")).StatusCode);
        }
        finally
        {
            await EmbeddedPostgres.StartAsync(app.PgServer.DataDirectory);
        }

        // The client's retry after the outage is stored once.
        var retried = await client.PostAsJsonAsync("/api/internal/log-activity", payload.With("idempotencyKey", "outage-2"));
        Assert.Equal(HttpStatusCode.Created, retried.StatusCode);
        Assert.Equal(2, await app.ScalarAsync<long>("SELECT count(*) FROM lead_activity_log"));
    }
}

/// <summary>Start-up on a database that has never seen the app: migrations and bootstrap run.</summary>
public sealed class EmptyDatabaseAppFactory : AppFactory
{
    protected override bool EmptyDatabase => true;
}

public sealed class StartupTests(EmptyDatabaseAppFactory app) : IClassFixture<EmptyDatabaseAppFactory>
{
    [Fact]
    public async Task The_app_migrates_an_empty_database_and_bootstraps_the_admin_roles_types_and_key()
    {
        await using var db = new ActivityCrmDbContext(new DbContextOptionsBuilder<ActivityCrmDbContext>().UseNpgsql(app.Database.ConnectionString).Options);
        Assert.Empty(await db.Database.GetPendingMigrationsAsync());
        Assert.Equal(ActivityCrm.Data.Activities.EventTypeCatalog.BuiltIn.Count, await db.ActivityTypes.CountAsync());
        Assert.True(await db.ActivityTypes.AnyAsync(t => t.Name == "NURTURE_STEP_EXECUTED" && t.Category == "NURTURE"));
        Assert.True(await db.ActivityTypes.AnyAsync(t => t.Name == "LEAD_REDACTED" && t.Category == "SYSTEM"));
        Assert.Equal(4, await db.Roles.CountAsync());
        Assert.True(await db.Users.AnyAsync(u => u.Email == AppFactory.AdminEmail));
        Assert.Equal(0, await db.Leads.CountAsync()); // demo data only on the embedded database or when asked

        using var client = app.ApiClient();
        var response = await client.PostAsJsonAsync("/api/internal/log-activity", EventPayloads.Sms("recFIRST"));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }
}
