using ActivityCrm.Data.Health;
using Microsoft.Extensions.Options;
using Npgsql;

namespace ActivityCrm.Web.Features.Health.Alerts;

/// <summary>A condition that is bad right now. The title carries no numbers (it names the incident for its whole life).</summary>
public sealed record AlertCondition(string Key, string Title, string Detail);

/// <param name="Active">Conditions that are bad now.</param>
/// <param name="Good">For keys known to be fine now, what the recovery message says.</param>
public sealed record AlertEvaluation(IReadOnlyList<AlertCondition> Active, IReadOnlyDictionary<string, string> Good);

/// <summary>
/// The conditions that alert, as keys: <c>dead-letters</c> (pending rejections received within
/// Alerts:DeadLetterWindowMinutes), <c>quiet:&lt;source&gt;</c> (the health page's quiet flag),
/// <c>lifecycle:&lt;event type&gt;</c> (more than Alerts:LifecycleGapThreshold events waiting past their deadline).
/// The database condition is per instance and handled by <see cref="AlertService"/> itself.
/// </summary>
public sealed class AlertConditions(NpgsqlDataSource dataSource, HealthMonitor monitor, IOptionsMonitor<AlertOptions> options)
{
    public const string DeadLettersKey = "dead-letters";

    public async Task<AlertEvaluation> EvaluateAsync(DateTimeOffset now, CancellationToken ct)
    {
        var o = options.CurrentValue;
        var active = new List<AlertCondition>();
        var good = new Dictionary<string, string>(StringComparer.Ordinal);

        var window = TimeSpan.FromMinutes(Math.Max(1, o.DeadLetterWindowMinutes));
        var (recent, pendingTotal) = await DeadLettersAsync(now - window, ct);
        if (recent.Count > 0)
        {
            var n = recent.Sum(r => r.Count);
            active.Add(new(DeadLettersKey, "Dead letters: ingestion requests are being rejected",
                $"{Plural(n, "request")} rejected in the last {window.TotalMinutes:N0} min {(n == 1 ? "is" : "are")} waiting in the dead-letter store " +
                $"({string.Join(", ", recent.Take(5).Select(r => $"{r.Source}: {r.Count}"))}{(recent.Count > 5 ? ", ..." : "")}; " +
                $"{pendingTotal:N0} pending in all). Fix the cause, then replay them."));
        }
        else
        {
            good[DeadLettersKey] = $"No new dead letters for {window.TotalMinutes:N0} min ({pendingTotal:N0} still pending review).";
        }

        var sources = await monitor.SourcesAsync(TimeSpan.Zero, ct);
        var days = monitor.Options.Quiet.BaselineDays;
        foreach (var s in sources.Sources)
        {
            var key = "quiet:" + s.Health.Source;
            if (o.QuietSources && s.Quiet.Quiet)
                active.Add(new(key, $"Source {s.Health.Source} went quiet",
                    $"{Plural(s.Quiet.Observed, "event")} in the last hour where {s.Quiet.Expected:N1} were expected " +
                    $"(the same hour on the previous {days} days; Poisson p = {s.Quiet.Probability:G2}). " +
                    $"Last event: {(s.Health.LastEventAt is { } last ? Utc(last) : "never")}."));
            else
                good[key] = $"{s.Health.Source} is sending again: {Plural(s.Quiet.Observed, "event")} in the last hour ({s.Quiet.Expected:N1} expected).";
        }

        var lifecycle = await monitor.LifecycleAsync(TimeSpan.Zero, ct);
        foreach (var rule in lifecycle.Rules)
        {
            var key = "lifecycle:" + rule.EventType;
            var groups = lifecycle.Groups.Where(g => g.EventType == rule.EventType).ToList();
            var waiting = groups.Sum(g => g.Waiting);
            var followUps = string.Join(" or ", rule.ExpectedFollowUps);
            if (waiting > o.LifecycleGapThreshold)
            {
                var top = groups[0];
                active.Add(new(key, $"{rule.EventType} events are missing their follow-up",
                    $"{Plural(waiting, rule.EventType + " event")} of the last {lifecycle.Lookback.TotalDays:N0} days got no {followUps} within {rule.WithinMinutes:N0} min " +
                    $"(threshold {o.LifecycleGapThreshold:N0}). Most from {top.Source}{(top.CampaignName ?? top.CampaignId) switch { { } c => $" / {c}", _ => "" }} " +
                    $"({top.Waiting:N0}); oldest {Utc(groups.Min(g => g.Oldest))}."));
            }
            else
            {
                good[key] = $"{rule.EventType} follow-ups caught up: {waiting:N0} waiting (threshold {o.LifecycleGapThreshold:N0}).";
            }
        }
        return new AlertEvaluation(active, good);
    }

    private async Task<(List<(string Source, long Count)> Recent, long PendingTotal)> DeadLettersAsync(DateTimeOffset since, CancellationToken ct)
    {
        await using var batch = dataSource.CreateBatch();
        batch.BatchCommands.Add(new NpgsqlBatchCommand("""
            SELECT coalesce(source, $1), count(*) FROM ingestion_failures
            WHERE status = 'pending' AND received_at > $2 GROUP BY 1 ORDER BY 2 DESC
            """) { Parameters = { new() { Value = SourceHealth.UnknownSource }, new() { Value = since } } });
        batch.BatchCommands.Add(new NpgsqlBatchCommand("SELECT count(*) FROM ingestion_failures WHERE status = 'pending'"));
        var recent = new List<(string, long)>();
        await using var r = await batch.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct)) recent.Add((r.GetString(0), r.GetInt64(1)));
        await r.NextResultAsync(ct);
        await r.ReadAsync(ct);
        return (recent, r.GetInt64(0));
    }

    internal static string Utc(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd HH:mm 'UTC'");

    private static string Plural(long n, string noun) => $"{n:N0} {noun}{(n == 1 ? "" : "s")}";
}
