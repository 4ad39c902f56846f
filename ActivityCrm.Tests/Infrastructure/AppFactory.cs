using System.Net.Http.Json;
using ActivityCrm.Data.Demo;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Npgsql;

namespace ActivityCrm.Tests.Infrastructure;

/// <summary>
/// The real app (real Program, real middleware, real PostgreSQL) in-process through WebApplicationFactory,
/// on a database of its own. Use as an xunit class fixture.
/// </summary>
public class AppFactory : WebApplicationFactory<Program>, IAsyncLifetime
{
    public const string ApiKey = "acrm_0123456789ab_test-key-for-the-suite-000000";
    public const string AdminEmail = "admin@tests.local";
    public const string AdminPassword = "Correct-Horse-42";

    public TestDatabase Database { get; private set; } = null!;
    public NpgsqlDataSource DataSource { get; private set; } = null!;

    /// <summary>Override to start on an unmigrated, empty database.</summary>
    protected virtual bool EmptyDatabase => false;

    /// <summary>The database the app uses; override to point at a server of the test's own.</summary>
    protected virtual string ConnectionString => Database.ConnectionString;

    public virtual async Task InitializeAsync()
    {
        Database = await TestDatabase.CreateAsync(EmptyDatabase);
        DataSource = NpgsqlDataSource.Create(ConnectionString);
        _ = Server; // start the host now: migrations and bootstrap run here, not inside the first test
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        // UseSetting, not ConfigureAppConfiguration: Program reads these before Build().
        builder.UseEnvironment("Testing");
        builder.UseSetting("ConnectionStrings:ActivityCrm", ConnectionString);
        builder.UseSetting("Bootstrap:ApiKey", ApiKey);
        builder.UseSetting("Bootstrap:AdminEmail", AdminEmail);
        builder.UseSetting("Bootstrap:AdminPassword", AdminPassword);
        builder.UseSetting("Logging:LogLevel:Default", "Warning");
    }

    public HttpClient ApiClient()
    {
        var client = CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        client.DefaultRequestHeaders.Add("x-api-key", ApiKey);
        return client;
    }

    public Task<T> ScalarAsync<T>(string sql, params (string Name, object Value)[] args) => DataSource.ScalarAsync<T>(sql, args);

    public Task ExecAsync(string sql, params (string Name, object Value)[] args) => DataSource.ExecAsync(sql, args);

    /// <summary>A lead of its own for one test (unique Airtable id).</summary>
    public async Task<(Guid Id, string AirtableId)> CreateLeadAsync(string? first = null, string? last = null, string? email = null)
    {
        var airtableId = $"rec{Guid.NewGuid():N}"[..17];
        using var client = ApiClient();
        var response = await client.PutAsJsonAsync($"/api/internal/leads/{airtableId}",
            new { firstName = first ?? "Test", lastName = last ?? "Lead", email = email ?? $"{airtableId}@tests.example" });
        response.EnsureSuccessStatusCode();
        var body = await response.Content.ReadFromJsonAsync<LeadBody>();
        return (body!.LeadId, airtableId);
    }

    public Task SeedDemoAsync(DemoDataOptions options) => DemoData.SeedAsync(DataSource, options, TimeProvider.System);

    private sealed record LeadBody(Guid LeadId);

    async Task IAsyncLifetime.DisposeAsync()
    {
        await base.DisposeAsync();
        await DataSource.DisposeAsync();
        await Database.DisposeAsync();
        await OnDisposedAsync();
    }

    protected virtual Task OnDisposedAsync() => Task.CompletedTask;
}
