namespace ActivityCrm.Web.Features.Analytics;

/// <summary>A panel's figures, or why there are none: loading (both null) or the error to show.</summary>
public sealed record PanelData<T>(T? Value, string? Error) where T : class
{
    public static readonly PanelData<T> Pending = new(null, null);
    public bool Loading => Value is null && Error is null;
}

/// <summary>One bar, column or point of a chart.</summary>
public sealed record ChartPoint(string Label, double Value, string Tooltip = "");

public static class AnalyticsFormat
{
    public static string Percent(double? rate) => rate is { } r ? (r * 100).ToString(r is > 0 and < 0.1 ? "0.#" : "0") + "%" : "–";
    public static string PercentAxis(object value) => $"{value:0}%";
    public static string Count(long n) => n.ToString("N0");
    public static string Plural(long n, string one, string many) => $"{n:N0} {(n == 1 ? one : many)}";

    /// <summary>Room on the left of a horizontal bar chart for its longest label (Radzen does not measure them).</summary>
    public static double BarLabelMargin(IEnumerable<string> labels) => Math.Clamp(12 + 7.2 * labels.DefaultIfEmpty("").Max(l => l.Length), 40, 240);
}
