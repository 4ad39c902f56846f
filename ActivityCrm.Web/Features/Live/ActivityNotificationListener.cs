using System.Threading.Channels;
using ActivityCrm.Data.Activities;
using Npgsql;

namespace ActivityCrm.Web.Features.Live;

/// <summary>
/// LISTENs on the channel the writer notifies on commit, loads the new rows in small batches and
/// publishes them to this instance's <see cref="ActivityFeed"/>. Reconnects with backoff; while the
/// database is down, live updates pause (pages still load the stored truth on refresh).
/// </summary>
public sealed class ActivityNotificationListener(NpgsqlDataSource dataSource, ActivityFeed feed, ILogger<ActivityNotificationListener> log)
    : BackgroundService
{
    private readonly Channel<Guid> _ids = Channel.CreateUnbounded<Guid>(new() { SingleReader = true });

    protected override Task ExecuteAsync(CancellationToken ct) => Task.WhenAll(ListenAsync(ct), PublishAsync(ct));

    private async Task ListenAsync(CancellationToken ct)
    {
        var delay = TimeSpan.FromMilliseconds(250);
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await using var conn = await dataSource.OpenConnectionAsync(ct);
                conn.Notification += (_, e) =>
                {
                    foreach (var part in e.Payload.Split(','))
                        if (Guid.TryParse(part, out var id)) _ids.Writer.TryWrite(id);
                };
                await using (var listen = new NpgsqlCommand($"LISTEN {ActivityWriter.NotifyChannel}", conn))
                    await listen.ExecuteNonQueryAsync(ct);
                delay = TimeSpan.FromMilliseconds(250);
                while (!ct.IsCancellationRequested) await conn.WaitAsync(ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested) { return; }
            catch (Exception e)
            {
                log.LogWarning("Live-update listener lost the database ({Message}); retrying in {Delay}", e.Message, delay);
                try { await Task.Delay(delay, ct); } catch (OperationCanceledException) { return; }
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(10).Ticks));
            }
        }
    }

    private async Task PublishAsync(CancellationToken ct)
    {
        var batch = new List<Guid>();
        try
        {
            while (await _ids.Reader.WaitToReadAsync(ct))
            {
                while (batch.Count < 500 && _ids.Reader.TryRead(out var id)) batch.Add(id);
                try
                {
                    if (feed.SubscriberCount > 0) feed.Publish(await ActivityRows.ByIdsAsync(dataSource, batch, ct));
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    log.LogWarning(e, "Could not load {Count} new events for live updates", batch.Count);
                }
                batch.Clear();
            }
        }
        catch (OperationCanceledException) { }
    }
}

public static class LiveUpdatesHosting
{
    public static void AddActivityCrmLiveUpdates(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<ActivityFeed>();
        builder.Services.AddHostedService<ActivityNotificationListener>();
    }
}
