using ActivityCrm.Data.Analytics;
using Microsoft.Extensions.Options;
using Npgsql;

namespace ActivityCrm.Web.Features.Analytics;

/// <summary>
/// Brings the analytics rollups up to date every Analytics:RefreshSeconds. Several instances may run it;
/// the refresher's advisory lock lets one work while the others skip. A failed step is logged and retried
/// on the next tick: the page then shows figures getting older rather than an error.
/// </summary>
public sealed class AnalyticsRefreshService(NpgsqlDataSource dataSource, IOptions<AnalyticsOptions> options,
    ILogger<AnalyticsRefreshService> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.Enabled) return;
        using var timer = new PeriodicTimer(options.Value.Interval);
        do
        {
            try
            {
                AnalyticsRefreshResult step;
                do
                {
                    step = await AnalyticsRefresher.RefreshAsync(dataSource, ct: stoppingToken);
                    if (step.Outcome == AnalyticsRefreshOutcome.Rebuilt)
                        log.LogInformation("Analytics rollups rebuilt from {Events} events", step.Events);
                } while (!step.CaughtUp && step.Outcome != AnalyticsRefreshOutcome.Busy && !stoppingToken.IsCancellationRequested);
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                log.LogWarning(e, "Analytics refresh failed; retrying in {Interval}", options.Value.Interval);
            }
        } while (await WaitAsync(timer, stoppingToken));
    }

    private static async Task<bool> WaitAsync(PeriodicTimer timer, CancellationToken ct)
    {
        try { return await timer.WaitForNextTickAsync(ct); }
        catch (OperationCanceledException) { return false; }
    }
}
