using System.Diagnostics;
using ActivityCrm.Data;
using ActivityCrm.Data.Demo;
using ActivityCrm.Data.Postgres;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace ActivityCrm.Bench;

/// <summary>The benchmark's own PostgreSQL (the app's launcher), migrated with the real migrations and
/// bulk-loaded with realistic, skewed demo data. Kept between runs in the data folder.</summary>
public sealed class BenchDatabase
{
    public const string Database = "activitycrm_bench";
    public required EmbeddedPostgres Server { get; init; }
    public string ConnectionString => Server.ConnectionString(Database) + ";Maximum Pool Size=200;Command Timeout=600";

    public static async Task<BenchDatabase> StartAsync(string dataDir)
    {
        var server = await EmbeddedPostgres.StartAsync(dataDir, new Dictionary<string, string>
        {
            // Sized for a 24 GiB machine; durability stays on (fsync, synchronous_commit) so the figures are honest.
            ["shared_buffers"] = "4GB", ["effective_cache_size"] = "12GB", ["work_mem"] = "32MB",
            ["maintenance_work_mem"] = "2GB", ["max_wal_size"] = "8GB", ["max_connections"] = "300",
            ["max_parallel_maintenance_workers"] = "2", ["random_page_cost"] = "1.1",
        });
        await server.EnsureDatabaseAsync(Database);
        var db = new BenchDatabase { Server = server };
        await using var ctx = new ActivityCrmDbContext(new DbContextOptionsBuilder<ActivityCrmDbContext>().UseNpgsql(db.ConnectionString).Options);
        await ctx.Database.MigrateAsync();
        NpgsqlConnection.ClearAllPools();
        return db;
    }

    public async Task<long> CountEventsAsync()
    {
        await using var ds = NpgsqlDataSource.Create(ConnectionString);
        await using var cmd = ds.CreateCommand("SELECT count(*) FROM lead_activity_log");
        return (long)(await cmd.ExecuteScalarAsync())!;
    }

    /// <summary>Loads the events with secondary indexes and foreign keys dropped, then rebuilds them
    /// (how any bulk load into PostgreSQL is done; the definitions are read back from the catalog).</summary>
    public async Task<TimeSpan> LoadAsync(DemoDataOptions options)
    {
        await using var ds = NpgsqlDataSource.Create(ConnectionString);
        var sw = Stopwatch.StartNew();
        // The event table keeps its primary key; the key table loses even its own (rebuilt in one sort after).
        var indexes = await ListAsync(ds, """
            SELECT indexname, indexdef FROM pg_indexes i
            WHERE (tablename = 'lead_activity_log' AND indexname <> 'pk_lead_activity_log')
               OR (tablename = 'activity_idempotency_keys' AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname))
            """);
        var fks = await ListAsync(ds, """
            SELECT conrelid::regclass || ' ' || conname, pg_get_constraintdef(oid) FROM pg_constraint
            WHERE (conrelid = 'lead_activity_log'::regclass AND contype = 'f')
               OR (conrelid = 'activity_idempotency_keys'::regclass AND contype = 'p')
            """);
        foreach (var (name, _) in fks) await ExecAsync(ds, $"ALTER TABLE {name.Split(' ')[0]} DROP CONSTRAINT {name.Split(' ')[1]}");
        foreach (var (name, _) in indexes) await ExecAsync(ds, $"DROP INDEX {name}");

        var lastReport = Stopwatch.StartNew();
        var progress = new Progress<long>(n =>
        {
            if (lastReport.Elapsed < TimeSpan.FromSeconds(15)) return;
            lastReport.Restart();
            Console.WriteLine($"  loaded {n:N0} events ({n / sw.Elapsed.TotalSeconds:N0}/s)");
        });
        var stats = await DemoData.SeedAsync(ds, options with { }, TimeProvider.System, progress);
        Console.WriteLine($"  copied {stats.Events:N0} events in {sw.Elapsed.TotalSeconds:N0} s; rebuilding {indexes.Count} indexes and {fks.Count} foreign keys ...");
        foreach (var (name, def) in indexes)
        {
            var isw = Stopwatch.StartNew();
            await ExecAsync(ds, def);
            Console.WriteLine($"    {name}: {isw.Elapsed.TotalSeconds:N0} s");
        }
        foreach (var (name, def) in fks) await ExecAsync(ds, $"ALTER TABLE {name.Split(' ')[0]} ADD CONSTRAINT {name.Split(' ')[1]} {def}");
        await ExecAsync(ds, "VACUUM (ANALYZE) lead_activity_log");
        await ExecAsync(ds, "VACUUM (ANALYZE) activity_idempotency_keys");
        await ExecAsync(ds, "VACUUM (ANALYZE) leads");
        return sw.Elapsed;
    }

    private static async Task<List<(string, string)>> ListAsync(NpgsqlDataSource ds, string sql)
    {
        var list = new List<(string, string)>();
        await using var cmd = ds.CreateCommand(sql);
        await using var r = await cmd.ExecuteReaderAsync();
        while (await r.ReadAsync()) list.Add((r.GetString(0), r.GetString(1)));
        return list;
    }

    private static async Task ExecAsync(NpgsqlDataSource ds, string sql)
    {
        await using var cmd = ds.CreateCommand(sql);
        cmd.CommandTimeout = 0;
        await cmd.ExecuteNonQueryAsync();
    }
}
