using System.Globalization;

namespace ActivityCrm.Data.Analytics;

/// <summary>
/// What every analytics panel is filtered by. Dates are UTC calendar days, both ends included; null means
/// unbounded. Campaign is a campaign key (campaigns.id as text, or the slug events carry in metadata).
/// The same query-string names (from, to, client, campaign) serve the page and the CSV endpoints.
/// </summary>
public sealed record AnalyticsFilter(DateOnly? From = null, DateOnly? To = null, Guid? ClientId = null, string? Campaign = null)
{
    public static readonly AnalyticsFilter None = new();

    /// <summary>Inclusive start as an instant (UTC midnight).</summary>
    public DateTimeOffset? FromInstant => From is { } d ? new DateTimeOffset(d.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero) : null;

    /// <summary>Exclusive end as an instant (UTC midnight after the last day).</summary>
    public DateTimeOffset? ToInstantExclusive => To is { } d ? new DateTimeOffset(d.AddDays(1).ToDateTime(TimeOnly.MinValue), TimeSpan.Zero) : null;

    /// <summary>Parses query-string values; errors are keyed by the parameter name, for problem+json.</summary>
    public static (AnalyticsFilter? Filter, Dictionary<string, string[]> Errors) Parse(string? from, string? to, string? client, string? campaign)
    {
        var errors = new Dictionary<string, string[]>();
        DateOnly? ParseDate(string name, string? value)
        {
            if (string.IsNullOrWhiteSpace(value)) return null;
            if (DateOnly.TryParseExact(value.Trim(), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d)) return d;
            errors[name] = [$"{name} must be a date as yyyy-MM-dd (a UTC day)."];
            return null;
        }
        var f = ParseDate("from", from);
        var t = ParseDate("to", to);
        if (f is not null && t is not null && f > t) errors["to"] = ["to must be on or after from."];
        Guid? clientId = null;
        if (!string.IsNullOrWhiteSpace(client))
        {
            if (Guid.TryParse(client.Trim(), out var g)) clientId = g;
            else errors["client"] = ["client must be a client id (UUID)."];
        }
        var c = string.IsNullOrWhiteSpace(campaign) ? null : campaign.Trim();
        if (c is { Length: > 255 }) errors["campaign"] = ["campaign must be at most 255 characters."];
        return errors.Count > 0 ? (null, errors) : (new AnalyticsFilter(f, t, clientId, c), errors);
    }

    /// <summary>The query string that reproduces this filter (without the leading '?').</summary>
    public string ToQueryString()
    {
        var parts = new List<string>();
        if (From is { } f) parts.Add("from=" + f.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
        if (To is { } t) parts.Add("to=" + t.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
        if (ClientId is { } c) parts.Add("client=" + c);
        if (Campaign is { } k) parts.Add("campaign=" + Uri.EscapeDataString(k));
        return string.Join("&", parts);
    }
}
