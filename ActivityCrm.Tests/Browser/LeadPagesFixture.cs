using System.Net.Http.Json;
using ActivityCrm.Data.Demo;
using ActivityCrm.Data.Entities;
using ActivityCrm.Tests.Infrastructure;
using Microsoft.Playwright;
using Npgsql;

namespace ActivityCrm.Tests.Browser;

/// <summary>The real app and Chromium with a small demo history, a program manager who can sign in, and
/// helpers that make leads and events through the public APIs, as n8n would.</summary>
public sealed class LeadPagesFixture : BrowserFixture
{
    public NpgsqlDataSource DataSource { get; private set; } = null!;
    public (Guid Id, string Email) Manager { get; private set; }

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        DataSource = Database.CreateDataSource();
        Manager = await TestUsers.CreateAsync(Database.ConnectionString, Roles.ProgramManager, displayName: "Pat Manager");
        await DemoData.SeedAsync(DataSource, new DemoDataOptions(Leads: 40, Events: 4_000, OrphanLeads: 1), TimeProvider.System);
    }

    public override async Task DisposeAsync()
    {
        await DataSource.DisposeAsync();
        await base.DisposeAsync();
    }

    public Task<IPage> ManagerPageAsync(string path, int width = 1400, int height = 900) =>
        SignedInPageAsync(path, Manager.Email, TestUsers.Password, width, height);

    public HttpClient Api()
    {
        var http = new HttpClient { BaseAddress = new Uri(App.BaseUrl) };
        http.DefaultRequestHeaders.Add("x-api-key", AppFactory.ApiKey);
        return http;
    }

    public async Task<(Guid Id, string AirtableId)> LeadAsync(string first, string last, string? company = null)
    {
        var airtableId = $"rec{Guid.NewGuid():N}"[..17];
        using var http = Api();
        var response = await http.PutAsJsonAsync($"/api/internal/leads/{airtableId}",
            new { firstName = first, lastName = last, email = $"{airtableId}@tests.example", company = company ?? "Browser Tests Inc", status = "new" });
        response.EnsureSuccessStatusCode();
        return ((await response.Content.ReadFromJsonAsync<LeadBody>())!.LeadId, airtableId);
    }

    /// <summary><paramref name="count"/> SMS events, a minute apart going back from an hour ago ("message 0" is the newest).</summary>
    public async Task EventsAsync(string airtableId, int count)
    {
        using var http = Api();
        var newest = DateTimeOffset.UtcNow.AddHours(-1);
        foreach (var chunk in Enumerable.Range(0, count).Chunk(500))
        {
            var response = await http.PostAsJsonAsync("/api/internal/log-activity/batch", new
            {
                events = chunk.Select(i => EventPayloads.Sms(airtableId, $"message {i}").With("description", $"SMS sent: message {i}")
                    .With("timestamp", newest.AddMinutes(-i).ToString("O")).With("idempotencyKey", $"{airtableId}-{i}")),
            });
            response.EnsureSuccessStatusCode();
        }
    }

    public Task<T> ScalarAsync<T>(string sql, params (string Name, object Value)[] args) => DataSource.ScalarAsync<T>(sql, args);

    public Task ExecAsync(string sql, params (string Name, object Value)[] args) => DataSource.ExecAsync(sql, args);

    private sealed record LeadBody(Guid LeadId);
}
