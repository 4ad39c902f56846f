using System.Security.Claims;
using ActivityCrm.Web.Features.Ingestion;
using Npgsql;

namespace ActivityCrm.Web.Features.DeadLetters;

/// <summary>What an admin does with dead letters, the same from the page and from the API.</summary>
public sealed class DeadLetterActions(IngestionService ingestion, NpgsqlDataSource dataSource)
{
    public const int MaxIdsPerCall = 1000;
    public const int MaxNoteLength = 1000;

    /// <summary>Replays through the ingestion code (idempotent: replaying again stores nothing new).</summary>
    public Task<IReadOnlyList<ReplayOutcome>> ReplayAsync(IReadOnlyCollection<Guid> ids, ClaimsPrincipal by, CancellationToken ct = default) =>
        ingestion.ReplayAsync(ids.Take(MaxIdsPerCall).ToList(), UserId(by), automatic: false, ct);

    /// <summary>Marks pending dead letters discarded with the admin's reason; returns the ids it discarded.</summary>
    public async Task<IReadOnlyList<Guid>> DiscardAsync(IReadOnlyCollection<Guid> ids, string reason, ClaimsPrincipal by, CancellationToken ct = default)
    {
        if (DiscardReasonProblem(reason) is { } problem) throw new ArgumentException(problem, nameof(reason));
        await using var cmd = dataSource.CreateCommand("""
            UPDATE ingestion_failures SET status = 'discarded', resolved_at = now(), resolved_by = @by, resolution_note = @note
            WHERE id = ANY(@ids) AND status = 'pending'
            RETURNING id
            """);
        cmd.Parameters.AddWithValue("ids", ids.Take(MaxIdsPerCall).ToArray());
        cmd.Parameters.Add(new NpgsqlParameter("by", NpgsqlTypes.NpgsqlDbType.Uuid) { Value = (object?)UserId(by) ?? DBNull.Value });
        cmd.Parameters.AddWithValue("note", reason.Trim());
        var discarded = new List<Guid>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct)) discarded.Add(r.GetGuid(0));
        return discarded;
    }

    public static string? DiscardReasonProblem(string? reason) =>
        string.IsNullOrWhiteSpace(reason) ? "Say why these are discarded (e.g. \"test traffic from the staging workflow\")."
        : reason.Trim().Length > MaxNoteLength ? $"The reason must be at most {MaxNoteLength:N0} characters."
        : null;

    public static string Describe(IReadOnlyList<ReplayOutcome> outcomes)
    {
        var parts = new List<string>();
        void Add(ReplayStatus s, string text) { if (outcomes.Count(o => o.Status == s) is var n and > 0) parts.Add($"{n} {text}"); }
        Add(ReplayStatus.Stored, "stored");
        Add(ReplayStatus.Duplicate, "already stored (not duplicated)");
        Add(ReplayStatus.StillInvalid, "still invalid");
        Add(ReplayStatus.Skipped, "left for review");
        Add(ReplayStatus.NotFound, "no longer there");
        return parts.Count == 0 ? "Nothing to replay." : string.Join(", ", parts) + ".";
    }

    private static Guid? UserId(ClaimsPrincipal user) =>
        Guid.TryParse(user.FindFirstValue(ClaimTypes.NameIdentifier), out var id) ? id : null;
}
