using Npgsql;

namespace ActivityCrm.Data.Health;

/// <summary>What kind of writer a source is, from its prefix (n8n:workflow, ui:action, backfill:name).</summary>
public enum SourceKind { N8n, Ui, Backfill, Other }

/// <summary>One source's recent traffic, rejections and dead letters.</summary>
/// <param name="Hourly">Events per hour over the last day, counted back from the moment of the report: [0] is the
/// last 60 minutes, [1] the 60 before, ... [23].</param>
/// <param name="SameHourBefore">Events in the same 60 minutes on previous days: [0] one day earlier, [1] two, ...</param>
public sealed record SourceHealth(string Source, int[] Hourly, int[] SameHourBefore, DateTimeOffset? LastEventAt, long Rejected24h,
    long DeadLetters, DateTimeOffset? LastRejectedAt)
{
    public SourceKind Kind => KindOf(Source);
    public int LastHour => Hourly.Length > 0 ? Hourly[0] : 0;
    public int Last24h => Hourly.Sum();

    public static SourceKind KindOf(string source) => source switch
    {
        _ when source.StartsWith("n8n:", StringComparison.Ordinal) => SourceKind.N8n,
        _ when source.StartsWith("ui:", StringComparison.Ordinal) => SourceKind.Ui,
        _ when source.StartsWith("backfill:", StringComparison.Ordinal) => SourceKind.Backfill,
        _ => SourceKind.Other,
    };

    /// <summary>Rejections that carried no readable source (e.g. a body that is not JSON).</summary>
    public const string UnknownSource = "(unknown source)";
}

/// <summary>
/// Per-source counts for the health page and the alerts. Built to stay cheap on a table of tens of millions of
/// rows: the distinct sources come from a skip scan of ix_activity_source_time (one index descent per source),
/// and each source's counts are index-only range scans of the same index over just the windows needed (the last
/// 24 hours, and the same hour on each baseline day: 31 hours of events for a 7-day baseline, not 169), so the
/// cost follows the traffic in those windows and the number of sources, never the size of the table.
/// Measured on 10.8 million events, 784,000 of them in the last week, 16 sources: about 150 ms (a whole week's
/// hourly GROUP BY over the same index took 700 ms, 2.3 s with extract(), plus JIT).
/// </summary>
public static class SourceActivity
{
    /// <param name="baselineDays">How many previous days to count the same hour on.</param>
    public static async Task<IReadOnlyList<SourceHealth>> ReadAsync(NpgsqlDataSource dataSource, DateTimeOffset now, int baselineDays,
        CancellationToken ct = default)
    {
        baselineDays = Math.Clamp(baselineDays, 1, 60);
        var counts = new Dictionary<string, (int[] Hourly, int[] Before, DateTimeOffset? Last)>(StringComparer.Ordinal);

        await WithoutJit.RunAsync(dataSource, async conn =>
        {
            await using var cmd = new NpgsqlCommand("""
                WITH RECURSIVE sources AS (
                    (SELECT source FROM lead_activity_log ORDER BY source LIMIT 1)
                    UNION ALL
                    SELECT (SELECT a.source FROM lead_activity_log a WHERE a.source > s.source ORDER BY a.source LIMIT 1)
                    FROM sources s WHERE s.source IS NOT NULL
                ), windows AS (
                    SELECT @now - interval '24 hours' AS lo, @now AS hi
                    UNION ALL
                    SELECT @now - make_interval(hours => 24 * d + 1), @now - make_interval(hours => 24 * d) FROM generate_series(1, @days) d
                )
                SELECT s.source, last.ts, h.bucket, h.n
                FROM sources s
                CROSS JOIN LATERAL (
                    SELECT max(a."timestamp") AS ts FROM lead_activity_log a WHERE a.source = s.source AND a."timestamp" <= @now
                ) last
                LEFT JOIN LATERAL (
                    -- date_part gives a float; extract() gives numeric, several times slower over a week of events.
                    SELECT floor(date_part('epoch', @now - a."timestamp") / 3600)::int AS bucket, count(*)::int AS n
                    FROM windows w
                    JOIN lead_activity_log a ON a.source = s.source AND a."timestamp" > w.lo AND a."timestamp" <= w.hi
                    GROUP BY 1
                ) h ON true
                WHERE s.source IS NOT NULL
                """, conn);
            cmd.Parameters.AddWithValue("now", now);
            cmd.Parameters.AddWithValue("days", baselineDays);
            await using var r = await cmd.ExecuteReaderAsync(ct);
            while (await r.ReadAsync(ct))
            {
                var source = r.GetString(0);
                if (!counts.TryGetValue(source, out var entry))
                    counts[source] = entry = (new int[24], new int[baselineDays], r.IsDBNull(1) ? null : r.GetFieldValue<DateTimeOffset>(1));
                if (r.IsDBNull(2)) continue;
                var bucket = r.GetInt32(2);
                if (bucket is >= 0 and < 24) entry.Hourly[bucket] = r.GetInt32(3);
                else if (bucket % 24 == 0 && bucket / 24 - 1 < baselineDays) entry.Before[bucket / 24 - 1] = r.GetInt32(3);
            }
            return true;
        }, ct);

        // Rejections: the last day's, and every dead letter still waiting for an admin, whatever its age.
        var failures = new Dictionary<string, (long Rejected, long Pending, DateTimeOffset? Last)>(StringComparer.Ordinal);
        await using (var cmd = dataSource.CreateCommand("""
            SELECT coalesce(source, @unknown), count(*) FILTER (WHERE received_at > @day), count(*) FILTER (WHERE status = 'pending'), max(received_at)
            FROM ingestion_failures
            WHERE received_at > @day OR status = 'pending'
            GROUP BY 1
            """))
        {
            cmd.Parameters.AddWithValue("unknown", SourceHealth.UnknownSource);
            cmd.Parameters.AddWithValue("day", now.AddDays(-1));
            await using var r = await cmd.ExecuteReaderAsync(ct);
            while (await r.ReadAsync(ct))
                failures[r.GetString(0)] = (r.GetInt64(1), r.GetInt64(2), r.IsDBNull(3) ? null : r.GetFieldValue<DateTimeOffset>(3));
        }

        return counts.Keys.Union(failures.Keys)
            .Select(source =>
            {
                var (hourly, before, last) = counts.TryGetValue(source, out var c) ? c : (new int[24], new int[baselineDays], null);
                var (rejected, pending, lastRejected) = failures.GetValueOrDefault(source);
                return new SourceHealth(source, hourly, before, last, rejected, pending, lastRejected);
            })
            .OrderBy(s => s.Kind).ThenBy(s => s.Source, StringComparer.Ordinal)
            .ToList();
    }
}
