using System.Diagnostics;
using ActivityCrm.Data.Activities;
using Npgsql;

namespace ActivityCrm.Bench;

/// <summary>
/// CSV export of a million rows through the app (GET /api/admin/activity-logs/export.csv, streamed) with the
/// app process's memory sampled while it runs, next to PostgreSQL's own COPY ... TO STDOUT (FORMAT csv) of
/// the same rows and columns in the same run.
/// </summary>
public sealed class ExportBench(NpgsqlDataSource ds, AppUnderTest app, Report report)
{
    public async Task RunAsync(long rows)
    {
        DateTimeOffset from;
        await using (var cmd = ds.CreateCommand($"SELECT \"timestamp\" FROM lead_activity_log ORDER BY \"timestamp\" DESC, id DESC OFFSET {rows - 1} LIMIT 1"))
            from = await cmd.ExecuteScalarAsync() is DateTime at ? new DateTimeOffset(DateTime.SpecifyKind(at, DateTimeKind.Utc)) : DateTimeOffset.MinValue;

        // PostgreSQL's limit: the same join and order, formatted as CSV by the server itself.
        var copy = Stopwatch.StartNew();
        long copied = 0;
        await using (var conn = await ds.OpenConnectionAsync())
        {
            using var reader = await conn.BeginTextExportAsync($"""
                COPY (SELECT {ActivityRows.SelectColumns} FROM {ActivityRows.FromJoins}
                      WHERE a."timestamp" >= '{from.UtcDateTime:O}' ORDER BY a."timestamp" DESC, a.id DESC) TO STDOUT (FORMAT csv, HEADER)
                """);
            var buffer = new char[1 << 16];
            var records = new CsvRecords();
            int n;
            while ((n = await reader.ReadAsync(buffer)) > 0) foreach (var c in buffer.AsSpan(0, n)) records.Feed(c);
            copied = records.Count - 1;
        }
        copy.Stop();
        var copyRate = copied / copy.Elapsed.TotalSeconds;
        report.Add(new("Export", "PostgreSQL limit: COPY (same query) TO STDOUT CSV", Report.Rate(copyRate), "", null,
            $"{copied:N0} rows in {copy.Elapsed.TotalSeconds:N1} s"));

        using var client = await app.SignedInClientAsync();
        var before = app.Memory().RssMiB;
        var peak = before;
        using var sampling = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!sampling.IsCancellationRequested)
            {
                peak = Math.Max(peak, app.Memory().RssMiB);
                try { await Task.Delay(100, sampling.Token); } catch (OperationCanceledException) { }
            }
        });
        var sw = Stopwatch.StartNew();
        long bytes = 0;
        var lines = new CsvRecords();
        using (var response = await client.GetAsync($"/api/admin/activity-logs/export.csv?dateFrom={Uri.EscapeDataString(from.UtcDateTime.ToString("O"))}",
                   HttpCompletionOption.ResponseHeadersRead))
        {
            response.EnsureSuccessStatusCode();
            await using var body = await response.Content.ReadAsStreamAsync();
            var buffer = new byte[1 << 16];
            int n;
            while ((n = await body.ReadAsync(buffer)) > 0)
            {
                bytes += n;
                foreach (var b in buffer.AsSpan(0, n)) lines.Feed((char)b);
            }
        }
        sw.Stop();
        await sampling.CancelAsync();
        await sampler;
        var exported = lines.Count - 1;
        var rate = exported / sw.Elapsed.TotalSeconds;
        report.Add(new("Export", $"CSV export through the app, {exported:N0} rows", Report.Rate(rate), "≥ 100,000 rows/s", rate >= 100_000,
            $"{bytes / 1048576.0:N0} MiB in {sw.Elapsed.TotalSeconds:N1} s; {rate / copyRate:P0} of COPY's rate"));
        report.Add(new("Export", "App memory while exporting (resident set)", $"{before:N0} → peak {peak:N0} MiB", "flat (< +150 MiB)",
            peak - before < 150, "sampled every 100 ms from /proc; the rows are streamed, never held"));
    }

    /// <summary>Counts CSV records: a newline inside a quoted field (a multi-line message) is not a new record.</summary>
    private sealed class CsvRecords
    {
        private bool _quoted;
        public long Count { get; private set; }

        public void Feed(char c)
        {
            if (c == '"') _quoted = !_quoted;
            else if (c == '\n' && !_quoted) Count++;
        }
    }
}
