using System.Diagnostics;
using Npgsql;

namespace ActivityCrm.Data.Integrity;

public sealed record IntegrityProgress(long Checked, long Total, long Verified, long Redacted, long Mismatched)
{
    public double Fraction => Total <= 0 ? 0 : Math.Min(1, (double)Checked / Total);
}

public sealed record IntegrityReport(long Checked, long Verified, long Redacted, long Mismatched, IReadOnlyList<Guid> MismatchedIds,
    TimeSpan Elapsed, DateTimeOffset FinishedAt)
{
    public bool Clean => Mismatched == 0;
    public double RowsPerSecond => Elapsed.TotalSeconds <= 0 ? Checked : Checked / Elapsed.TotalSeconds;
}

/// <summary>
/// Tamper evidence: recomputes, in the database, the SHA-256 of every unredacted event's canonical content
/// (activity_content_hash, the same function the insert trigger used) and compares it with the stored
/// content_hash. Walks the table in primary-key order in batches, so it streams through millions of rows
/// with flat memory and never holds a long transaction. A redacted event keeps the hash of what it held
/// (the trigger forbids changing it), so it cannot be verified from its blanked content; it is counted apart.
/// </summary>
public sealed class IntegrityCheck(NpgsqlDataSource dataSource, TimeProvider clock)
{
    public const int DefaultBatchSize = 20_000;
    /// <summary>Ids listed in a report; the count is always exact.</summary>
    public const int MaxListed = 1_000;

    public async Task<IntegrityReport> RunAsync(IProgress<IntegrityProgress>? progress = null, int batchSize = DefaultBatchSize,
        CancellationToken ct = default)
    {
        var watch = Stopwatch.StartNew();
        var total = await EstimateTotalAsync(ct);
        long checkedRows = 0, verified = 0, redacted = 0, mismatched = 0;
        var ids = new List<Guid>();
        var after = Guid.Empty;
        var first = true;
        progress?.Report(new(0, total, 0, 0, 0));

        while (true)
        {
            // b is referenced twice, so PostgreSQL materialises it: one index range scan per batch.
            await using var cmd = dataSource.CreateCommand($$"""
                WITH b AS (
                    SELECT a.id, a.redacted_at IS NOT NULL AS redacted,
                           a.content_hash IS NOT NULL AND a.content_hash = activity_content_hash(a) AS ok
                    FROM lead_activity_log a
                    {{(first ? "" : "WHERE a.id > @after")}}
                    ORDER BY a.id
                    LIMIT @n
                )
                SELECT (SELECT id FROM b ORDER BY id DESC LIMIT 1), count(*), count(*) FILTER (WHERE redacted),
                       coalesce(array_agg(id ORDER BY id) FILTER (WHERE NOT redacted AND NOT ok), '{}')
                FROM b
                """);
            if (!first) cmd.Parameters.AddWithValue("after", after);
            cmd.Parameters.AddWithValue("n", batchSize);
            await using var r = await cmd.ExecuteReaderAsync(ct);
            await r.ReadAsync(ct);
            var count = r.GetInt64(1);
            if (count == 0) break;
            after = r.GetGuid(0);
            first = false;
            var bad = r.GetFieldValue<Guid[]>(3);
            checkedRows += count;
            redacted += r.GetInt64(2);
            mismatched += bad.Length;
            verified = checkedRows - redacted - mismatched;
            ids.AddRange(bad.Take(MaxListed - ids.Count));
            progress?.Report(new(checkedRows, Math.Max(total, checkedRows), verified, redacted, mismatched));
            if (count < batchSize) break;
        }
        return new(checkedRows, verified, redacted, mismatched, ids, watch.Elapsed, clock.GetUtcNow());
    }

    /// <summary>For the progress bar: exact while small, the planner's estimate beyond (count(*) of millions takes seconds).</summary>
    private async Task<long> EstimateTotalAsync(CancellationToken ct)
    {
        await using var cmd = dataSource.CreateCommand("""
            SELECT CASE WHEN c.reltuples < 200000 THEN (SELECT count(*) FROM lead_activity_log) ELSE c.reltuples::bigint END
            FROM pg_class c WHERE c.relname = 'lead_activity_log'
            """);
        return Convert.ToInt64(await cmd.ExecuteScalarAsync(ct));
    }
}
