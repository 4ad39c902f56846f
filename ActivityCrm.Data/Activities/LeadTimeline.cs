using System.Buffers.Text;
using System.Globalization;
using System.Text;
using Npgsql;

namespace ActivityCrm.Data.Activities;

/// <summary>A position in a newest-first timeline: the (timestamp, id) of the last event already seen.</summary>
public sealed record TimelineCursor(DateTimeOffset Timestamp, Guid Id)
{
    public static TimelineCursor Of(ActivityRow row) => new(row.Timestamp, row.Id);

    /// <summary>Opaque to clients (base64url of "utc ticks.id"): they hand it back, they never build one.</summary>
    public string Encode() =>
        Base64Url.EncodeToString(Encoding.ASCII.GetBytes($"{Timestamp.UtcTicks.ToString(CultureInfo.InvariantCulture)}.{Id:N}"));

    public static bool TryDecode(string? text, out TimelineCursor? cursor)
    {
        cursor = null;
        if (string.IsNullOrWhiteSpace(text) || text.Length > 80) return false;
        try
        {
            var parts = Encoding.ASCII.GetString(Base64Url.DecodeFromChars(text)).Split('.');
            if (parts.Length != 2 || !long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var ticks)
                || ticks < DateTimeOffset.MinValue.UtcTicks || ticks > DateTimeOffset.MaxValue.UtcTicks
                || !Guid.TryParseExact(parts[1], "N", out var id))
                return false;
            cursor = new TimelineCursor(new DateTimeOffset(ticks, TimeSpan.Zero), id);
            return true;
        }
        catch (FormatException)
        {
            return false;
        }
    }
}

/// <param name="Categories">Only these event categories (none: all).</param>
/// <param name="Search">Words to find in the description or message (substring, or full-text with stemming).</param>
/// <param name="After">Continue after this cursor (the previous page's <see cref="TimelinePage.Next"/>).</param>
/// <param name="OnlyIds">Restrict to these events: tells a live screen which new events match its filters.</param>
public sealed record TimelineQuery(Guid LeadId, IReadOnlyCollection<string>? Categories = null, string? Search = null,
    TimelineCursor? After = null, int Limit = LeadTimeline.DefaultPageSize, IReadOnlyCollection<Guid>? OnlyIds = null);

/// <param name="Next">Where the next (older) page starts; null when this page reached the lead's first event.</param>
public sealed record TimelinePage(IReadOnlyList<ActivityRow> Items, TimelineCursor? Next);

/// <summary>
/// A lead's events, newest first, one keyset page at a time: (timestamp, id) below the cursor, read along
/// ix_activity_lead_time (lead_id, timestamp DESC, id DESC), so page 500 costs what page 1 costs and events
/// arriving meanwhile never shift a page (no gaps, no repeats, unlike OFFSET). Used by the lead page, the
/// timeline API and the benchmark, so all three measure and show the same thing.
/// </summary>
public static class LeadTimeline
{
    public const int DefaultPageSize = 100;
    public const int MaxPageSize = 500;
    public const int MaxSearchLength = 200;

    public static async Task<TimelinePage> ReadAsync(NpgsqlDataSource dataSource, TimelineQuery query, CancellationToken ct = default)
    {
        var limit = Math.Clamp(query.Limit, 1, MaxPageSize);
        await using var cmd = dataSource.CreateCommand();
        var where = new StringBuilder("a.lead_id = @lead");
        cmd.Parameters.AddWithValue("lead", query.LeadId);
        if (query.After is { } after)
        {
            // A row comparison, so PostgreSQL turns it into one index range bound instead of a filter.
            where.Append(" AND (a.\"timestamp\", a.id) < (@after_ts, @after_id)");
            cmd.Parameters.AddWithValue("after_ts", after.Timestamp.ToUniversalTime());
            cmd.Parameters.AddWithValue("after_id", after.Id);
        }
        if (query.Categories is { Count: > 0 } categories)
        {
            where.Append(" AND a.event_category = ANY(@categories)");
            cmd.Parameters.AddWithValue("categories", categories.ToArray());
        }
        if (query.OnlyIds is { } ids)
        {
            where.Append(" AND a.id = ANY(@ids)");
            cmd.Parameters.AddWithValue("ids", ids.ToArray());
        }
        if (Normalise(query.Search) is { } search)
        {
            // Substring matches what the user typed literally; full-text (prefix, stemmed) also finds
            // "replied" for "reply". Within one lead's history both are filters on an index range.
            where.Append(" AND (a.description ILIKE @like OR a.message_content ILIKE @like");
            cmd.Parameters.AddWithValue("like", "%" + EscapeLike(search) + "%");
            if (PrefixQuery(search) is { } tsquery)
            {
                where.Append(" OR a.search_vector @@ to_tsquery('english', @tsquery)");
                cmd.Parameters.AddWithValue("tsquery", tsquery);
            }
            where.Append(')');
        }
        cmd.CommandText = $"""
            SELECT {ActivityRows.SelectColumns}
            FROM {ActivityRows.FromJoins}
            WHERE {where}
            ORDER BY a."timestamp" DESC, a.id DESC
            LIMIT {limit + 1}
            """;
        var rows = await ActivityRows.ReadAllAsync(cmd, ct);
        if (rows.Count <= limit) return new TimelinePage(rows, null);
        rows.RemoveAt(limit);
        return new TimelinePage(rows, TimelineCursor.Of(rows[^1]));
    }

    /// <summary>Trimmed search text, or null when there is nothing to search for.</summary>
    public static string? Normalise(string? search) =>
        search?.Trim() is { Length: > 0 } s ? (s.Length > MaxSearchLength ? s[..MaxSearchLength] : s) : null;

    private static string EscapeLike(string s) => s.Replace(@"\", @"\\").Replace("%", @"\%").Replace("_", @"\_");

    /// <summary>"call back" → "call:* &amp; back:*"; only letters and digits reach to_tsquery, so no input can break its syntax.</summary>
    private static string? PrefixQuery(string search)
    {
        var words = search.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(w => new string(w.Where(char.IsLetterOrDigit).ToArray()))
            .Where(w => w.Length > 0).Take(8).Select(w => w + ":*").ToList();
        return words.Count == 0 ? null : string.Join(" & ", words);
    }
}
