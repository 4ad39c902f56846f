using System.Diagnostics;

namespace ActivityCrm.Bench;

/// <summary>Latency samples in milliseconds.</summary>
public sealed class Samples
{
    private readonly List<double> _ms = [];
    private readonly Lock _gate = new();

    public void Add(double ms) { lock (_gate) _ms.Add(ms); }
    public int Count { get { lock (_gate) return _ms.Count; } }

    public double Percentile(double p)
    {
        lock (_gate)
        {
            if (_ms.Count == 0) return double.NaN;
            var sorted = _ms.Order().ToArray();
            var rank = p / 100 * (sorted.Length - 1);
            var lo = (int)Math.Floor(rank);
            var hi = (int)Math.Ceiling(rank);
            return sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - lo);
        }
    }

    public double Median => Percentile(50);
    public double P95 => Percentile(95);
    public double P99 => Percentile(99);

    public static async Task<Samples> TimeAsync(int iterations, Func<int, Task> action, int warmup = 3)
    {
        for (var i = 0; i < warmup; i++) await action(i);
        var s = new Samples();
        for (var i = 0; i < iterations; i++)
        {
            var sw = Stopwatch.StartNew();
            await action(i);
            s.Add(sw.Elapsed.TotalMilliseconds);
        }
        return s;
    }
}

/// <summary>Runs <paramref name="clients"/> loops for <paramref name="duration"/>; each call reports how many events it stored.</summary>
public static class Load
{
    public static async Task<(double EventsPerSecond, Samples Latency, long Events)> RunAsync(int clients, TimeSpan duration, Func<int, long, Task<int>> call)
    {
        var latency = new Samples();
        long events = 0;
        var stopAt = Stopwatch.StartNew();
        var tasks = Enumerable.Range(0, clients).Select(async c =>
        {
            long n = 0;
            while (stopAt.Elapsed < duration)
            {
                var sw = Stopwatch.StartNew();
                var stored = await call(c, n++);
                latency.Add(sw.Elapsed.TotalMilliseconds);
                Interlocked.Add(ref events, stored);
            }
        }).ToArray();
        await Task.WhenAll(tasks);
        return (events / stopAt.Elapsed.TotalSeconds, latency, events);
    }
}
