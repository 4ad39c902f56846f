using ActivityCrm.Data.Activities;
using ActivityCrm.Tests.Infrastructure;
using Npgsql;

namespace ActivityCrm.Tests.Health;

/// <summary>A database of its own (no app) for the health queries, and builders for hand-made event histories.</summary>
public sealed class HealthDatabase : IAsyncLifetime
{
    public TestDatabase Database { get; private set; } = null!;
    public NpgsqlDataSource DataSource { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Database = await TestDatabase.CreateAsync();
        DataSource = Database.CreateDataSource();
    }

    public async Task DisposeAsync()
    {
        await DataSource.DisposeAsync();
        await Database.DisposeAsync();
    }
}

public static class HealthTestData
{
    /// <summary>A source name no other test uses.</summary>
    public static string Source(string prefix = "n8n:") => $"{prefix}test-{Guid.NewGuid():N}"[..(prefix.Length + 17)];

    public static NewActivity Event(string source, DateTimeOffset at, string type = "INBOUND_REPLY", string? airtableId = null,
        Guid? leadId = null, Guid? correlationId = null, string? metadata = null) => new()
    {
        EventType = type,
        EventCategory = EventTypeCatalog.BuiltIn.First(t => t.Name == type).Category,
        LeadId = leadId,
        LeadAirtableId = leadId is null ? airtableId ?? "recHEALTH" : airtableId,
        Description = $"{type} at {at:O}",
        Metadata = metadata,
        Source = source,
        Timestamp = at,
        CorrelationId = correlationId,
        IdempotencyKey = Guid.NewGuid().ToString("N"),
    };

    /// <summary>Events every <paramref name="every"/> from <paramref name="from"/> up to (not including) <paramref name="until"/>.</summary>
    public static IEnumerable<NewActivity> Steady(string source, DateTimeOffset from, DateTimeOffset until, TimeSpan every)
    {
        for (var t = from; t < until; t += every) yield return Event(source, t);
    }

    public static async Task AppendAsync(this NpgsqlDataSource dataSource, IEnumerable<NewActivity> events)
    {
        var writer = new ActivityWriter(dataSource);
        foreach (var chunk in events.Chunk(1000))
        {
            var results = await writer.AppendAsync(chunk);
            Assert.All(results, r => Assert.True(r.Stored, r.Status.ToString()));
        }
    }

    public static async Task<Guid> AppendOneAsync(this NpgsqlDataSource dataSource, NewActivity activity)
    {
        var result = await new ActivityWriter(dataSource).AppendAsync(activity);
        Assert.True(result.Stored, result.Status.ToString());
        return result.ActivityId;
    }

    public static async Task<Guid> LeadAsync(this NpgsqlDataSource dataSource)
    {
        await using var cmd = dataSource.CreateCommand("INSERT INTO leads (airtable_record_id, first_name, last_name, status) VALUES (@a, 'Health', 'Lead', 'new') RETURNING id");
        cmd.Parameters.AddWithValue("a", $"rec{Guid.NewGuid():N}"[..17]);
        return (Guid)(await cmd.ExecuteScalarAsync())!;
    }

    public static async Task DeadLetterAsync(this NpgsqlDataSource dataSource, string? source, DateTimeOffset receivedAt, string status = "pending")
    {
        await using var cmd = dataSource.CreateCommand("""
            INSERT INTO ingestion_failures (source, event_type, reason, payload, status, received_at)
            VALUES (@source, 'NOT_A_TYPE', 'unknown_event_type', '{}', @status, @at)
            """);
        cmd.Parameters.AddWithValue("source", (object?)source ?? DBNull.Value);
        cmd.Parameters.AddWithValue("status", status);
        cmd.Parameters.AddWithValue("at", receivedAt);
        await cmd.ExecuteNonQueryAsync();
    }
}
