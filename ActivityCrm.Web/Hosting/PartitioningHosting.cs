using ActivityCrm.Data.Postgres;
using Npgsql;

namespace ActivityCrm.Web.Hosting;

/// <summary>
/// Database:Partitioning = "monthly" converts lead_activity_log to monthly partitions at start-up (once);
/// whenever the table is partitioned, the coming months' partitions are created at start-up and every
/// six hours, so an event never waits for one. `-- partitioning [enable|status]` does it by hand.
/// </summary>
public static class PartitioningHosting
{
    public static void AddActivityCrmPartitioning(this WebApplicationBuilder builder)
    {
        builder.Services.AddHostedService<PartitionMaintenance>();
        Commands.Register("partitioning", "partitioning [status|enable]   monthly partitions of lead_activity_log", RunCommandAsync);
    }

    public static async Task PreparePartitionsAsync(this WebApplication app)
    {
        var dataSource = app.Services.GetRequiredService<NpgsqlDataSource>();
        var log = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Partitioning");
        if (string.Equals(app.Configuration["Database:Partitioning"], "monthly", StringComparison.OrdinalIgnoreCase)
            && !await ActivityPartitioning.IsPartitionedAsync(dataSource))
        {
            log.LogWarning("Database:Partitioning=monthly: converting lead_activity_log to monthly partitions (the table is locked meanwhile) ...");
            log.LogWarning("{Result}", await ActivityPartitioning.EnableAsync(dataSource));
        }
        await ActivityPartitioning.EnsureFuturePartitionsAsync(dataSource);
    }

    private static async Task<int> RunCommandAsync(WebApplication app, string[] args)
    {
        var dataSource = app.Services.GetRequiredService<NpgsqlDataSource>();
        var verb = args.FirstOrDefault() ?? "status";
        if (verb == "enable") Console.WriteLine(await ActivityPartitioning.EnableAsync(dataSource));
        else if (verb != "status")
        {
            Console.Error.WriteLine("Usage: partitioning [status|enable]");
            return 2;
        }
        if (!await ActivityPartitioning.IsPartitionedAsync(dataSource))
        {
            Console.WriteLine("lead_activity_log is not partitioned (enable with: partitioning enable, or Database:Partitioning=monthly).");
            return 0;
        }
        foreach (var p in await ActivityPartitioning.ListAsync(dataSource))
            Console.WriteLine($"{p.Name,-32} {p.Bounds,-80} ~{p.EstimatedRows:N0} rows");
        return 0;
    }
}

internal sealed class PartitionMaintenance(NpgsqlDataSource dataSource, TimeProvider clock, ILogger<PartitionMaintenance> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken ct)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromHours(6), clock);
        while (await timer.WaitForNextTickAsync(ct))
        {
            try
            {
                var created = await ActivityPartitioning.EnsureFuturePartitionsAsync(dataSource, ct);
                if (created > 0) log.LogInformation("Created {Count} monthly partition(s) of lead_activity_log", created);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                log.LogWarning(e, "Could not create the coming months' partitions; retrying in 6 hours");
            }
        }
    }
}
