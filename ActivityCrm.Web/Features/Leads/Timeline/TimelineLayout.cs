namespace ActivityCrm.Web.Features.Leads.Timeline;

/// <summary>One card on the timeline: a single event, or a journey (events sharing a correlation id: one n8n
/// execution, one conversation) that expands to its steps.</summary>
public sealed record TimelineGroup(IReadOnlyList<TimelineEvent> Events)
{
    public TimelineEvent Latest => Events[0];
    public bool IsJourney => Events.Count > 1;
    public string Key => IsJourney ? $"j-{Latest.Row.CorrelationId}" : $"e-{Latest.Id}";
}

public sealed record TimelineDay(DateOnly Date, string Label, IReadOnlyList<TimelineGroup> Groups);

/// <summary>Arranges loaded events (newest first) into days and cards, in the viewer's time zone.</summary>
public static class TimelineLayout
{
    /// <param name="events">Newest first, as the timeline query returns them.</param>
    public static IReadOnlyList<TimelineDay> Build(IReadOnlyList<TimelineEvent> events, TimeZoneInfo zone, DateTimeOffset now)
    {
        // A journey sits where its newest event is; its older steps are pulled into it.
        var journeys = events.Where(e => e.Row.CorrelationId is not null).GroupBy(e => e.Row.CorrelationId!.Value)
            .Where(g => g.Count() > 1).ToDictionary(g => g.Key, g => (IReadOnlyList<TimelineEvent>)g.ToList());
        var groups = new List<TimelineGroup>();
        var placed = new HashSet<Guid>();
        foreach (var e in events)
        {
            if (e.Row.CorrelationId is { } c && journeys.TryGetValue(c, out var steps))
            {
                if (placed.Add(c)) groups.Add(new TimelineGroup(steps));
            }
            else groups.Add(new TimelineGroup([e]));
        }
        var today = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(now, zone).DateTime);
        return groups.GroupBy(g => DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(g.Latest.Row.Timestamp, zone).DateTime))
            .Select(d => new TimelineDay(d.Key, DayLabel(d.Key, today), d.ToList())).ToList();
    }

    public static string DayLabel(DateOnly day, DateOnly today) =>
        day == today ? "Today"
        : day == today.AddDays(-1) ? "Yesterday"
        : day.ToString(day.Year == today.Year ? "dddd, d MMMM" : "dddd, d MMMM yyyy", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The query's order: timestamp descending, then id descending (Guid.CompareTo orders like
    /// PostgreSQL's uuid comparison), so merged live events sit exactly where a reload puts them.</summary>
    public static int NewestFirst(TimelineEvent a, TimelineEvent b)
    {
        var byTime = b.Row.Timestamp.CompareTo(a.Row.Timestamp);
        return byTime != 0 ? byTime : b.Id.CompareTo(a.Id);
    }
}
