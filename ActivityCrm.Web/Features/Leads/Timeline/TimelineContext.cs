using System.Globalization;

namespace ActivityCrm.Web.Features.Leads.Timeline;

/// <summary>What every entry renderer needs from the page: the viewer's time zone, "now" for relative
/// times, and whether the viewer may open an event on its own page (admins).</summary>
public sealed record TimelineContext(TimeZoneInfo Zone, DateTimeOffset Now, bool CanOpenEvent = false)
{
    /// <summary>Events that arrived live since the page loaded (highlighted briefly).</summary>
    public IReadOnlySet<Guid> Fresh { get; init; } = new HashSet<Guid>();

    public static TimelineContext Utc() => new(TimeZoneInfo.Utc, DateTimeOffset.UtcNow);

    public string ZoneName => Zone == TimeZoneInfo.Utc ? "UTC" : Zone.Id;

    public string Format(DateTimeOffset time, string format = "ddd d MMM yyyy, HH:mm") =>
        TimeZoneInfo.ConvertTime(time, Zone).ToString(format, CultureInfo.InvariantCulture);

    /// <summary>The browser's IANA zone id, or UTC when it is unknown here.</summary>
    public static TimeZoneInfo ZoneOrUtc(string? id)
    {
        if (string.IsNullOrWhiteSpace(id)) return TimeZoneInfo.Utc;
        try { return TimeZoneInfo.FindSystemTimeZoneById(id); }
        catch (Exception e) when (e is TimeZoneNotFoundException or InvalidTimeZoneException) { return TimeZoneInfo.Utc; }
    }
}
