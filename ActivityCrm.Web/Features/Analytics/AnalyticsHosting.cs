using ActivityCrm.Data.Analytics;
using ActivityCrm.Web.Hosting;
using Npgsql;

namespace ActivityCrm.Web.Features.Analytics;

/// <summary>Analytics:RefreshSeconds (default 2) is how often the rollups pick up new events;
/// Analytics:Enabled=false stops this instance from refreshing (another instance, or the benchmark, may).</summary>
public sealed class AnalyticsOptions
{
    public double RefreshSeconds { get; set; } = 2;
    public bool Enabled { get; set; } = true;
    public TimeSpan Interval => TimeSpan.FromSeconds(Math.Clamp(RefreshSeconds, 0.1, 3600));
}

public static class AnalyticsHosting
{
    public static void AddAnalytics(this WebApplicationBuilder builder)
    {
        builder.Services.Configure<AnalyticsOptions>(builder.Configuration.GetSection("Analytics"));
        builder.Services.AddHostedService<AnalyticsRefreshService>();
        Commands.Register("analytics-rebuild", "analytics-rebuild   recompute the analytics rollups from every stored event", async (app, _) =>
        {
            var dataSource = app.Services.GetRequiredService<NpgsqlDataSource>();
            await using (var conn = await dataSource.OpenConnectionAsync())
                await AnalyticsRefresher.RequestRebuildAsync(conn);
            var sw = System.Diagnostics.Stopwatch.StartNew();
            var events = await AnalyticsRefresher.CatchUpAsync(dataSource);
            Console.WriteLine($"Analytics rebuilt from {events:N0} events in {sw.Elapsed.TotalSeconds:N1} s.");
            return 0;
        });
    }
}
