namespace ActivityCrm.Data.Health;

/// <summary>Thresholds of the quiet-source rule (configuration section Health:Quiet).</summary>
public sealed class QuietOptions
{
    /// <summary>How many previous days supply the baseline (the same hour on each).</summary>
    public int BaselineDays { get; set; } = 7;

    /// <summary>Sources expected to send fewer events than this in the hour are never flagged: silence is normal for them.</summary>
    public double MinExpected { get; set; } = 5;

    /// <summary>Flag when seeing this few events, if the source behaved as usual, is less likely than this.</summary>
    public double MaxProbability { get; set; } = 0.001;

    /// <summary>...and the hour brought at most this share of the expected count (guards busy sources, whose real
    /// traffic varies more than a Poisson process, against being flagged for an ordinary dip).</summary>
    public double MaxRatio { get; set; } = 0.25;

    /// <summary>Source prefixes never flagged, besides backfill: (one-off imports have no "usual rate"), e.g. ui: when
    /// staff work irregular hours.</summary>
    public string[] IgnoreSourcePrefixes { get; set; } = [];
}

public readonly record struct QuietVerdict(bool Quiet, double Expected, int Observed, double Probability);

/// <summary>
/// Has a source gone quiet relative to its usual rate? The expected count for the last 60 minutes is the mean
/// of the same 60 minutes on each of the previous <see cref="QuietOptions.BaselineDays"/> days (so a workflow
/// that only sends during office hours is compared with its own office hours, not with its nights). The source
/// is flagged when at least <see cref="QuietOptions.MinExpected"/> events were expected, the hour brought at
/// most <see cref="QuietOptions.MaxRatio"/> of them, and the Poisson probability of so few events,
/// P(X ≤ observed | λ = expected), is below <see cref="QuietOptions.MaxProbability"/>.
/// E.g. with the defaults: 12 expected and 0 seen (p = 6·10⁻⁶) is quiet; 4 expected and 0 seen is not judged.
/// </summary>
public static class QuietRule
{
    public static QuietVerdict Evaluate(SourceHealth source, QuietOptions options) =>
        Evaluate(source.Source, source.LastHour, source.SameHourBefore, options);

    /// <param name="observed">Events in the last 60 minutes.</param>
    /// <param name="sameHourBefore">Events in the same 60 minutes one, two, ... days earlier.</param>
    public static QuietVerdict Evaluate(string source, int observed, IReadOnlyList<int> sameHourBefore, QuietOptions options)
    {
        if (SourceHealth.KindOf(source) == SourceKind.Backfill || options.IgnoreSourcePrefixes.Any(p => p.Length > 0 && source.StartsWith(p, StringComparison.Ordinal)))
            return new(false, 0, observed, 1);

        var days = Math.Max(1, options.BaselineDays);
        var expected = sameHourBefore.Take(days).Sum() / (double)days;

        if (expected < options.MinExpected || observed > options.MaxRatio * expected)
            return new(false, expected, observed, observed >= expected ? 1 : PoissonCdf(observed, expected));
        var p = PoissonCdf(observed, expected);
        return new(p < options.MaxProbability, expected, observed, p);
    }

    /// <summary>P(X ≤ k) for X ~ Poisson(λ), summed in log space so a large λ does not underflow.</summary>
    public static double PoissonCdf(int k, double lambda)
    {
        if (lambda <= 0) return 1;
        if (k < 0) return 0;
        var logTerm = -lambda; // log P(X = 0)
        var logSum = logTerm;
        var logLambda = Math.Log(lambda);
        for (var i = 1; i <= k; i++)
        {
            logTerm += logLambda - Math.Log(i);
            var (hi, lo) = logSum > logTerm ? (logSum, logTerm) : (logTerm, logSum);
            logSum = hi + Math.Log(1 + Math.Exp(lo - hi));
        }
        return Math.Min(1, Math.Exp(logSum));
    }
}
