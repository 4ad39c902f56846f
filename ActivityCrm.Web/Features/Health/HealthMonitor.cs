using ActivityCrm.Data.Health;
using ActivityCrm.Web.Features.Live;
using Microsoft.Extensions.Options;
using Npgsql;

namespace ActivityCrm.Web.Features.Health;

public sealed record SourceStatus(SourceHealth Health, QuietVerdict Quiet);

public sealed record SourceReport(DateTimeOffset At, IReadOnlyList<SourceStatus> Sources);

public sealed record LifecycleReport(DateTimeOffset At, TimeSpan Lookback, IReadOnlyList<LifecycleRule> Rules, IReadOnlyList<LifecycleGapGroup> Groups)
{
    public long TotalWaiting => Groups.Sum(g => g.Waiting);
}

public sealed record ConnectionCounts(int ConnectedCircuits, int OpenCircuits, int FeedSubscribers);

/// <summary>
/// The figures the health page and the alerts read. Database-backed figures are cached briefly and loaded by
/// one caller at a time, so ten admins with the page open cost one set of queries per refresh, not ten.
/// </summary>
public sealed class HealthMonitor(NpgsqlDataSource dataSource, TimeProvider clock, IOptionsMonitor<HealthOptions> options,
    IngestionTimings timings, LiveConnections live, ActivityFeed feed)
{
    public static readonly string Instance = $"{Environment.MachineName}:{Environment.ProcessId}";
    public DateTimeOffset StartedAt { get; } = clock.GetUtcNow();

    private readonly Cached<SourceReport> _sources = new();
    private readonly Cached<LifecycleReport> _lifecycle = new();
    private readonly Cached<DatabaseStatus> _database = new();

    public HealthOptions Options => options.CurrentValue;

    public Task<SourceReport> SourcesAsync(TimeSpan maxAge, CancellationToken ct = default) =>
        _sources.GetAsync(maxAge, clock, async token =>
        {
            var now = clock.GetUtcNow();
            var quiet = Options.Quiet;
            var sources = await SourceActivity.ReadAsync(dataSource, now, quiet.BaselineDays, token);
            return new SourceReport(now, sources.Select(s => new SourceStatus(s, QuietRule.Evaluate(s, quiet))).ToList());
        }, ct);

    public Task<LifecycleReport> LifecycleAsync(TimeSpan maxAge, CancellationToken ct = default) =>
        _lifecycle.GetAsync(maxAge, clock, async token =>
        {
            var now = clock.GetUtcNow();
            var lookback = TimeSpan.FromDays(Math.Max(1, Options.Lifecycle.LookbackDays));
            var rules = await LifecycleGaps.RulesAsync(dataSource, token);
            var groups = rules.Count == 0 ? [] : await LifecycleGaps.SummaryAsync(dataSource, now, lookback, token);
            return new LifecycleReport(now, lookback, rules, groups);
        }, ct);

    public Task<DatabaseStatus> DatabaseAsync(TimeSpan maxAge, CancellationToken ct = default) =>
        _database.GetAsync(maxAge, clock, token => DatabaseProbe.CheckAsync(dataSource, clock, TimeSpan.FromSeconds(5), token), ct);

    public IReadOnlyList<LatencySummary> Latency() => timings.Summarize(TimeSpan.FromMinutes(Math.Max(1, Options.LatencyWindowMinutes)));

    public ConnectionCounts Connections() => new(live.ConnectedCircuits, live.OpenCircuits, feed.SubscriberCount);

    private sealed class Cached<T> where T : class
    {
        private readonly SemaphoreSlim _gate = new(1, 1);
        // A reference, swapped whole: readers outside the gate never see half an update.
        private volatile Entry? _last;

        private sealed record Entry(T Value, DateTimeOffset At);

        public async Task<T> GetAsync(TimeSpan maxAge, TimeProvider clock, Func<CancellationToken, Task<T>> load, CancellationToken ct)
        {
            if (_last is { } hit && clock.GetUtcNow() - hit.At <= maxAge) return hit.Value;
            await _gate.WaitAsync(ct);
            try
            {
                // Whoever waited for the gate may find the value the previous holder just loaded.
                if (_last is { } fresh && clock.GetUtcNow() - fresh.At <= maxAge) return fresh.Value;
                var value = await load(ct);
                _last = new Entry(value, clock.GetUtcNow());
                return value;
            }
            finally { _gate.Release(); }
        }
    }
}
