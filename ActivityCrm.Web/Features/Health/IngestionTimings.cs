using System.Diagnostics;
using Microsoft.Extensions.Options;

namespace ActivityCrm.Web.Features.Health;

public sealed record LatencySummary(string Endpoint, int Requests, double P50, double P95, double P99, double Max);

/// <summary>
/// How long this instance takes to answer ingestion requests: the last <see cref="HealthOptions.LatencySamples"/>
/// requests in a ring buffer (a short lock per request: a few nanoseconds next to a database round trip),
/// summarised as nearest-rank percentiles over a recent window. Per instance by nature; nothing is stored.
/// </summary>
public sealed class IngestionTimings
{
    private readonly Lock _gate = new();
    private readonly Sample[] _ring;
    private readonly TimeProvider _clock;
    private long _written;

    public IngestionTimings(IOptions<HealthOptions> options, TimeProvider clock)
    {
        _ring = new Sample[Math.Clamp(options.Value.LatencySamples, 16, 1_000_000)];
        _clock = clock;
    }

    private readonly record struct Sample(long AtTicks, double Milliseconds, string Endpoint);

    public void Record(string endpoint, TimeSpan elapsed)
    {
        var sample = new Sample(_clock.GetUtcNow().UtcTicks, elapsed.TotalMilliseconds, endpoint);
        lock (_gate) _ring[_written++ % _ring.Length] = sample;
    }

    /// <summary>One summary per endpoint, plus "all" first; empty when no request arrived in the window.</summary>
    public IReadOnlyList<LatencySummary> Summarize(TimeSpan window)
    {
        var since = _clock.GetUtcNow().UtcTicks - window.Ticks;
        Sample[] copy;
        lock (_gate) copy = _ring[..(int)Math.Min(_written, _ring.Length)];
        var recent = copy.Where(s => s.AtTicks >= since && s.Endpoint is not null).ToList();
        if (recent.Count == 0) return [];
        var result = new List<LatencySummary> { Summary("all", recent) };
        result.AddRange(recent.GroupBy(s => s.Endpoint).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => Summary(g.Key, g.ToList())));
        return result;
    }

    private static LatencySummary Summary(string endpoint, List<Sample> samples)
    {
        var ms = samples.Select(s => s.Milliseconds).Order().ToArray();
        return new(endpoint, ms.Length, Percentile(ms, 50), Percentile(ms, 95), Percentile(ms, 99), ms[^1]);
    }

    /// <summary>"4.2 ms", "37 ms".</summary>
    public static string Format(double ms) => ms < 10 ? $"{ms:N1} ms" : $"{ms:N0} ms";

    /// <summary>Nearest rank: the smallest value with at least p% of the samples at or below it.</summary>
    public static double Percentile(double[] sorted, double p) =>
        sorted[Math.Clamp((int)Math.Ceiling(p / 100 * sorted.Length) - 1, 0, sorted.Length - 1)];
}

/// <summary>Times every request of the group it is added to (from before the API key check to the handler's result).</summary>
public sealed class IngestionTimingFilter(IngestionTimings timings) : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            return await next(context);
        }
        finally
        {
            var endpoint = (context.HttpContext.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? context.HttpContext.Request.Path.Value ?? "?";
            timings.Record(endpoint, Stopwatch.GetElapsedTime(started));
        }
    }
}
