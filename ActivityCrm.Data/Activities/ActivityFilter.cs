using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using ActivityCrm.Data.Entities;
using Microsoft.Extensions.Primitives;

namespace ActivityCrm.Data.Activities;

/// <summary>How a list of events is ordered. Every order ends with (timestamp, id) so keyset paging is exact.</summary>
public enum ActivitySort
{
    /// <summary>Newest first: (timestamp, id) descending. The default and the only order live rows are inserted into.</summary>
    Newest,
    Oldest,
    /// <summary>By lead name (A→Z), events of one lead newest first; events of leads not yet synced come last.</summary>
    Lead,
    /// <summary>By event type name (A→Z), newest first within a type.</summary>
    Type,
}

/// <summary>
/// What the activity browser, the read API and the CSV export are asked for. Parsed from the query
/// string by <see cref="Parse"/> (the page keeps its state in the URL with the same names, so a copied
/// link or an API call means exactly the same thing), turned into SQL by <see cref="ActivityQuery"/>, and
/// checked in memory for live rows by <see cref="MatchesExceptSearch"/> — the three live side by side so
/// they cannot drift apart.
/// </summary>
public sealed record ActivityFilter
{
    public const int DefaultLimit = 50;
    public const int MaxLimit = 500;
    public const int MaxPage = 100_000;
    public const int MaxSearchLength = 200;

    /// <summary>The relative ranges the page offers; "from" is computed when the query runs.</summary>
    public static readonly IReadOnlyDictionary<string, TimeSpan> Ranges = new Dictionary<string, TimeSpan>
    {
        ["1h"] = TimeSpan.FromHours(1), ["24h"] = TimeSpan.FromHours(24), ["7d"] = TimeSpan.FromDays(7), ["30d"] = TimeSpan.FromDays(30),
    };

    public IReadOnlyList<string> EventTypes { get; init; } = [];
    public IReadOnlyList<string> Categories { get; init; } = [];
    /// <summary>Full-text words over description and message content, or part of a lead's name or email.</summary>
    public string? Search { get; init; }
    public Guid? LeadId { get; init; }
    public string? Source { get; init; }
    public string? ActorType { get; init; }
    public Guid? ClientId { get; init; }
    public Guid? CorrelationId { get; init; }
    /// <summary>Inclusive lower bound. A date without a time means that day's 00:00 UTC.</summary>
    public DateTimeOffset? From { get; init; }
    /// <summary>Inclusive upper bound. A date without a time means the whole of that day (UTC).</summary>
    public DateTimeOffset? To { get; init; }
    /// <summary>A key of <see cref="Ranges"/> ("24h"): events since that long before the query runs. Excludes <see cref="From"/>.</summary>
    public string? Range { get; init; }
    public ActivitySort Sort { get; init; } = ActivitySort.Newest;
    public ActivityCursor? Cursor { get; init; }
    /// <summary>1-based. Without a cursor it positions by OFFSET (cost grows with the page number); with one it is only the label.</summary>
    public int Page { get; init; } = 1;
    public int Limit { get; init; } = DefaultLimit;

    public bool HasSearch => !string.IsNullOrWhiteSpace(Search);

    /// <summary>True when nothing narrows the result (paging and sort aside).</summary>
    public bool IsEmpty => EventTypes.Count == 0 && Categories.Count == 0 && !HasSearch && LeadId is null && Source is null &&
                           ActorType is null && ClientId is null && CorrelationId is null && From is null && To is null && Range is null;

    /// <summary>The lower time bound in force at <paramref name="now"/>.</summary>
    public DateTimeOffset? EffectiveFrom(DateTimeOffset now) =>
        From ?? (Range is not null && Ranges.TryGetValue(Range, out var span) ? now - span : null);

    /// <summary>The same filter on its first page (what "show new events" and a changed filter go to).</summary>
    public ActivityFilter FirstPage() => this with { Cursor = null, Page = 1 };

    /// <summary>
    /// The in-memory twin of the SQL WHERE clause, for rows pushed live. Search is left out: stemming and
    /// trigram matching are PostgreSQL's, so <see cref="ActivityQuery.MatchLiveAsync"/> asks the database for that part.
    /// </summary>
    public bool MatchesExceptSearch(ActivityRow row, DateTimeOffset now)
    {
        if (EventTypes.Count > 0 && !EventTypes.Contains(row.EventType, StringComparer.Ordinal)) return false;
        if (Categories.Count > 0 && !Categories.Contains(row.EventCategory, StringComparer.Ordinal)) return false;
        if (LeadId is { } lead && row.LeadId != lead) return false;
        if (Source is not null && !string.Equals(row.Source, Source, StringComparison.Ordinal)) return false;
        if (ActorType is not null && !string.Equals(row.ActorType, ActorType, StringComparison.Ordinal)) return false;
        if (ClientId is { } client && row.ClientId != client) return false;
        if (CorrelationId is { } correlation && row.CorrelationId != correlation) return false;
        if (EffectiveFrom(now) is { } from && row.Timestamp < from) return false;
        if (To is { } to && row.Timestamp > to) return false;
        return true;
    }

    // ---------------------------------------------------------------- query string

    /// <summary>
    /// Parses the query-string parameters (names are case-insensitive; eventType and eventCategory may
    /// repeat or hold a comma-separated list). Unknown parameters are ignored. Errors are keyed by the
    /// parameter's name so an API can answer 400 naming it.
    /// </summary>
    /// <param name="knownEventTypes">Valid event type names (activity_types) mapped to their category.</param>
    public static ActivityFilterParseResult Parse(IEnumerable<KeyValuePair<string, StringValues>> query,
        IReadOnlyDictionary<string, string> knownEventTypes)
    {
        var q = new Dictionary<string, StringValues>(StringComparer.OrdinalIgnoreCase);
        foreach (var (k, v) in query) q[k] = q.TryGetValue(k, out var existing) ? StringValues.Concat(existing, v) : v;
        var errors = new Dictionary<string, string[]>();
        void Error(string name, string message) => errors[name] = [message];

        string? Single(string name)
        {
            if (!q.TryGetValue(name, out var v)) return null;
            var values = v.Where(s => !string.IsNullOrWhiteSpace(s)).Select(s => s!.Trim()).Distinct().ToList();
            if (values.Count > 1) { Error(name, $"{name} may be given once."); return null; }
            return values.FirstOrDefault();
        }
        List<string> Many(string name) => q.TryGetValue(name, out var v)
            ? v.SelectMany(s => (s ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).Distinct().ToList()
            : [];
        Guid? Uuid(string name)
        {
            var s = Single(name);
            if (s is null) return null;
            if (Guid.TryParse(s, out var g)) return g;
            Error(name, $"{name} must be a UUID (e.g. 3f2c1a9e-8b7d-4c2e-9a51-0d6b2f1e7c44), not '{Clip(s)}'.");
            return null;
        }
        int Int(string name, int fallback, int min, int max)
        {
            var s = Single(name);
            if (s is null) return fallback;
            if (int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= min && n <= max) return n;
            Error(name, $"{name} must be a whole number from {min} to {max}, not '{Clip(s)}'.");
            return fallback;
        }

        var types = Many("eventType");
        foreach (var t in types.Where(t => !knownEventTypes.ContainsKey(t)).Take(1))
            Error("eventType", $"Unknown eventType '{Clip(t)}'. Valid types: {string.Join(", ", knownEventTypes.Keys.Order(StringComparer.Ordinal))}.");
        var knownCategories = knownEventTypes.Values.Concat(EventCategories.All).ToHashSet(StringComparer.Ordinal);
        var categories = Many("eventCategory");
        foreach (var c in categories.Where(c => !knownCategories.Contains(c)).Take(1))
            Error("eventCategory", $"Unknown eventCategory '{Clip(c)}'. Valid categories: {string.Join(", ", knownCategories.Order(StringComparer.Ordinal))}.");

        var search = Single("search");
        if (search is { Length: > MaxSearchLength }) Error("search", $"search must be at most {MaxSearchLength} characters.");
        var source = Single("source");
        if (source is { Length: > 100 }) Error("source", "source must be at most 100 characters.");
        var actorType = Single("actorType");
        if (actorType is not null && !ActorTypes.All.Contains(actorType))
            Error("actorType", $"actorType must be one of {string.Join(", ", ActorTypes.All)}, not '{Clip(actorType)}'.");

        var from = Date("dateFrom", endOfDay: false);
        var to = Date("dateTo", endOfDay: true);
        if (from is not null && to is not null && from > to) Error("dateTo", "dateTo must not be before dateFrom.");
        var range = Single("range");
        if (range is not null && !Ranges.ContainsKey(range))
            Error("range", $"range must be one of {string.Join(", ", Ranges.Keys)}, not '{Clip(range)}'.");
        else if (range is not null && from is not null)
            Error("range", "Give either range or dateFrom, not both.");

        var sortText = Single("sort");
        var sort = ActivitySort.Newest;
        if (sortText is not null && !TryParseSort(sortText, out sort))
            Error("sort", $"sort must be one of newest, oldest, lead, type, not '{Clip(sortText)}'.");

        var limit = Int("limit", DefaultLimit, 1, MaxLimit);
        var page = Int("page", 1, 1, MaxPage);
        ActivityCursor? cursor = null;
        if (Single("cursor") is { } cursorText)
        {
            if (!ActivityCursor.TryDecode(cursorText, out cursor))
                Error("cursor", "cursor is not a cursor this API issued (copy nextCursor or prevCursor from a response).");
            else if (cursor!.Sort != sort)
                Error("cursor", $"cursor was issued for sort={SortName(cursor.Sort)}; repeat that sort or start without a cursor.");
        }

        var filter = new ActivityFilter
        {
            EventTypes = types, Categories = categories, Search = string.IsNullOrWhiteSpace(search) ? null : search,
            LeadId = Uuid("leadId"), Source = source, ActorType = actorType, ClientId = Uuid("clientId"),
            CorrelationId = Uuid("correlationId"), From = from, To = to, Range = range, Sort = sort, Cursor = cursor, Page = page, Limit = limit,
        };
        return new ActivityFilterParseResult(errors.Count == 0 ? filter : null, errors);

        DateTimeOffset? Date(string name, bool endOfDay)
        {
            var s = Single(name);
            if (s is null) return null;
            if (TryParseDate(s, endOfDay, out var value)) return value;
            Error(name, $"{name} must be an ISO-8601 date (2026-12-01, a whole UTC day) or date-time (2026-12-01T15:30:00Z, " +
                        $"2026-12-01T15:30:00+02:00; no offset means UTC), not '{Clip(s)}'.");
            return null;
        }
    }

    /// <summary>The query string (without "?") that <see cref="Parse"/> reads back into this filter; defaults are left out.</summary>
    public string ToQueryString(bool includePaging = true)
    {
        var parts = new List<(string, string)>();
        foreach (var t in EventTypes) parts.Add(("eventType", t));
        foreach (var c in Categories) parts.Add(("eventCategory", c));
        if (HasSearch) parts.Add(("search", Search!));
        if (LeadId is { } lead) parts.Add(("leadId", lead.ToString()));
        if (Source is not null) parts.Add(("source", Source));
        if (ActorType is not null) parts.Add(("actorType", ActorType));
        if (ClientId is { } client) parts.Add(("clientId", client.ToString()));
        if (CorrelationId is { } correlation) parts.Add(("correlationId", correlation.ToString()));
        if (Range is not null) parts.Add(("range", Range));
        if (From is { } from) parts.Add(("dateFrom", FormatDate(from, endOfDay: false)));
        if (To is { } to) parts.Add(("dateTo", FormatDate(to, endOfDay: true)));
        if (Sort != ActivitySort.Newest) parts.Add(("sort", SortName(Sort)));
        if (includePaging)
        {
            if (Page > 1) parts.Add(("page", Page.ToString(CultureInfo.InvariantCulture)));
            if (Cursor is not null) parts.Add(("cursor", Cursor.Encode()));
            if (Limit != DefaultLimit) parts.Add(("limit", Limit.ToString(CultureInfo.InvariantCulture)));
        }
        return string.Join('&', parts.Select(p => $"{p.Item1}={Uri.EscapeDataString(p.Item2)}"));
    }

    /// <summary>A short, file-name-safe summary of what is filtered ("SMS", "MESSAGE_SENT+OPT_OUT_search-pricing", "all").</summary>
    public string Describe(int maxLength = 60)
    {
        var parts = new List<string>();
        if (Categories.Count > 0) parts.Add(string.Join('+', Categories));
        if (EventTypes.Count > 0) parts.Add(string.Join('+', EventTypes));
        if (HasSearch) parts.Add("search-" + Search);
        if (LeadId is { } lead) parts.Add("lead-" + lead.ToString("N")[..8]);
        if (Source is not null) parts.Add(Source);
        if (ActorType is not null) parts.Add(ActorType);
        if (ClientId is { } client) parts.Add("client-" + client.ToString("N")[..8]);
        if (CorrelationId is { } correlation) parts.Add("correlation-" + correlation.ToString("N")[..8]);
        if (Range is not null) parts.Add("last-" + Range);
        if (From is { } from) parts.Add("from-" + FormatDate(from, false).Replace(":", ""));
        if (To is { } to) parts.Add("to-" + FormatDate(to, true).Replace(":", ""));
        var text = parts.Count == 0 ? "all" : string.Join('_', parts);
        var safe = new StringBuilder(text.Length);
        foreach (var ch in text) safe.Append(char.IsAsciiLetterOrDigit(ch) || ch is '-' or '_' or '+' or '.' ? ch : '-');
        var result = Regex.Replace(safe.ToString(), "-{2,}", "-").Trim('-', '_');
        return result.Length <= maxLength ? result : result[..maxLength].TrimEnd('-', '_');
    }

    public static string SortName(ActivitySort sort) => sort.ToString().ToLowerInvariant();

    public static bool TryParseSort(string text, out ActivitySort sort)
    {
        sort = ActivitySort.Newest;
        return text.Length > 0 && char.IsAsciiLetter(text[0]) && Enum.TryParse(text, ignoreCase: true, out sort) && Enum.IsDefined(sort);
    }

    private static readonly Regex DateOnly = new(@"^\d{4}-\d{2}-\d{2}$", RegexOptions.CultureInvariant);
    private static readonly Regex DateTimeIso = new(@"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,7})?)?(Z|z|[+-]\d{2}:?\d{2})?$", RegexOptions.CultureInvariant);

    /// <summary>ISO-8601 only. A date is a UTC day (its start, or with <paramref name="endOfDay"/> its last microsecond);
    /// a date-time without an offset is UTC. A '+' decoded to a space by a careless client is read back as '+'.</summary>
    public static bool TryParseDate(string text, bool endOfDay, out DateTimeOffset value)
    {
        value = default;
        text = text.Trim();
        if (DateOnly.IsMatch(text))
        {
            if (!DateTime.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day)) return false;
            var start = new DateTimeOffset(day, TimeSpan.Zero);
            value = endOfDay ? start.AddDays(1).AddTicks(-10) : start;
            return true;
        }
        if (text.Length > 19 && text[^6] == ' ' && text[10] == 'T') text = text[..^6] + "+" + text[^5..];
        if (!DateTimeIso.IsMatch(text)) return false;
        if (!DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out value)) return false;
        // PostgreSQL keeps microseconds; a finer value would compare differently in SQL and in memory.
        value = new DateTimeOffset(value.Ticks - value.Ticks % 10, TimeSpan.Zero);
        return true;
    }

    private static string FormatDate(DateTimeOffset value, bool endOfDay)
    {
        var utc = value.ToUniversalTime();
        if (!endOfDay && utc.TimeOfDay == TimeSpan.Zero) return utc.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        if (endOfDay && utc.AddTicks(10).TimeOfDay == TimeSpan.Zero) return utc.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        return utc.ToString(utc.Ticks % TimeSpan.TicksPerSecond == 0 ? "yyyy-MM-dd'T'HH:mm:ss'Z'" : "yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture);
    }

    private static string Clip(string s) => s.Length <= 60 ? s : s[..60] + "…";
}

public sealed record ActivityFilterParseResult(ActivityFilter? Filter, IReadOnlyDictionary<string, string[]> Errors)
{
    public bool Ok => Filter is not null;
}
