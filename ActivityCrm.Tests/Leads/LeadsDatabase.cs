using ActivityCrm.Data;
using ActivityCrm.Data.Activities;
using ActivityCrm.Data.Campaigns;
using ActivityCrm.Data.Entities;
using ActivityCrm.Data.Leads;
using ActivityCrm.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Npgsql;

namespace ActivityCrm.Tests.Leads;

/// <summary>
/// A migrated database of its own with the real Data services wired by hand, exactly as the benchmark uses
/// them (a data source, a context factory, the writer, the logger). Each test makes its own leads.
/// </summary>
public sealed class LeadsDatabase : IAsyncLifetime
{
    public TestDatabase Database { get; private set; } = null!;
    public NpgsqlDataSource DataSource { get; private set; } = null!;
    public IDbContextFactory<ActivityCrmDbContext> Contexts { get; private set; } = null!;
    public ActivityWriter Writer { get; private set; } = null!;
    public ActivityLogger Logger { get; private set; } = null!;
    public LeadActions Actions { get; private set; } = null!;
    public CampaignCatalog Campaigns { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Database = await TestDatabase.CreateAsync();
        DataSource = Database.CreateDataSource();
        var options = new DbContextOptionsBuilder<ActivityCrmDbContext>().UseNpgsql(DataSource).Options;
        Contexts = new PooledDbContextFactory<ActivityCrmDbContext>(options);
        Writer = new ActivityWriter(DataSource);
        Logger = new ActivityLogger(Writer, new ActivityTypeCache(DataSource, TimeProvider.System), TimeProvider.System);
        Actions = new LeadActions(Contexts, Logger, TimeProvider.System);
        Campaigns = new CampaignCatalog(Contexts, TimeProvider.System);
    }

    public async Task DisposeAsync()
    {
        await DataSource.DisposeAsync();
        await Database.DisposeAsync();
    }

    public Task<(Guid Id, string Email)> UserAsync(string role = Roles.ProgramManager, string? name = null) =>
        TestUsers.CreateAsync(Database.ConnectionString, role, displayName: name);

    public async Task<Guid> LeadAsync(string? first = null, string? last = null, string status = "new", string? company = null,
        Guid? owner = null, int? score = null, string? band = null, string? email = null)
    {
        var id = Guid.NewGuid();
        await ExecAsync("""
            INSERT INTO leads (id, airtable_record_id, first_name, last_name, email, company, status, owner_id, icp_score, icp_band)
            VALUES (@id, @rec, @first, @last, @email, @company, @status, @owner, @score, @band)
            """, ("id", id), ("rec", $"rec{id:N}"[..17]), ("first", first ?? "Test"), ("last", last ?? $"Lead {id:N}"[..13]),
            ("email", email ?? $"{id:N}@tests.example"), ("company", (object?)company ?? DBNull.Value), ("status", status),
            ("owner", (object?)owner ?? DBNull.Value), ("score", (object?)score ?? DBNull.Value), ("band", (object?)band ?? DBNull.Value));
        return id;
    }

    public async Task<Guid> CampaignAsync(string? name = null, bool archived = false)
    {
        var id = Guid.NewGuid();
        await ExecAsync("INSERT INTO campaigns (id, name, archived_at) VALUES (@id, @name, CASE WHEN @archived THEN now() END)",
            ("id", id), ("name", name ?? $"Campaign {id:N}"), ("archived", archived));
        return id;
    }

    /// <summary><paramref name="count"/> events for a lead, one per <paramref name="step"/> going back from <paramref name="newest"/>.</summary>
    public async Task<List<Guid>> EventsAsync(Guid leadId, int count, DateTimeOffset newest, TimeSpan step, string type = "MESSAGE_SENT",
        string category = "SMS", Func<int, string>? description = null, Guid? correlation = null)
    {
        var ids = new List<Guid>();
        foreach (var chunk in Enumerable.Range(0, count).Chunk(1000))
        {
            var items = chunk.Select(i => new NewActivity
            {
                EventType = type, EventCategory = category, LeadId = leadId, Description = description?.Invoke(i) ?? $"Event {i}",
                Source = "n8n:tests", IdempotencyKey = $"{Guid.NewGuid():N}", Timestamp = newest - step * i, CorrelationId = correlation,
            }).ToList();
            ids.AddRange((await Writer.AppendAsync(items)).Select(r => r.ActivityId));
        }
        return ids;
    }

    public Task<T> ScalarAsync<T>(string sql, params (string Name, object Value)[] args) => DataSource.ScalarAsync<T>(sql, args);

    public Task ExecAsync(string sql, params (string Name, object Value)[] args) => DataSource.ExecAsync(sql, args);

    public Task<long> ActivityCountAsync(Guid leadId) => ScalarAsync<long>("SELECT count(*) FROM lead_activity_log WHERE lead_id = @l", ("l", leadId));
}
