using Npgsql;

namespace ActivityCrm.Tests.Infrastructure;

/// <summary>One-line SQL for test setup and checks.</summary>
public static class DataSourceSql
{
    public static async Task<T> ScalarAsync<T>(this NpgsqlDataSource dataSource, string sql, params (string Name, object Value)[] args)
    {
        await using var cmd = dataSource.CreateCommand(sql);
        foreach (var (n, v) in args) cmd.Parameters.AddWithValue(n, v);
        var result = await cmd.ExecuteScalarAsync();
        return (T)Convert.ChangeType(result!, typeof(T));
    }

    public static async Task ExecAsync(this NpgsqlDataSource dataSource, string sql, params (string Name, object Value)[] args)
    {
        await using var cmd = dataSource.CreateCommand(sql);
        foreach (var (n, v) in args) cmd.Parameters.AddWithValue(n, v);
        await cmd.ExecuteNonQueryAsync();
    }
}
