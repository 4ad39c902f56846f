using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using Npgsql;
using NpgsqlTypes;

namespace ActivityCrm.Data.Activities;

public enum ActivityTotalKind
{
    Exact,
    /// <summary>More rows than the count was allowed to touch, and the planner's estimate is not above that.</summary>
    AtLeast,
    /// <summary>The planner's estimate (from table statistics); shown as "about 2.4 M".</summary>
    Estimate,
}

public readonly record struct ActivityTotal(long Value, ActivityTotalKind Kind)
{
    public bool IsExact => Kind == ActivityTotalKind.Exact;

    /// <summary>"1,234", "10,000+" or "about 2.4 M".</summary>
    public string Display => Kind switch
    {
        ActivityTotalKind.Exact => Value.ToString("N0", CultureInfo.InvariantCulture),
        ActivityTotalKind.AtLeast => Value.ToString("N0", CultureInfo.InvariantCulture) + "+",
        _ => "about " + Compact(Value),
    };

    private static string Compact(long n) => n switch
    {
        >= 1_000_000_000 => (n / 1e9).ToString("0.#", CultureInfo.InvariantCulture) + " B",
        >= 1_000_000 => (n / 1e6).ToString("0.#", CultureInfo.InvariantCulture) + " M",
        >= 10_000 => (n / 1e3).ToString("0", CultureInfo.InvariantCulture) + " k",
        _ => n.ToString("N0", CultureInfo.InvariantCulture),
    };
}

/// <param name="NextCursor">Continues with older rows (in the sort's order); null on the last page.</param>
/// <param name="PrevCursor">Goes back towards the first page; null on the first page.</param>
public sealed record ActivityPage(IReadOnlyList<ActivityRow> Rows, ActivityTotal Total, ActivityCursor? NextCursor,
    ActivityCursor? PrevCursor, int Page, int Limit);

/// <summary>
/// The activity browser's reads, shared by the page, the read API, the CSV export and the benchmark.
/// Pages are keyset-paged on the sort key ending in (timestamp, id), so page 200 reached by cursor costs
/// what page 1 costs; only page=N without a cursor falls back to OFFSET. Totals never count millions:
/// an exact count up to <see cref="CountCap"/>, beyond that the planner's estimate.
/// </summary>
public static class ActivityQuery
{
    /// <summary>Counting stops here; above it the total is an estimate.</summary>
    public const int CountCap = 10_000;

    /// <summary>One page of events and its total, in one round trip (two when the total is estimated).</summary>
    public static async Task<ActivityPage> PageAsync(NpgsqlDataSource dataSource, ActivityFilter filter, DateTimeOffset? now = null,
        CancellationToken ct = default)
    {
        var at = now ?? DateTimeOffset.UtcNow;
        var limit = filter.Limit;
        var before = filter.Cursor?.Before == true;
        var offset = filter.Cursor is null ? (long)(filter.Page - 1) * limit : 0;

        // sort=lead reads in two segments: leads by name, then the events of leads not yet synced (orphans).
        // A cursor says which segment it is in; "before" cursors read the segments backwards.
        LeadGroup[] segments = filter.Sort != ActivitySort.Lead ? [LeadGroup.All]
            : filter.Cursor is null ? [LeadGroup.Synced, LeadGroup.Orphans]
            : (filter.Cursor.Key is not null, before) switch
            {
                (true, false) => new[] { LeadGroup.Synced, LeadGroup.Orphans },
                (true, true) => [LeadGroup.Synced],
                (false, false) => [LeadGroup.Orphans],
                (false, true) => [LeadGroup.Orphans, LeadGroup.Synced],
            };

        await using var conn = await dataSource.OpenConnectionAsync(ct);
        var rows = new List<ActivityRow>();
        long estimate;
        await using (var batch = new NpgsqlBatch(conn))
        {
            batch.BatchCommands.Add(PageCommand(filter, at, segments[0], limit + 1, offset));
            batch.BatchCommands.Add(EstimateCommand(filter, at));
            await using var r = await batch.ExecuteReaderAsync(ct);
            while (await r.ReadAsync(ct)) rows.Add(ActivityRows.Read(r));
            await r.NextResultAsync(ct);
            await r.ReadAsync(ct);
            using var plan = JsonDocument.Parse(r.GetString(0));
            estimate = (long)plan.RootElement[0].GetProperty("Plan").GetProperty("Plan Rows").GetDouble();
        }
        for (var s = 1; s < segments.Length && rows.Count <= limit; s++)
        {
            // The cursor belongs to the previous segment: this one starts at its own beginning (or end, going back).
            var segmentOffset = offset > 0 && rows.Count == 0 ? offset - await CountSegmentAsync(conn, filter, at, segments[0], offset, ct) : 0;
            var segmentFilter = filter.Cursor is null ? filter : filter with { Cursor = null };
            await using var cmd = ToCommand(conn, PageCommand(segmentFilter, at, segments[s], limit + 1 - rows.Count, segmentOffset, reverse: before));
            await using var r = await cmd.ExecuteReaderAsync(ct);
            var extra = new List<ActivityRow>();
            while (await r.ReadAsync(ct)) extra.Add(ActivityRows.Read(r));
            rows = before ? [.. extra, .. rows] : [.. rows, .. extra];
        }

        var more = rows.Count > limit;
        if (more) rows = before ? rows[1..] : rows[..limit];

        ActivityCursor? next, prev;
        if (before)
        {
            next = rows.Count > 0 ? ActivityCursor.At(rows[^1], filter.Sort, before: false) : null;
            prev = more && rows.Count > 0 ? ActivityCursor.At(rows[0], filter.Sort, before: true) : null;
        }
        else
        {
            next = more ? ActivityCursor.At(rows[^1], filter.Sort, before: false) : null;
            prev = (filter.Cursor is not null || offset > 0) && rows.Count > 0 ? ActivityCursor.At(rows[0], filter.Sort, before: true) : null;
        }
        var page = before && prev is null ? 1 : filter.Page;

        ActivityTotal total;
        // The last page reached by page number (or the only page) knows the total without any counting.
        if (filter.Cursor is null && !more && (offset == 0 || rows.Count > 0))
            total = new(offset + rows.Count, ActivityTotalKind.Exact);
        else if (estimate > CountCap)
            total = new(estimate, ActivityTotalKind.Estimate);
        else
        {
            // The planner expects few rows: count them, but never more than the cap (it can be wrong).
            await using var cmd = ToCommand(conn, CountCommand(filter, at));
            var counted = (long)(await cmd.ExecuteScalarAsync(ct))!;
            total = counted > CountCap ? new(CountCap, ActivityTotalKind.AtLeast) : new(counted, ActivityTotalKind.Exact);
        }
        return new ActivityPage(rows, total, next, prev, page, limit);
    }

    /// <summary>
    /// Every matching row in the filter's order, read as PostgreSQL sends it (nothing is collected), for
    /// the CSV export. The filter's cursor and paging are ignored.
    /// </summary>
    public static async IAsyncEnumerable<ActivityRow> StreamAsync(NpgsqlDataSource dataSource, ActivityFilter filter, DateTimeOffset? now = null,
        [EnumeratorCancellation] CancellationToken ct = default)
    {
        var sql = new Sql();
        var where = sql.Where(filter with { Cursor = null }, now ?? DateTimeOffset.UtcNow);
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        await using var cmd = new NpgsqlCommand(
            $"SELECT {ActivityRows.SelectColumns} FROM {ActivityRows.FromJoins} WHERE {where} ORDER BY {FinalOrder(filter.Sort)}", conn);
        cmd.Parameters.AddRange(sql.Parameters.ToArray());
        // A sorted export of millions of rows can take a while to start; the client's disconnect cancels it.
        cmd.CommandTimeout = 0;
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct)) yield return ActivityRows.Read(r);
    }

    /// <summary>Which of <paramref name="ids"/> the filter matches, decided by the same SQL the pages run.</summary>
    public static async Task<HashSet<Guid>> MatchingIdsAsync(NpgsqlDataSource dataSource, ActivityFilter filter, IReadOnlyCollection<Guid> ids,
        DateTimeOffset? now = null, CancellationToken ct = default)
    {
        var found = new HashSet<Guid>();
        if (ids.Count == 0) return found;
        var sql = new Sql();
        var where = sql.Where(filter with { Cursor = null }, now ?? DateTimeOffset.UtcNow);
        var idsParam = sql.Add(ids.ToArray(), NpgsqlDbType.Array | NpgsqlDbType.Uuid);
        await using var cmd = dataSource.CreateCommand($"SELECT a.id FROM lead_activity_log a WHERE a.id = ANY({idsParam}) AND {where}");
        cmd.Parameters.AddRange(sql.Parameters.ToArray());
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct)) found.Add(r.GetGuid(0));
        return found;
    }

    /// <summary>
    /// The rows of a live push that belong to the filter: checked in memory, except a search, which only
    /// PostgreSQL can decide (stemming, trigrams) and costs one indexed lookup of the pushed ids.
    /// </summary>
    public static async Task<IReadOnlyList<ActivityRow>> MatchLiveAsync(NpgsqlDataSource dataSource, ActivityFilter filter,
        IReadOnlyList<ActivityRow> rows, DateTimeOffset? now = null, CancellationToken ct = default)
    {
        var at = now ?? DateTimeOffset.UtcNow;
        var candidates = rows.Where(r => filter.MatchesExceptSearch(r, at)).ToList();
        if (!filter.HasSearch || candidates.Count == 0) return candidates;
        var ids = await MatchingIdsAsync(dataSource, new ActivityFilter { Search = filter.Search }, candidates.Select(c => c.Id).ToList(), at, ct);
        return candidates.Where(c => ids.Contains(c.Id)).ToList();
    }

    /// <summary>The first and last name of each lead (the read API returns them as the PRD's lead object does).</summary>
    public static async Task<Dictionary<Guid, (string? FirstName, string? LastName)>> LeadNamesAsync(NpgsqlDataSource dataSource,
        IEnumerable<Guid> leadIds, CancellationToken ct = default)
    {
        var ids = leadIds.Distinct().ToArray();
        var map = new Dictionary<Guid, (string?, string?)>();
        if (ids.Length == 0) return map;
        await using var cmd = dataSource.CreateCommand("SELECT id, first_name, last_name FROM leads WHERE id = ANY(@ids)");
        cmd.Parameters.AddWithValue("ids", ids);
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct)) map[r.GetGuid(0)] = (r.IsDBNull(1) ? null : r.GetString(1), r.IsDBNull(2) ? null : r.GetString(2));
        return map;
    }

    /// <summary>An ILIKE pattern for "contains <paramref name="text"/>", with % _ and \ taken literally.</summary>
    internal static string ContainsPattern(string text)
    {
        var b = new StringBuilder(text.Length + 2).Append('%');
        foreach (var ch in text)
        {
            if (ch is '%' or '_' or '\\') b.Append('\\');
            b.Append(ch);
        }
        return b.Append('%').ToString();
    }

    // ------------------------------------------------------------------ SQL

    private enum LeadGroup { All, Synced, Orphans }

    private enum SearchPart { Both, Words, Leads }

    /// <summary>
    /// Chooses the shape PostgreSQL can answer from an index without sorting the whole match:
    /// - several event types or categories, newest/oldest first: one index range per value (unnest + LATERAL), merged;
    /// - sort=lead: leads in name order, each lead's events from (lead_id, timestamp, id), stopping at the limit;
    /// - otherwise one ordered scan with the filters and the keyset condition.
    /// Phase one picks the ids; phase two joins the columns for just those rows.
    /// </summary>
    private static NpgsqlBatchCommand PageCommand(ActivityFilter filter, DateTimeOffset now, LeadGroup group, int take, long offset, bool reverse = false)
    {
        var sql = new Sql();
        var cursor = filter.Cursor;
        var flip = reverse || cursor?.Before == true;
        var limit = sql.Add((long)take, NpgsqlDbType.Bigint);
        var off = sql.Add(offset, NpgsqlDbType.Bigint);
        string ids;

        if (group == LeadGroup.Synced)
        {
            // With few matches PostgreSQL sorts them; with many it walks leads in name order and each lead's
            // events through (lead_id, timestamp, id), stopping at the limit. Either way the leads are sorted by
            // name first, which costs in proportion to the number of leads (there is no index on the name's order).
            var keyset = "";
            if (cursor is { Key: not null })
            {
                var name = sql.Add(cursor.Key, NpgsqlDbType.Text);
                var lead = sql.Add(Guid.Parse(cursor.LeadKey!), NpgsqlDbType.Uuid);
                keyset = $"AND (l.full_name, l.id) {(flip ? "<=" : ">=")} ({name}, {lead}) AND (l.id <> {lead} OR {TimeKeyset(sql, cursor, descending: !flip)})";
            }
            var dir = flip ? "DESC" : "ASC";
            var evDir = flip ? "ASC" : "DESC";
            ids = $"""
                SELECT a.id FROM lead_activity_log a JOIN leads l ON l.id = a.lead_id
                WHERE {sql.Where(filter with { Cursor = null }, now)} {keyset}
                ORDER BY l.full_name {dir}, l.id {dir}, a."timestamp" {evDir}, a.id {evDir} LIMIT {limit} OFFSET {off}
                """;
        }
        else if (group == LeadGroup.Orphans)
        {
            var where = sql.Where(filter with { Cursor = null }, now);
            var keyset = "";
            if (cursor is { Key: null })
            {
                var airtable = sql.Add(cursor.LeadKey!, NpgsqlDbType.Text);
                keyset = flip
                    ? $"AND (a.lead_airtable_id < {airtable} OR (a.lead_airtable_id = {airtable} AND {TimeKeyset(sql, cursor, descending: false)}))"
                    : $"AND (a.lead_airtable_id > {airtable} OR (a.lead_airtable_id = {airtable} AND {TimeKeyset(sql, cursor, descending: true)}))";
            }
            var dir = flip ? "DESC" : "ASC";
            var evDir = flip ? "ASC" : "DESC";
            ids = $"""
                SELECT a.id FROM lead_activity_log a WHERE a.lead_id IS NULL AND {where} {keyset}
                ORDER BY a.lead_airtable_id {dir}, a."timestamp" {evDir}, a.id {evDir} LIMIT {limit} OFFSET {off}
                """;
        }
        else
        {
            var keyset = cursor is null ? "" : "AND " + Keyset(sql, filter.Sort, cursor);
            var order = PhaseOneOrder(filter.Sort, flip);
            var fanOut = filter.Sort is ActivitySort.Newest or ActivitySort.Oldest && !filter.HasSearch
                ? filter.EventTypes.Count > 1 ? ("event_type", filter.EventTypes)
                : filter.EventTypes.Count == 0 && filter.Categories.Count > 1 ? ("event_category", filter.Categories)
                : default
                : default;
            var f = filter with { Cursor = null };
            if (sql.HasLeadSearch(f))
            {
                // "Words OR lead" as one condition would force a bitmap of every match (a common word: millions) or a
                // scan (a rare one); as two ordered branches each picks its own index and stops at the limit.
                ids = $"""
                    SELECT u.id FROM (
                        (SELECT a.id, a."timestamp", a.event_type FROM lead_activity_log a
                         WHERE {sql.Where(f, now, SearchPart.Words)} {keyset} ORDER BY {order} LIMIT {limit} + {off})
                        UNION
                        (SELECT a.id, a."timestamp", a.event_type FROM lead_activity_log a
                         WHERE {sql.Where(f, now, SearchPart.Leads)} {keyset} ORDER BY {order} LIMIT {limit} + {off})
                    ) u
                    ORDER BY {order.Replace("a.", "u.")} LIMIT {limit} OFFSET {off}
                    """;
            }
            else if (fanOut.Item1 is { } column)
            {
                // PostgreSQL (before 17) cannot read several ranges of (event_type, timestamp) in one merged order,
                // so each value gets its own ordered range and the pieces are merged here.
                var values = sql.Add(fanOut.Item2.ToArray(), NpgsqlDbType.Array | NpgsqlDbType.Text);
                var rest = sql.Where(column == "event_type" ? f with { EventTypes = [] } : f with { Categories = [] }, now);
                ids = $"""
                    SELECT x.id FROM unnest({values}) AS v(value)
                    CROSS JOIN LATERAL (
                        SELECT a.id, a."timestamp" FROM lead_activity_log a
                        WHERE a.{column} = v.value AND {rest} {keyset}
                        ORDER BY {order} LIMIT {limit} + {off}
                    ) x
                    ORDER BY {order.Replace("a.", "x.")} LIMIT {limit} OFFSET {off}
                    """;
            }
            else
            {
                ids = $"SELECT a.id FROM lead_activity_log a WHERE {sql.Where(f, now)} {keyset} ORDER BY {order} LIMIT {limit} OFFSET {off}";
            }
        }

        var cmd = new NpgsqlBatchCommand(
            $"SELECT {ActivityRows.SelectColumns} FROM ({ids}) p JOIN ({ActivityRows.FromJoins}) ON a.id = p.id ORDER BY {FinalOrder(filter.Sort)}");
        cmd.Parameters.AddRange(sql.Parameters.ToArray());
        return cmd;
    }

    /// <summary>Counts matching rows, but never more than <see cref="CountCap"/> + 1 of them.</summary>
    private static NpgsqlBatchCommand CountCommand(ActivityFilter filter, DateTimeOffset now)
    {
        var sql = new Sql();
        var f = filter with { Cursor = null };
        var cap = CountCap + 1;
        var text = sql.HasLeadSearch(f)
            ? $"""
              SELECT count(*) FROM (
                  (SELECT a.id FROM lead_activity_log a WHERE {sql.Where(f, now, SearchPart.Words)} LIMIT {cap})
                  UNION
                  (SELECT a.id FROM lead_activity_log a WHERE {sql.Where(f, now, SearchPart.Leads)} LIMIT {cap})
              ) c
              """
            : $"SELECT count(*) FROM (SELECT 1 FROM lead_activity_log a WHERE {sql.Where(f, now)} LIMIT {cap}) c";
        var cmd = new NpgsqlBatchCommand(text);
        cmd.Parameters.AddRange(sql.Parameters.ToArray());
        return cmd;
    }

    /// <summary>The planner's row estimate for the filter (statistics, no scan), as EXPLAIN's JSON.</summary>
    private static NpgsqlBatchCommand EstimateCommand(ActivityFilter filter, DateTimeOffset now)
    {
        var sql = new Sql();
        var f = filter with { Cursor = null };
        // "words OR lead" is estimated badly as one condition; the two halves added up are a fair upper bound.
        var cmd = new NpgsqlBatchCommand(sql.HasLeadSearch(f)
            ? $"EXPLAIN (FORMAT JSON) SELECT 1 FROM lead_activity_log a WHERE {sql.Where(f, now, SearchPart.Words)} UNION ALL SELECT 1 FROM lead_activity_log a WHERE {sql.Where(f, now, SearchPart.Leads)}"
            : $"EXPLAIN (FORMAT JSON) SELECT 1 FROM lead_activity_log a WHERE {sql.Where(f, now)}");
        cmd.Parameters.AddRange(sql.Parameters.ToArray());
        return cmd;
    }

    /// <summary>Rows in a segment (up to <paramref name="upTo"/>), when OFFSET paging runs past its end into the next one.</summary>
    private static async Task<long> CountSegmentAsync(NpgsqlConnection conn, ActivityFilter filter, DateTimeOffset now, LeadGroup group, long upTo, CancellationToken ct)
    {
        var sql = new Sql();
        var where = sql.Where(filter with { Cursor = null }, now);
        var part = group == LeadGroup.Orphans ? "a.lead_id IS NULL" : "a.lead_id IS NOT NULL";
        await using var cmd = new NpgsqlCommand($"SELECT count(*) FROM (SELECT 1 FROM lead_activity_log a WHERE {part} AND {where} LIMIT {upTo}) c", conn);
        cmd.Parameters.AddRange(sql.Parameters.ToArray());
        return (long)(await cmd.ExecuteScalarAsync(ct))!;
    }

    private static NpgsqlCommand ToCommand(NpgsqlConnection conn, NpgsqlBatchCommand source)
    {
        var cmd = new NpgsqlCommand(source.CommandText, conn);
        foreach (NpgsqlParameter p in source.Parameters) cmd.Parameters.Add(p.Clone());
        return cmd;
    }

    private static string PhaseOneOrder(ActivitySort sort, bool flip)
    {
        var (asc, desc) = flip ? ("DESC", "ASC") : ("ASC", "DESC");
        return sort switch
        {
            ActivitySort.Oldest => $"a.\"timestamp\" {asc}, a.id {asc}",
            ActivitySort.Type => $"a.event_type {asc}, a.\"timestamp\" {desc}, a.id {desc}",
            _ => $"a.\"timestamp\" {desc}, a.id {desc}",
        };
    }

    /// <summary>The order rows are returned in (phase two, and the export).</summary>
    private static string FinalOrder(ActivitySort sort) => sort switch
    {
        ActivitySort.Oldest => "a.\"timestamp\" ASC, a.id ASC",
        ActivitySort.Type => "a.event_type ASC, a.\"timestamp\" DESC, a.id DESC",
        ActivitySort.Lead => "a.lead_id IS NULL, l.full_name ASC, l.id ASC, a.lead_airtable_id ASC, a.\"timestamp\" DESC, a.id DESC",
        _ => "a.\"timestamp\" DESC, a.id DESC",
    };

    /// <summary>Rows strictly after (or, for a "before" cursor, before) the cursor in the sort's order.</summary>
    private static string Keyset(Sql sql, ActivitySort sort, ActivityCursor cursor)
    {
        var newestFirst = sort != ActivitySort.Oldest;
        var descending = cursor.Before ? !newestFirst : newestFirst;
        if (sort != ActivitySort.Type) return TimeKeyset(sql, cursor, descending);
        var type = sql.Add(cursor.Key!, NpgsqlDbType.Text);
        return cursor.Before
            ? $"(a.event_type <= {type} AND (a.event_type < {type} OR {TimeKeyset(sql, cursor, descending)}))"
            : $"(a.event_type >= {type} AND (a.event_type > {type} OR {TimeKeyset(sql, cursor, descending)}))";
    }

    /// <summary>(timestamp, id) beyond the cursor. The plain bound on timestamp lets indexes ending in timestamp (but not id) use it.</summary>
    private static string TimeKeyset(Sql sql, ActivityCursor cursor, bool descending)
    {
        var t = sql.Add(cursor.Timestamp, NpgsqlDbType.TimestampTz);
        var i = sql.Add(cursor.Id, NpgsqlDbType.Uuid);
        return descending
            ? $"(a.\"timestamp\" <= {t} AND (a.\"timestamp\", a.id) < ({t}, {i}))"
            : $"(a.\"timestamp\" >= {t} AND (a.\"timestamp\", a.id) > ({t}, {i}))";
    }

    /// <summary>Numbered parameters and the WHERE clause every read shares.</summary>
    private sealed class Sql
    {
        public List<NpgsqlParameter> Parameters { get; } = [];

        public string Add(object value, NpgsqlDbType type)
        {
            var name = "p" + Parameters.Count.ToString(CultureInfo.InvariantCulture);
            Parameters.Add(new NpgsqlParameter(name, type) { Value = value });
            return "@" + name;
        }

        /// <summary>Whether the search also looks at lead names and emails (trigrams need three characters).</summary>
        public bool HasLeadSearch(ActivityFilter f) => f.HasSearch && f.Search!.Trim().Length >= 3;

        /// <summary>The filter as SQL over lead_activity_log a (no joins, so every index on a stays usable).</summary>
        /// <param name="part">For a search: both halves (OR), or only one of them for a query that unions the two.</param>
        public string Where(ActivityFilter f, DateTimeOffset now, SearchPart part = SearchPart.Both)
        {
            var c = new List<string>();
            if (f.EventTypes.Count == 1) c.Add($"a.event_type = {Add(f.EventTypes[0], NpgsqlDbType.Text)}");
            else if (f.EventTypes.Count > 1) c.Add($"a.event_type = ANY({Add(f.EventTypes.ToArray(), NpgsqlDbType.Array | NpgsqlDbType.Text)})");
            if (f.Categories.Count == 1) c.Add($"a.event_category = {Add(f.Categories[0], NpgsqlDbType.Text)}");
            else if (f.Categories.Count > 1) c.Add($"a.event_category = ANY({Add(f.Categories.ToArray(), NpgsqlDbType.Array | NpgsqlDbType.Text)})");
            if (f.LeadId is { } lead) c.Add($"a.lead_id = {Add(lead, NpgsqlDbType.Uuid)}");
            if (f.Source is { } source) c.Add($"a.source = {Add(source, NpgsqlDbType.Text)}");
            if (f.ActorType is { } actor) c.Add($"a.actor_type = {Add(actor, NpgsqlDbType.Text)}");
            if (f.ClientId is { } client) c.Add($"a.client_id = {Add(client, NpgsqlDbType.Uuid)}");
            if (f.CorrelationId is { } correlation) c.Add($"a.correlation_id = {Add(correlation, NpgsqlDbType.Uuid)}");
            if (f.EffectiveFrom(now) is { } from) c.Add($"a.\"timestamp\" >= {Add(from.ToUniversalTime(), NpgsqlDbType.TimestampTz)}");
            if (f.To is { } to) c.Add($"a.\"timestamp\" <= {Add(to.ToUniversalTime(), NpgsqlDbType.TimestampTz)}");
            if (f.HasSearch) c.Add(Search(f, part));
            return c.Count == 0 ? "TRUE" : string.Join(" AND ", c);
        }

        /// <summary>
        /// Words in description/message content (the stored tsvector, GIN-indexed; web-search syntax: "a phrase",
        /// -word, or) or, from three characters on, part of the lead's name or email (trigram-indexed).
        /// </summary>
        private string Search(ActivityFilter f, SearchPart part)
        {
            var text = f.Search!.Trim();
            var words = $"a.search_vector @@ websearch_to_tsquery('english', {Add(text, NpgsqlDbType.Text)})";
            if (!HasLeadSearch(f) || part == SearchPart.Words) return words;
            var pattern = Add(ContainsPattern(text), NpgsqlDbType.Text);
            var leads = $"a.lead_id IN (SELECT ls.id FROM leads ls WHERE ls.full_name ILIKE {pattern} OR ls.email ILIKE {pattern})";
            return part == SearchPart.Leads ? leads : $"({words} OR {leads})";
        }
    }
}
