using System.Globalization;
using System.Text;

namespace ActivityCrm.Bench;

public sealed record Figure(string Section, string What, string Value, string Budget, bool? Met, string Note = "");

/// <summary>Collects figures, prints them as they come, and writes docs/benchmarks.md.</summary>
public sealed class Report
{
    private readonly List<Figure> _figures = [];
    public IReadOnlyList<Figure> Figures => _figures;

    public void Add(Figure f)
    {
        _figures.Add(f);
        var verdict = f.Met switch { true => "ok", false => "MISSED", null => "" };
        Console.WriteLine($"  [{f.Section}] {f.What}: {f.Value}{(f.Budget.Length > 0 ? $" (budget {f.Budget}) {verdict}" : "")}{(f.Note.Length > 0 ? $" — {f.Note}" : "")}");
    }

    public static string Ms(double v) => v.ToString(v < 10 ? "0.00" : "0.0", CultureInfo.InvariantCulture) + " ms";
    public static string Rate(double v) => v.ToString("N0", CultureInfo.InvariantCulture) + "/s";
    public static string Dist(Samples s) => $"median {Ms(s.Median)}, p95 {Ms(s.P95)}";

    /// <summary>How far a figure is from PostgreSQL's own limit for the same answer, measured in the same run.</summary>
    public static string Ratio(Samples ours, Samples limit) =>
        $"{ours.Median / limit.Median:N1}× PostgreSQL's bare index scan (median {Ms(limit.Median)}, p95 {Ms(limit.P95)})";

    public string ToMarkdown(string command, string machine, TimeSpan elapsed, IEnumerable<string> notes)
    {
        var sb = new StringBuilder();
        sb.AppendLine("# Benchmarks");
        sb.AppendLine();
        sb.AppendLine("Produced by `ActivityCrm.Bench` (numbers are measured, never edited by hand). Re-run with:");
        sb.AppendLine();
        sb.AppendLine($"```bash\n{command}\n```");
        sb.AppendLine();
        sb.AppendLine($"- **Date:** {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC; whole run {elapsed.TotalMinutes:N1} min");
        sb.AppendLine($"- **Machine:** {machine}");
        sb.AppendLine("- Server-side read timings call the same query code the pages and APIs use, in-process against the");
        sb.AppendLine("  benchmark's PostgreSQL; HTTP figures go through the real app process on loopback.");
        foreach (var n in notes) sb.AppendLine($"- {n}");
        foreach (var section in _figures.GroupBy(f => f.Section))
        {
            sb.AppendLine();
            sb.AppendLine($"## {section.Key}");
            sb.AppendLine();
            sb.AppendLine("| what | measured | budget | met | note |");
            sb.AppendLine("|---|---|---|---|---|");
            foreach (var f in section)
                sb.AppendLine($"| {f.What} | {f.Value} | {f.Budget} | {f.Met switch { true => "yes", false => "**no**", null => "" }} | {f.Note} |");
        }
        return sb.ToString();
    }
}
