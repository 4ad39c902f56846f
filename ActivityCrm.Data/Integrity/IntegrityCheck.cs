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
/// Tamper evidence: recomputes the SHA-256 of every unredacted event's canonical content and compares it
/// with the content_hash stored when the event was written. The table is split into key ranges walked side
/// by side, each in primary-key order in batches, so it streams through millions of rows with flat memory
/// and never holds a long transaction. A redacted event keeps the hash of what it held (the trigger forbids
/// changing it), so it cannot be verified from its blanked content; it is counted apart.
/// </summary>
public sealed class IntegrityCheck(NpgsqlDataSource dataSource, TimeProvider clock)
{
    public const int DefaultBatchSize = 20_000;
    /// <summary>Key ranges checked at once: the work is hashing on the database server, one core per range.</summary>
    public const int DefaultParallelism = 2;
    /// <summary>Ids listed in a report; the count is always exact.</summary>
    public const int MaxListed = 1_000;

    /// <summary>
    /// The canonical content, exactly as activity_content_hash (AppendOnlyGuard migration) builds it for the
    /// insert trigger. Written out here rather than calling that function: inline it runs twice as fast, and
    /// a function replaced by someone rewriting history cannot vouch for the rows it rewrote.
    /// </summary>
    public const string CanonicalHashSql = """
        sha256(convert_to(json_build_array(
            a.event_type, a.event_category, a.lead_airtable_id, a.client_id, a.description, a.message_content,
            a.metadata, a.source, a.execution_id, a.created_by, a.actor_type, a.actor_id, a.correlation_id,
            a.related_entity_type, a.related_entity_id, a.idempotency_key,
            to_char(a."timestamp" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'))::text, 'UTF8'))
        """;

    public async Task<IntegrityReport> RunAsync(IProgress<IntegrityProgress>? progress = null, int batchSize = DefaultBatchSize,
        int parallelism = DefaultParallelism, CancellationToken ct = default)
    {
        var watch = Stopwatch.StartNew();
        var total = await EstimateTotalAsync(ct);
        var tally = new Tally(total, progress);
        progress?.Report(new(0, total, 0, 0, 0));
        var bounds = RangeBounds(Math.Clamp(parallelism, 1, 16));
        var ends = bounds.Skip(1).Select(b => (Guid?)b).Append(null);
        await Task.WhenAll(bounds.Zip(ends).Select(r => WalkAsync(r.First, r.Second, batchSize, tally, ct)));
        return tally.Report(watch.Elapsed, clock.GetUtcNow());
    }

    /// <summary>Walks ids from <paramref name="from"/> (inclusive) up to <paramref name="to"/> (exclusive; null: the end).</summary>
    private async Task WalkAsync(Guid from, Guid? to, int batchSize, Tally tally, CancellationToken ct)
    {
        var after = from;
        var first = true;
        while (true)
        {
            // b is referenced twice, so PostgreSQL materialises it: one index range scan per batch.
            await using var cmd = dataSource.CreateCommand($$"""
                WITH b AS (
                    SELECT a.id, a.redacted_at IS NOT NULL AS redacted,
                           a.content_hash IS NOT NULL AND a.content_hash = {{CanonicalHashSql}} AS ok
                    FROM lead_activity_log a
                    WHERE a.id {{(first ? ">=" : ">")}} @after {{(to is null ? "" : "AND a.id < @to")}}
                    ORDER BY a.id
                    LIMIT @n
                )
                SELECT (SELECT id FROM b ORDER BY id DESC LIMIT 1), count(*), count(*) FILTER (WHERE redacted),
                       coalesce(array_agg(id ORDER BY id) FILTER (WHERE NOT redacted AND NOT ok), '{}')
                FROM b
                """);
            cmd.Parameters.AddWithValue("after", after);
            if (to is { } end) cmd.Parameters.AddWithValue("to", end);
            cmd.Parameters.AddWithValue("n", batchSize);
            await using var r = await cmd.ExecuteReaderAsync(ct);
            await r.ReadAsync(ct);
            var count = r.GetInt64(1);
            if (count == 0) return;
            after = r.GetGuid(0);
            first = false;
            tally.Add(count, r.GetInt64(2), r.GetFieldValue<Guid[]>(3));
            if (count < batchSize) return;
        }
    }

    /// <summary>Lower bounds of equal slices of the uuid space (ids are random, so the slices hold about the same).</summary>
    private static List<Guid> RangeBounds(int parts) =>
        Enumerable.Range(0, parts).Select(i => Guid.Parse($"{i * 256 / parts:x2}000000-0000-0000-0000-000000000000")).ToList();

    /// <summary>For the progress bar: exact while small, the planner's estimate beyond (count(*) of millions takes seconds).</summary>
    private async Task<long> EstimateTotalAsync(CancellationToken ct)
    {
        await using var cmd = dataSource.CreateCommand("""
            SELECT CASE WHEN c.reltuples < 200000 THEN (SELECT count(*) FROM lead_activity_log) ELSE c.reltuples::bigint END
            FROM pg_class c WHERE c.relname = 'lead_activity_log'
            """);
        return Convert.ToInt64(await cmd.ExecuteScalarAsync(ct));
    }

    /// <summary>The running counts of the ranges walked side by side.</summary>
    private sealed class Tally(long total, IProgress<IntegrityProgress>? progress)
    {
        private readonly Lock gate = new();
        private readonly List<Guid> ids = [];
        private long checkedRows, redacted, mismatched;

        public void Add(long count, long redactedInBatch, Guid[] bad)
        {
            IntegrityProgress now;
            lock (gate)
            {
                checkedRows += count;
                redacted += redactedInBatch;
                mismatched += bad.Length;
                ids.AddRange(bad.Take(MaxListed - ids.Count));
                now = new(checkedRows, Math.Max(total, checkedRows), checkedRows - redacted - mismatched, redacted, mismatched);
            }
            progress?.Report(now);
        }

        public IntegrityReport Report(TimeSpan elapsed, DateTimeOffset at)
        {
            lock (gate) return new(checkedRows, checkedRows - redacted - mismatched, redacted, mismatched, ids.Order().ToList(), elapsed, at);
        }
    }
}
