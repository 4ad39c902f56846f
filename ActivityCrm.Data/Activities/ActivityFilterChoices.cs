using Npgsql;

namespace ActivityCrm.Data.Activities;

public sealed record LeadChoice(Guid Id, string Name, string? Email, bool Deleted)
{
    public string Label => string.IsNullOrWhiteSpace(Name) ? Email ?? Id.ToString() : Email is null ? Name : $"{Name} ({Email})";
}

public sealed record ClientChoice(Guid Id, string Name);

/// <summary>What the browser's filter controls offer: sources seen, clients, leads matching what is typed.</summary>
public static class ActivityFilterChoices
{
    /// <summary>
    /// Every distinct source, by walking ix_activity_source_time one value at a time (a loose index scan):
    /// a few dozen index probes instead of a DISTINCT over millions of rows.
    /// </summary>
    public static async Task<List<string>> SourcesAsync(NpgsqlDataSource dataSource, CancellationToken ct = default)
    {
        await using var cmd = dataSource.CreateCommand("""
            WITH RECURSIVE s(source) AS (
                (SELECT source FROM lead_activity_log ORDER BY source LIMIT 1)
                UNION ALL
                SELECT (SELECT a.source FROM lead_activity_log a WHERE a.source > s.source ORDER BY a.source LIMIT 1)
                FROM s WHERE s.source IS NOT NULL
            )
            SELECT source FROM s WHERE source IS NOT NULL LIMIT 1000
            """);
        var list = new List<string>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct)) list.Add(r.GetString(0));
        return list;
    }

    public static async Task<List<ClientChoice>> ClientsAsync(NpgsqlDataSource dataSource, CancellationToken ct = default)
    {
        await using var cmd = dataSource.CreateCommand("SELECT id, name FROM clients ORDER BY name");
        var list = new List<ClientChoice>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct)) list.Add(new(r.GetGuid(0), r.GetString(1)));
        return list;
    }

    /// <summary>
    /// Leads whose name or email contains <paramref name="text"/> (trigram indexes), live ones first; with
    /// nothing typed, the most recently active leads (their index, so no sort over every lead).
    /// </summary>
    public static async Task<List<LeadChoice>> LeadsAsync(NpgsqlDataSource dataSource, string? text, int limit = 20, CancellationToken ct = default)
    {
        var typed = (text ?? "").Trim();
        await using var cmd = dataSource.CreateCommand(typed.Length == 0
            ? """
              SELECT id, full_name, email, deleted_at IS NOT NULL FROM leads
              WHERE last_activity_at IS NOT NULL ORDER BY last_activity_at DESC LIMIT @n
              """
            : """
              SELECT id, full_name, email, deleted_at IS NOT NULL FROM leads
              WHERE full_name ILIKE @p OR email ILIKE @p
              ORDER BY deleted_at IS NOT NULL, full_name, id LIMIT @n
              """);
        cmd.Parameters.AddWithValue("p", ActivityQuery.ContainsPattern(typed));
        cmd.Parameters.AddWithValue("n", limit);
        return await ReadLeadsAsync(cmd, ct);
    }

    public static async Task<LeadChoice?> LeadAsync(NpgsqlDataSource dataSource, Guid id, CancellationToken ct = default)
    {
        await using var cmd = dataSource.CreateCommand("SELECT id, full_name, email, deleted_at IS NOT NULL FROM leads WHERE id = @id");
        cmd.Parameters.AddWithValue("id", id);
        return (await ReadLeadsAsync(cmd, ct)).FirstOrDefault();
    }

    private static async Task<List<LeadChoice>> ReadLeadsAsync(NpgsqlCommand cmd, CancellationToken ct)
    {
        var list = new List<LeadChoice>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
            list.Add(new(r.GetGuid(0), r.IsDBNull(1) ? "" : r.GetString(1), r.IsDBNull(2) ? null : r.GetString(2), r.GetBoolean(3)));
        return list;
    }
}
