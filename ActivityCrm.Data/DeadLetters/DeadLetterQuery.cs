using System.Text;
using System.Text.Json;
using Npgsql;

namespace ActivityCrm.Data.DeadLetters;

/// <summary>Which dead letters to show. Empty lists mean "any"; a null status means every status.</summary>
public sealed record DeadLetterFilter
{
    public string? Status { get; init; } = Entities.IngestionFailureStatuses.Pending;
    public IReadOnlyList<string> Sources { get; init; } = [];
    public IReadOnlyList<string> Reasons { get; init; } = [];
    /// <summary>Matched (case-insensitively) anywhere in the payload or the errors.</summary>
    public string? Search { get; init; }
}

/// <summary>A dead letter as the page and the API show it. <see cref="Payload"/> is cut to
/// <see cref="DeadLetterQuery.PreviewLength"/> in lists (<see cref="PayloadLength"/> is the full length).</summary>
public sealed record DeadLetterRow
{
    public Guid Id { get; init; }
    public DateTimeOffset ReceivedAt { get; init; }
    public Guid? ApiKeyId { get; init; }
    public string? ApiKeyName { get; init; }
    public string? Source { get; init; }
    public string? EventType { get; init; }
    public string Reason { get; init; } = "";
    /// <summary>Field → messages ("$" for the body as a whole).</summary>
    public IReadOnlyDictionary<string, string[]>? Errors { get; init; }
    public string Payload { get; init; } = "";
    public int PayloadLength { get; init; }
    public string Status { get; init; } = "";
    public DateTimeOffset? ResolvedAt { get; init; }
    public Guid? ResolvedBy { get; init; }
    public string? ResolvedByName { get; init; }
    public string? ResolutionNote { get; init; }
    public Guid? ReplayedActivityId { get; init; }
}

public sealed record DeadLetterPage(IReadOnlyList<DeadLetterRow> Items, long Total);

/// <summary>Counts for the filter choices: per status, and the sources and reasons that occur.</summary>
public sealed record DeadLetterFacets(IReadOnlyDictionary<string, long> ByStatus, IReadOnlyList<string> Sources, IReadOnlyList<string> Reasons);

/// <summary>The dead-letter list both /admin/dead-letters and /api/admin/dead-letters read, newest first.</summary>
public static class DeadLetterQuery
{
    public const int PreviewLength = 4000;
    public const int MaxPageSize = 500;

    public static async Task<DeadLetterPage> ListAsync(NpgsqlDataSource dataSource, DeadLetterFilter filter, int skip, int take, CancellationToken ct = default)
    {
        await using var cmd = dataSource.CreateCommand();
        var where = Where(filter, cmd);
        cmd.CommandText = $"""
            SELECT {Columns(PreviewLength)}, count(*) OVER ()
            FROM ingestion_failures f
            LEFT JOIN api_keys k ON k.id = f.api_key_id
            LEFT JOIN users u ON u.id = f.resolved_by
            {where}
            ORDER BY f.received_at DESC, f.id DESC
            OFFSET @skip LIMIT @take
            """;
        cmd.Parameters.AddWithValue("skip", Math.Max(0, skip));
        cmd.Parameters.AddWithValue("take", Math.Clamp(take, 1, MaxPageSize));
        var items = new List<DeadLetterRow>();
        long total = 0;
        await using (var r = await cmd.ExecuteReaderAsync(ct))
        {
            while (await r.ReadAsync(ct))
            {
                items.Add(Read(r));
                total = r.GetInt64(16);
            }
        }
        // Past the last page the window count is absent: count separately so the pager still knows the total.
        if (items.Count == 0 && skip > 0)
        {
            await using var count = dataSource.CreateCommand();
            count.CommandText = $"SELECT count(*) FROM ingestion_failures f {Where(filter, count)}";
            total = (long)(await count.ExecuteScalarAsync(ct))!;
        }
        return new DeadLetterPage(items, total);
    }

    /// <summary>Full rows (whole payload), in the order asked.</summary>
    public static async Task<IReadOnlyList<DeadLetterRow>> ByIdsAsync(NpgsqlDataSource dataSource, IReadOnlyCollection<Guid> ids, CancellationToken ct = default)
    {
        await using var cmd = dataSource.CreateCommand($"""
            SELECT {Columns(null)}
            FROM ingestion_failures f
            LEFT JOIN api_keys k ON k.id = f.api_key_id
            LEFT JOIN users u ON u.id = f.resolved_by
            WHERE f.id = ANY(@ids)
            """);
        cmd.Parameters.AddWithValue("ids", ids.ToArray());
        var rows = new Dictionary<Guid, DeadLetterRow>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct)) rows[r.GetGuid(0)] = Read(r);
        return ids.Where(rows.ContainsKey).Select(id => rows[id]).ToList();
    }

    public static async Task<DeadLetterFacets> FacetsAsync(NpgsqlDataSource dataSource, CancellationToken ct = default)
    {
        await using var cmd = dataSource.CreateCommand("""
            SELECT 's', status, count(*) FROM ingestion_failures GROUP BY status
            UNION ALL SELECT 'o', source, count(*) FROM ingestion_failures WHERE source IS NOT NULL GROUP BY source
            UNION ALL SELECT 'r', reason, count(*) FROM ingestion_failures GROUP BY reason
            """);
        var byStatus = new Dictionary<string, long>();
        var sources = new List<string>();
        var reasons = new List<string>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
        {
            switch (r.GetString(0))
            {
                case "s": byStatus[r.GetString(1)] = r.GetInt64(2); break;
                case "o": sources.Add(r.GetString(1)); break;
                default: reasons.Add(r.GetString(1)); break;
            }
        }
        return new DeadLetterFacets(byStatus, sources.Order(StringComparer.Ordinal).ToList(), reasons.Order(StringComparer.Ordinal).ToList());
    }

    private static string Columns(int? preview) => $"""
        f.id, f.received_at, f.api_key_id, k.name, f.source, f.event_type, f.reason, f.errors::text,
        {(preview is { } n ? $"left(f.payload, {n})" : "f.payload")}, length(f.payload), f.status, f.resolved_at, f.resolved_by,
        coalesce(u.display_name, u.email), f.resolution_note, f.replayed_activity_id
        """;

    private static string Where(DeadLetterFilter filter, NpgsqlCommand cmd)
    {
        var sql = new StringBuilder("WHERE true");
        if (filter.Status is { Length: > 0 } status)
        {
            sql.Append(" AND f.status = @status");
            cmd.Parameters.AddWithValue("status", status);
        }
        if (filter.Sources.Count > 0)
        {
            sql.Append(" AND f.source = ANY(@sources)");
            cmd.Parameters.AddWithValue("sources", filter.Sources.ToArray());
        }
        if (filter.Reasons.Count > 0)
        {
            sql.Append(" AND f.reason = ANY(@reasons)");
            cmd.Parameters.AddWithValue("reasons", filter.Reasons.ToArray());
        }
        if (filter.Search is { Length: > 0 } search)
        {
            sql.Append(" AND (f.payload ILIKE @search OR f.errors::text ILIKE @search)");
            cmd.Parameters.AddWithValue("search", "%" + search.Replace(@"\", @"\\").Replace("%", @"\%").Replace("_", @"\_") + "%");
        }
        return sql.ToString();
    }

    private static DeadLetterRow Read(NpgsqlDataReader r) => new()
    {
        Id = r.GetGuid(0), ReceivedAt = r.GetFieldValue<DateTimeOffset>(1), ApiKeyId = N<Guid>(r, 2), ApiKeyName = S(r, 3),
        Source = S(r, 4), EventType = S(r, 5), Reason = r.GetString(6), Errors = ParseErrors(S(r, 7)), Payload = r.GetString(8),
        PayloadLength = r.GetInt32(9), Status = r.GetString(10), ResolvedAt = N<DateTimeOffset>(r, 11), ResolvedBy = N<Guid>(r, 12),
        ResolvedByName = S(r, 13), ResolutionNote = S(r, 14), ReplayedActivityId = N<Guid>(r, 15),
    };

    private static IReadOnlyDictionary<string, string[]>? ParseErrors(string? json)
    {
        if (json is null) return null;
        try { return JsonSerializer.Deserialize<Dictionary<string, string[]>>(json); }
        catch (JsonException) { return new Dictionary<string, string[]> { ["$"] = [json] }; }
    }

    private static string? S(NpgsqlDataReader r, int i) => r.IsDBNull(i) ? null : r.GetString(i);
    private static T? N<T>(NpgsqlDataReader r, int i) where T : struct => r.IsDBNull(i) ? null : r.GetFieldValue<T>(i);
}
