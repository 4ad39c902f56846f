using Npgsql;

namespace ActivityCrm.Data.Postgres;

public sealed record ActivityPartition(string Name, string Bounds, long EstimatedRows);

/// <summary>
/// Monthly range partitioning of lead_activity_log on "timestamp", as an option (docs/scaling.md). The work
/// is done by SQL functions the Scale_IdempotencyKeysAndPartitioning migration defines, so a DBA can run
/// the same from psql: <c>SELECT activitycrm_partition_activity_log();</c>.
/// </summary>
public static class ActivityPartitioning
{
    public const int MonthsAhead = 3;

    public static async Task<bool> IsPartitionedAsync(NpgsqlDataSource dataSource, CancellationToken ct = default)
    {
        await using var cmd = dataSource.CreateCommand(
            "SELECT EXISTS (SELECT 1 FROM pg_partitioned_table WHERE partrelid = 'lead_activity_log'::regclass)");
        return (bool)(await cmd.ExecuteScalarAsync(ct))!;
    }

    /// <summary>Converts the table (a no-op when already partitioned). Holds an exclusive lock while the rows
    /// move: run it in a maintenance window on a large table.</summary>
    public static async Task<string> EnableAsync(NpgsqlDataSource dataSource, CancellationToken ct = default)
    {
        await using var cmd = dataSource.CreateCommand($"SELECT activitycrm_partition_activity_log(24, {MonthsAhead})");
        cmd.CommandTimeout = 0;
        var result = (string)(await cmd.ExecuteScalarAsync(ct))!;
        // Plans cached by pooled connections refer to the old table.
        NpgsqlConnection.ClearAllPools();
        return result;
    }

    /// <summary>Creates the coming months' partitions; returns how many were created (0 when unpartitioned).</summary>
    public static async Task<int> EnsureFuturePartitionsAsync(NpgsqlDataSource dataSource, CancellationToken ct = default)
    {
        await using var cmd = dataSource.CreateCommand($"SELECT activitycrm_ensure_activity_partitions({MonthsAhead})");
        return (int)(await cmd.ExecuteScalarAsync(ct))!;
    }

    public static async Task<List<ActivityPartition>> ListAsync(NpgsqlDataSource dataSource, CancellationToken ct = default)
    {
        await using var cmd = dataSource.CreateCommand("""
            SELECT c.relname, pg_get_expr(c.relpartbound, c.oid), greatest(c.reltuples, 0)::bigint
            FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
            WHERE i.inhparent = 'lead_activity_log'::regclass
            ORDER BY c.relname
            """);
        var list = new List<ActivityPartition>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct)) list.Add(new(r.GetString(0), r.GetString(1), r.GetInt64(2)));
        return list;
    }
}
