using ActivityCrm.Data.Entities;
using ActivityCrm.Data.Health;
using Microsoft.Extensions.Options;
using Npgsql;

namespace ActivityCrm.Web.Features.Health.Alerts;

/// <summary>
/// Checks the alert conditions every Alerts:IntervalSeconds and turns them into incidents: one message when a
/// condition goes bad, one when it has stayed good for Alerts:ResolveAfterSeconds, nothing in between.
/// <list type="bullet">
/// <item>Shared conditions (dead letters, quiet sources, lifecycle gaps) live in alert_state. Each check runs
/// under a PostgreSQL advisory lock, so with several instances one evaluates and sends at a time, and the
/// table's one-open-incident-per-key index makes a double opening impossible even without the lock.</item>
/// <item>The database being unreachable cannot be recorded in the database: each instance keeps that incident
/// in memory and alerts for itself (two instances losing the database send two alerts, each naming its
/// instance); the finished incident is written to alert_state once the database is back, for the history.</item>
/// <item>A message that fails to send is kept (sent-at stays empty) and retried at the next check; no failure
/// here ever stops the app.</item>
/// </list>
/// </summary>
public sealed class AlertService(NpgsqlDataSource dataSource, HealthMonitor monitor, AlertConditions conditions, AlertStore store,
    AlertNotifier notifier, IOptionsMonitor<AlertOptions> options, TimeProvider clock, ILogger<AlertService> log) : BackgroundService
{
    private const string LockKey = "activitycrm:alerts";
    private int _databaseFailures;
    private AlertIncident? _database;

    protected override async Task ExecuteAsync(CancellationToken ct)
    {
        await Task.Yield(); // do not hold up the host's start
        var interval = TimeSpan.FromSeconds(Math.Max(1, options.CurrentValue.IntervalSeconds));
        using var timer = new PeriodicTimer(interval, clock);
        do
        {
            try
            {
                await CheckAsync(ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested) { return; }
            catch (Exception e)
            {
                log.LogError(e, "Alert check failed; trying again in {Interval}", interval);
            }
        } while (await WaitAsync(timer, ct));
    }

    private static async Task<bool> WaitAsync(PeriodicTimer timer, CancellationToken ct)
    {
        try { return await timer.WaitForNextTickAsync(ct); }
        catch (OperationCanceledException) { return false; }
    }

    /// <summary>One check (public for tests that drive the service by hand).</summary>
    public async Task CheckAsync(CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var db = await monitor.DatabaseAsync(TimeSpan.Zero, ct);
        if (!db.Reachable)
        {
            await DatabaseDownAsync(db, now, ct);
            return;
        }
        await DatabaseUpAsync(now, ct);

        await using var conn = await dataSource.OpenConnectionAsync(ct);
        if (!await AdvisoryLockAsync(conn, "pg_try_advisory_lock", ct)) return; // another instance is checking right now
        try
        {
            var evaluation = await conditions.EvaluateAsync(now, ct);
            await ReconcileAsync(evaluation, now, ct);
            foreach (var incident in await store.UndeliveredAsync(now.AddDays(-1), ct))
                await DeliverAsync(incident, now, ct);
        }
        finally
        {
            try { await AdvisoryLockAsync(conn, "pg_advisory_unlock", CancellationToken.None); }
            catch (Exception e) when (e is NpgsqlException or InvalidOperationException) { } // the session, and its lock, are gone
        }
    }

    private async Task ReconcileAsync(AlertEvaluation evaluation, DateTimeOffset now, CancellationToken ct)
    {
        var o = options.CurrentValue;
        var open = (await store.OpenAsync(ct)).ToDictionary(i => i.Key, StringComparer.Ordinal);
        foreach (var condition in evaluation.Active)
        {
            if (open.TryGetValue(condition.Key, out var incident)) await store.StillActiveAsync(incident.Id, condition.Detail, now, ct);
            else if (await store.TryOpenAsync(condition.Key, condition.Title, condition.Detail, HealthMonitor.Instance, now, ct))
                log.LogWarning("Alert opened: {Title}: {Detail}", condition.Title, condition.Detail);
        }

        var active = evaluation.Active.Select(c => c.Key).ToHashSet(StringComparer.Ordinal);
        foreach (var incident in open.Values.Where(i => !active.Contains(i.Key)))
        {
            var goodSince = await store.ClearingAsync(incident.Id, now, ct);
            if (now - goodSince < TimeSpan.FromSeconds(Math.Max(0, o.ResolveAfterSeconds))) continue;
            var detail = evaluation.Good.GetValueOrDefault(incident.Key) ?? "The condition no longer applies.";
            if (await store.ResolveAsync(incident.Id, detail, now, ct))
                log.LogInformation("Alert resolved: {Title}: {Detail}", incident.Title, detail);
        }
    }

    private async Task DeliverAsync(AlertIncident incident, DateTimeOffset now, CancellationToken ct)
    {
        if (incident.OpenSentAt is null)
        {
            var opened = await notifier.OpenedAsync(incident, ct);
            if (!opened.Delivered) { await store.MarkFailedAsync(incident.Id, opened.Outcome, ct); return; }
            await store.MarkDeliveredAsync(incident.Id, resolution: false, opened.Outcome, now, ct);
        }
        if (incident.ResolvedAt is not null && incident.ResolveSentAt is null)
        {
            var resolved = await notifier.ResolvedAsync(incident, ct);
            if (!resolved.Delivered) { await store.MarkFailedAsync(incident.Id, resolved.Outcome, ct); return; }
            await store.MarkDeliveredAsync(incident.Id, resolution: true, resolved.Outcome, now, ct);
        }
    }

    private async Task DatabaseDownAsync(DatabaseStatus db, DateTimeOffset now, CancellationToken ct)
    {
        _databaseFailures++;
        if (_database is null && _databaseFailures >= Math.Max(1, options.CurrentValue.DatabaseFailuresBeforeAlert))
        {
            _database = new AlertIncident
            {
                Key = "database:" + HealthMonitor.Instance, Title = $"Database unreachable from {HealthMonitor.Instance}",
                Detail = $"{db.Error}. Ingestion answers 503 (n8n retries); pages cannot load data.", OpenedAt = now, LastSeenAt = now,
                Instance = HealthMonitor.Instance,
            };
            log.LogError("Alert opened: {Title}: {Detail}", _database.Title, _database.Detail);
        }
        if (_database is null) return;
        _database.ClearSince = null;
        _database.LastSeenAt = now;
        if (_database.OpenSentAt is null) await DeliverInMemoryAsync(_database, resolution: false, now, ct);
    }

    private async Task DatabaseUpAsync(DateTimeOffset now, CancellationToken ct)
    {
        _databaseFailures = 0;
        if (_database is not { } incident) return;
        if (incident.ResolvedAt is null)
        {
            incident.ClearSince ??= now;
            if (now - incident.ClearSince < TimeSpan.FromSeconds(Math.Max(0, options.CurrentValue.ResolveAfterSeconds))) return;
            incident.ResolvedAt = now;
            incident.ResolvedDetail = $"The database answers {HealthMonitor.Instance} again.";
            log.LogInformation("Alert resolved: {Title}", incident.Title);
        }
        if (incident.OpenSentAt is null && !await DeliverInMemoryAsync(incident, resolution: false, now, ct)) return;
        if (incident.ResolveSentAt is null && !await DeliverInMemoryAsync(incident, resolution: true, now, ct)) return;
        await store.RecordAsync(incident, ct);
        _database = null;
    }

    private async Task<bool> DeliverInMemoryAsync(AlertIncident incident, bool resolution, DateTimeOffset now, CancellationToken ct)
    {
        var result = resolution ? await notifier.ResolvedAsync(incident, ct) : await notifier.OpenedAsync(incident, ct);
        incident.Delivery = result.Outcome;
        if (!result.Delivered) { incident.SendFailures++; return false; }
        if (resolution) incident.ResolveSentAt = now; else incident.OpenSentAt = now;
        return true;
    }

    private static async Task<bool> AdvisoryLockAsync(NpgsqlConnection conn, string function, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand($"SELECT {function}(hashtextextended('{LockKey}', 0))", conn);
        return await cmd.ExecuteScalarAsync(ct) is true;
    }

    /// <summary>The incident this instance holds in memory for its own database connection, for the health page.</summary>
    public AlertIncident? DatabaseIncident => _database;
}
