using System.Diagnostics;
using Npgsql;

namespace ActivityCrm.Data.Health;

public sealed record DatabaseStatus(bool Reachable, TimeSpan RoundTrip, string? ServerVersion, long? SizeBytes,
    int? Connections, int? MaxConnections, string? Error, DateTimeOffset CheckedAt);

/// <summary>Is the database reachable from this instance, and how full is it (size, connections in use vs allowed)?</summary>
public static class DatabaseProbe
{
    public static async Task<DatabaseStatus> CheckAsync(NpgsqlDataSource dataSource, TimeProvider clock, TimeSpan timeout,
        CancellationToken ct = default)
    {
        var started = Stopwatch.GetTimestamp();
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(timeout);
        try
        {
            await using var cmd = dataSource.CreateCommand("""
                SELECT current_setting('server_version'), pg_database_size(current_database()),
                       (SELECT count(*)::int FROM pg_stat_activity WHERE backend_type = 'client backend'),
                       current_setting('max_connections')::int
                """);
            await using var r = await cmd.ExecuteReaderAsync(cts.Token);
            await r.ReadAsync(cts.Token);
            return new DatabaseStatus(true, Stopwatch.GetElapsedTime(started), r.GetString(0), r.GetInt64(1), r.GetInt32(2), r.GetInt32(3),
                null, clock.GetUtcNow());
        }
        catch (Exception e) when (e is NpgsqlException or OperationCanceledException or TimeoutException or System.Net.Sockets.SocketException
                                   && !ct.IsCancellationRequested)
        {
            // Pooled connections to a server that went away are dead; drop the idle ones so the next check (and the
            // next request) connects afresh instead of failing once more on each of them after the server is back.
            dataSource.Clear();
            var message = e is OperationCanceledException ? $"No answer within {timeout.TotalSeconds:N0} s" : e.InnerException is { } inner ? $"{e.Message} ({inner.Message})" : e.Message;
            return new DatabaseStatus(false, Stopwatch.GetElapsedTime(started), null, null, null, null, message, clock.GetUtcNow());
        }
    }
}
