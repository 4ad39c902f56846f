using ActivityCrm.Data;
using ActivityCrm.Data.Postgres;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace ActivityCrm.Tests.Infrastructure;

/// <summary>
/// One real PostgreSQL server for the whole test run (the app's own launcher, durability off for speed),
/// with a template database migrated once by the real migrations. Each test class clones the template
/// (CREATE DATABASE ... TEMPLATE), which takes a fraction of a second and isolates it completely.
/// </summary>
public static class TestPostgres
{
    public const string Template = "activitycrm_template";
    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static EmbeddedPostgres? _server;

    public static async Task<EmbeddedPostgres> ServerAsync()
    {
        if (_server is not null) return _server;
        await Gate.WaitAsync();
        try
        {
            if (_server is not null) return _server;
            var dir = Path.Combine(Path.GetTempPath(), $"activitycrm-tests-{Environment.ProcessId}");
            var server = await EmbeddedPostgres.StartAsync(dir, new Dictionary<string, string>
            {
                ["fsync"] = "off", ["synchronous_commit"] = "off", ["full_page_writes"] = "off", ["max_connections"] = "300",
            });
            AppDomain.CurrentDomain.ProcessExit += (_, _) =>
            {
                server.StopAsync().GetAwaiter().GetResult();
                try { Directory.Delete(dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            };
            await server.EnsureDatabaseAsync(Template);
            var options = new DbContextOptionsBuilder<ActivityCrmDbContext>().UseNpgsql(server.ConnectionString(Template) + ";Pooling=false").Options;
            await using (var db = new ActivityCrmDbContext(options))
                await db.Database.MigrateAsync();
            _server = server;
            return server;
        }
        finally { Gate.Release(); }
    }
}

/// <summary>A database of its own for one test class, cloned from the migrated template.</summary>
public sealed class TestDatabase : IAsyncDisposable
{
    private TestDatabase(EmbeddedPostgres server, string name)
    {
        Server = server;
        Name = name;
        ConnectionString = server.ConnectionString(name);
    }

    public EmbeddedPostgres Server { get; }
    public string Name { get; }
    public string ConnectionString { get; }

    public static async Task<TestDatabase> CreateAsync(bool empty = false)
    {
        var server = await TestPostgres.ServerAsync();
        var name = $"t_{Guid.NewGuid():N}";
        await using var conn = new NpgsqlConnection(server.ConnectionString("postgres") + ";Pooling=false");
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand(empty ? $"CREATE DATABASE {name}" : $"CREATE DATABASE {name} TEMPLATE {TestPostgres.Template}", conn);
        await cmd.ExecuteNonQueryAsync();
        return new TestDatabase(server, name);
    }

    public NpgsqlDataSource CreateDataSource() => NpgsqlDataSource.Create(ConnectionString);

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await using var conn = new NpgsqlConnection(Server.ConnectionString("postgres") + ";Pooling=false");
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand($"DROP DATABASE IF EXISTS {Name} WITH (FORCE)", conn);
        await cmd.ExecuteNonQueryAsync();
    }
}
