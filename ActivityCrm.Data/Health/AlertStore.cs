using ActivityCrm.Data.Entities;
using Npgsql;

namespace ActivityCrm.Data.Health;

/// <summary>
/// Alert incidents in alert_state. Every state change is a single conditional statement (open only if none is
/// open for the key, resolve only if still open), so two instances racing cannot open or close one twice.
/// </summary>
public sealed class AlertStore(NpgsqlDataSource dataSource)
{
    private const string Columns = """
        id, key, title, detail, opened_at, last_seen_at, clear_since, resolved_at, resolved_detail, open_sent_at,
        resolve_sent_at, send_failures, delivery, instance
        """;

    public Task<List<AlertIncident>> OpenAsync(CancellationToken ct = default) =>
        QueryAsync($"SELECT {Columns} FROM alert_state WHERE resolved_at IS NULL ORDER BY opened_at", ct);

    public Task<List<AlertIncident>> RecentAsync(int limit, CancellationToken ct = default) =>
        QueryAsync($"SELECT {Columns} FROM alert_state ORDER BY resolved_at IS NULL DESC, opened_at DESC LIMIT {Math.Clamp(limit, 1, 500)}", ct);

    /// <summary>Messages still to deliver: openings not yet sent, and resolutions not yet sent (oldest first).</summary>
    public Task<List<AlertIncident>> UndeliveredAsync(DateTimeOffset openedSince, CancellationToken ct = default) =>
        QueryAsync($"""
            SELECT {Columns} FROM alert_state
            WHERE opened_at > @since AND (open_sent_at IS NULL OR (resolved_at IS NOT NULL AND resolve_sent_at IS NULL))
            ORDER BY opened_at
            """, ct, ("since", openedSince));

    /// <summary>Opens an incident for the key unless one is open already; true when this call opened it.</summary>
    public async Task<bool> TryOpenAsync(string key, string title, string detail, string instance, DateTimeOffset now, CancellationToken ct = default)
    {
        await using var cmd = dataSource.CreateCommand("""
            INSERT INTO alert_state (key, title, detail, opened_at, last_seen_at, instance, send_failures)
            VALUES (@key, @title, @detail, @now, @now, @instance, 0)
            ON CONFLICT (key) WHERE resolved_at IS NULL DO NOTHING
            RETURNING id
            """);
        cmd.Parameters.AddWithValue("key", key);
        cmd.Parameters.AddWithValue("title", Clip(title, 300));
        cmd.Parameters.AddWithValue("detail", detail);
        cmd.Parameters.AddWithValue("now", now);
        cmd.Parameters.AddWithValue("instance", Clip(instance, 200));
        return await cmd.ExecuteScalarAsync(ct) is Guid;
    }

    /// <summary>The condition is still bad: refresh the numbers and forget any "good since".</summary>
    public Task StillActiveAsync(Guid id, string detail, DateTimeOffset now, CancellationToken ct = default) =>
        ExecAsync("UPDATE alert_state SET detail = @detail, last_seen_at = @now, clear_since = NULL WHERE id = @id AND resolved_at IS NULL",
            ct, ("id", id), ("detail", detail), ("now", now));

    /// <summary>The condition looks good: remember since when (kept from the first good check).</summary>
    public async Task<DateTimeOffset> ClearingAsync(Guid id, DateTimeOffset now, CancellationToken ct = default)
    {
        await using var cmd = dataSource.CreateCommand(
            "UPDATE alert_state SET clear_since = coalesce(clear_since, @now) WHERE id = @id RETURNING clear_since");
        cmd.Parameters.AddWithValue("id", id);
        cmd.Parameters.AddWithValue("now", now);
        return await cmd.ExecuteScalarAsync(ct) is DateTime t ? new DateTimeOffset(t, TimeSpan.Zero) : now;
    }

    /// <summary>Resolves the incident if it is still open; true when this call resolved it.</summary>
    public async Task<bool> ResolveAsync(Guid id, string detail, DateTimeOffset now, CancellationToken ct = default)
    {
        await using var cmd = dataSource.CreateCommand(
            "UPDATE alert_state SET resolved_at = @now, resolved_detail = @detail WHERE id = @id AND resolved_at IS NULL RETURNING id");
        cmd.Parameters.AddWithValue("id", id);
        cmd.Parameters.AddWithValue("detail", detail);
        cmd.Parameters.AddWithValue("now", now);
        return await cmd.ExecuteScalarAsync(ct) is Guid;
    }

    public Task MarkDeliveredAsync(Guid id, bool resolution, string outcome, DateTimeOffset now, CancellationToken ct = default) =>
        ExecAsync(resolution
                ? "UPDATE alert_state SET resolve_sent_at = @now, delivery = @outcome WHERE id = @id"
                : "UPDATE alert_state SET open_sent_at = @now, delivery = @outcome WHERE id = @id",
            ct, ("id", id), ("outcome", Clip(outcome, 500)), ("now", now));

    public Task MarkFailedAsync(Guid id, string error, CancellationToken ct = default) =>
        ExecAsync("UPDATE alert_state SET send_failures = send_failures + 1, delivery = @error WHERE id = @id",
            ct, ("id", id), ("error", Clip(error, 500)));

    /// <summary>Writes a finished incident seen while the database was away (a database outage), for the history.</summary>
    public Task RecordAsync(AlertIncident i, CancellationToken ct = default) =>
        ExecAsync("""
            INSERT INTO alert_state (key, title, detail, opened_at, last_seen_at, resolved_at, resolved_detail, open_sent_at,
                                     resolve_sent_at, send_failures, delivery, instance)
            VALUES (@key, @title, @detail, @opened, @seen, @resolved, @rdetail, @osent, @rsent, @failures, @delivery, @instance)
            """, ct, ("key", i.Key), ("title", Clip(i.Title, 300)), ("detail", i.Detail), ("opened", i.OpenedAt), ("seen", i.LastSeenAt),
            ("resolved", (object?)i.ResolvedAt ?? DBNull.Value), ("rdetail", (object?)i.ResolvedDetail ?? DBNull.Value),
            ("osent", (object?)i.OpenSentAt ?? DBNull.Value), ("rsent", (object?)i.ResolveSentAt ?? DBNull.Value),
            ("failures", i.SendFailures), ("delivery", (object?)i.Delivery ?? DBNull.Value), ("instance", (object?)i.Instance ?? DBNull.Value));

    private async Task<List<AlertIncident>> QueryAsync(string sql, CancellationToken ct, params (string Name, object Value)[] args)
    {
        await using var cmd = dataSource.CreateCommand(sql);
        foreach (var (n, v) in args) cmd.Parameters.AddWithValue(n, v);
        var list = new List<AlertIncident>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
            list.Add(new AlertIncident
            {
                Id = r.GetGuid(0), Key = r.GetString(1), Title = r.GetString(2), Detail = r.GetString(3),
                OpenedAt = r.GetFieldValue<DateTimeOffset>(4), LastSeenAt = r.GetFieldValue<DateTimeOffset>(5), ClearSince = T(r, 6),
                ResolvedAt = T(r, 7), ResolvedDetail = r.IsDBNull(8) ? null : r.GetString(8), OpenSentAt = T(r, 9), ResolveSentAt = T(r, 10),
                SendFailures = r.GetInt32(11), Delivery = r.IsDBNull(12) ? null : r.GetString(12), Instance = r.IsDBNull(13) ? null : r.GetString(13),
            });
        return list;
    }

    private async Task ExecAsync(string sql, CancellationToken ct, params (string Name, object Value)[] args)
    {
        await using var cmd = dataSource.CreateCommand(sql);
        foreach (var (n, v) in args) cmd.Parameters.AddWithValue(n, v);
        await cmd.ExecuteNonQueryAsync(ct);
    }

    private static DateTimeOffset? T(NpgsqlDataReader r, int i) => r.IsDBNull(i) ? null : r.GetFieldValue<DateTimeOffset>(i);
    private static string Clip(string s, int max) => s.Length <= max ? s : s[..max];
}
