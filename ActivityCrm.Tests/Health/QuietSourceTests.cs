using ActivityCrm.Data.Health;

namespace ActivityCrm.Tests.Health;

/// <summary>The quiet-source rule and the per-source counts, on hand-built histories in a real database.</summary>
public sealed class QuietSourceTests(HealthDatabase db) : IClassFixture<HealthDatabase>
{
    private static readonly QuietOptions Defaults = new();

    private async Task<Dictionary<string, SourceHealth>> ReadAsync(DateTimeOffset now) =>
        (await SourceActivity.ReadAsync(db.DataSource, now, Defaults.BaselineDays)).ToDictionary(s => s.Source);

    [Fact]
    public async Task A_source_with_a_steady_rate_that_stops_is_flagged_and_a_low_volume_or_running_one_is_not()
    {
        var now = DateTimeOffset.UtcNow;
        var stopped = HealthTestData.Source();
        var lowVolume = HealthTestData.Source();
        var running = HealthTestData.Source();
        await db.DataSource.AppendAsync(HealthTestData.Steady(stopped, now.AddDays(-7).AddHours(-2), now.AddHours(-1), TimeSpan.FromMinutes(5))
            .Concat(HealthTestData.Steady(lowVolume, now.AddDays(-7).AddHours(-2), now.AddHours(-2), TimeSpan.FromHours(3)))
            .Concat(HealthTestData.Steady(running, now.AddDays(-7).AddHours(-2), now.AddMinutes(-1), TimeSpan.FromMinutes(5))));

        var sources = await ReadAsync(now);

        var verdict = QuietRule.Evaluate(sources[stopped], Defaults);
        Assert.True(verdict.Quiet);
        Assert.Equal(0, verdict.Observed);
        Assert.InRange(verdict.Expected, 11, 13);
        Assert.True(verdict.Probability < 1e-4);

        var low = QuietRule.Evaluate(sources[lowVolume], Defaults);
        Assert.False(low.Quiet);
        Assert.Equal(0, low.Observed);
        Assert.True(low.Expected < Defaults.MinExpected);

        Assert.False(QuietRule.Evaluate(sources[running], Defaults).Quiet);

        // When the stopped source sends again, the flag goes away.
        await db.DataSource.AppendAsync(HealthTestData.Steady(stopped, now.AddMinutes(-55), now, TimeSpan.FromMinutes(5)));
        var again = QuietRule.Evaluate((await ReadAsync(now))[stopped], Defaults);
        Assert.False(again.Quiet);
        Assert.Equal(11, again.Observed);
    }

    [Fact]
    public async Task Per_source_counts_cover_the_last_hour_and_day_the_last_event_and_rejections()
    {
        var now = DateTimeOffset.UtcNow;
        var source = HealthTestData.Source();
        DateTimeOffset[] times =
        [
            now.AddMinutes(-10), now.AddMinutes(-20), now.AddMinutes(-50), // last hour
            now.AddHours(-2), now.AddHours(-5), now.AddHours(-5), now.AddHours(-12), now.AddHours(-23.5), // rest of the day
            now.AddDays(-2), now.AddDays(-3), // older
            now.AddHours(1), // in the future (allowed up to a day ahead): not counted, not the last event
        ];
        await db.DataSource.AppendAsync(times.Select(t => HealthTestData.Event(source, t)));
        await db.DataSource.DeadLetterAsync(source, now.AddMinutes(-5));
        await db.DataSource.DeadLetterAsync(source, now.AddHours(-3));
        await db.DataSource.DeadLetterAsync(source, now.AddHours(-4), status: "replayed");
        await db.DataSource.DeadLetterAsync(source, now.AddDays(-3)); // old but still waiting for an admin
        var neverStored = HealthTestData.Source("ui:");
        await db.DataSource.DeadLetterAsync(neverStored, now.AddMinutes(-1));

        var sources = await ReadAsync(now);

        var s = sources[source];
        Assert.Equal(SourceKind.N8n, s.Kind);
        Assert.Equal(3, s.LastHour);
        Assert.Equal(8, s.Last24h);
        Assert.Equal(3, s.Hourly[0]);
        Assert.Equal(1, s.Hourly[2]);
        Assert.Equal(2, s.Hourly[5]);
        Assert.Equal([0, 1, 1, 0, 0, 0, 0], s.SameHourBefore); // the events exactly two and three days ago
        Assert.Equal(now.AddMinutes(-10).UtcDateTime, s.LastEventAt!.Value.UtcDateTime, TimeSpan.FromMilliseconds(1));
        Assert.Equal(3, s.Rejected24h);
        Assert.Equal(3, s.DeadLetters);

        // A source whose every write was refused still shows up: that is the incident this page exists for.
        var refused = sources[neverStored];
        Assert.Equal(SourceKind.Ui, refused.Kind);
        Assert.Equal(0, refused.Last24h);
        Assert.Null(refused.LastEventAt);
        Assert.Equal(1, refused.DeadLetters);
    }

    [Fact]
    public void A_source_is_compared_with_the_same_hour_on_previous_days()
    {
        // Sends 20 an hour, but only at another time of day: silence now is normal for it.
        Assert.False(QuietRule.Evaluate("n8n:office-hours", 0, [0, 0, 0, 0, 0, 0, 0], Defaults).Quiet);
        // The same workflow silent in the hour it always sends in is quiet.
        Assert.True(QuietRule.Evaluate("n8n:office-hours", 0, [20, 20, 20, 20, 20, 20, 20], Defaults).Quiet);
        // A new source with one day of history is judged by the mean over the whole baseline: 30 / 7 < 5 expected.
        Assert.False(QuietRule.Evaluate("n8n:new", 0, [30], Defaults).Quiet);
    }

    [Fact]
    public void Backfills_and_ordinary_dips_of_busy_sources_are_not_flagged()
    {
        int[] busy = [50, 50, 50, 50, 50, 50, 50];
        Assert.True(QuietRule.Evaluate("n8n:busy", 0, busy, Defaults).Quiet);
        Assert.False(QuietRule.Evaluate("backfill:sms_audit", 0, busy, Defaults).Quiet);
        Assert.False(QuietRule.Evaluate("ui:note-add", 0, busy, new QuietOptions { IgnoreSourcePrefixes = ["ui:"] }).Quiet);

        // 100 expected, 60 seen: very unlikely for a Poisson process, but real traffic varies more than that.
        var verdict = QuietRule.Evaluate("n8n:busy", 60, [100, 100, 100, 100, 100, 100, 100], Defaults);
        Assert.True(verdict.Probability < Defaults.MaxProbability);
        Assert.False(verdict.Quiet);
    }

    [Fact]
    public void The_poisson_tail_is_exact_for_small_counts_and_finite_for_large_ones()
    {
        Assert.Equal(Math.Exp(-12), QuietRule.PoissonCdf(0, 12), 1e-12);
        Assert.Equal(Math.Exp(-3) * (1 + 3 + 4.5), QuietRule.PoissonCdf(2, 3), 1e-12);
        var large = QuietRule.PoissonCdf(900, 1000);
        Assert.InRange(large, 1e-4, 1e-2); // about 0.0010: exp(-1000) alone would underflow to 0
        Assert.True(QuietRule.PoissonCdf(100, 1000) < 1e-200);
    }
}
