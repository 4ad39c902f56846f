using System.Text.Json;
using ActivityCrm.Data.Activities;
using ActivityCrm.Data.Entities;
using Npgsql;
using NpgsqlTypes;

namespace ActivityCrm.Web.Features.Ingestion;

public enum IngestStatus { Created, Duplicate, Rejected, Unavailable, Failed }

/// <summary>What happened to one event. Rejected ones are in the dead-letter store with <see cref="Reason"/>.</summary>
public sealed record IngestOutcome(IngestStatus Status, Guid? ActivityId = null, DateTimeOffset? Timestamp = null, Guid? LeadId = null,
    IReadOnlyDictionary<string, string[]>? Errors = null, string? Reason = null)
{
    public bool Stored => Status is IngestStatus.Created or IngestStatus.Duplicate;
}

/// <summary>One event to ingest: the parsed JSON, the exact text received (kept if rejected) and what a
/// replay or import knows beyond it.</summary>
public sealed record IngestRequest(JsonElement Json, string Raw)
{
    public ActivityPayloadParser.Context Context { get; init; } = ActivityPayloadParser.Context.Live;
    /// <summary>Where an imported event came from (e.g. its file row), kept with it if it is rejected.</summary>
    public string? Origin { get; init; }
}

public enum ReplayStatus { Stored, Duplicate, StillInvalid, Skipped, NotFound }

public sealed record ReplayOutcome(Guid Id, ReplayStatus Status, Guid? ActivityId, IReadOnlyDictionary<string, string[]>? Errors, string? Note = null);

/// <summary>
/// The ingestion code every channel shares: the HTTP endpoints (single and batch), dead-letter replays and
/// file imports parse with <see cref="ActivityPayloadParser"/> and append with <see cref="ActivityWriter"/>
/// here, so an event means the same thing whichever way it arrives, and a retry, replay or re-import of the
/// same event is recognised by its idempotency key and never stored twice.
/// </summary>
public sealed class IngestionService(ActivityPayloadParser parser, ActivityWriter writer, DeadLetters deadLetters,
    NpgsqlDataSource dataSource, ILogger<IngestionService> log)
{
    public static readonly JsonDocumentOptions JsonOptions = new() { MaxDepth = 64, AllowTrailingCommas = false, AllowDuplicateProperties = false };

    /// <summary>
    /// Parses and appends the events in one statement. Rejected events go to the dead-letter store (with
    /// <paramref name="rejectionReason"/> when given, e.g. import; else why they were rejected). When the
    /// database is unreachable every event is <see cref="IngestStatus.Unavailable"/>: the valid ones are kept
    /// in the local spool and stored when it returns, and the caller is told to retry (both are idempotent).
    /// </summary>
    public async Task<IReadOnlyList<IngestOutcome>> IngestAsync(IReadOnlyList<IngestRequest> requests, IngestionCaller caller,
        string? rejectionReason, CancellationToken ct)
    {
        var outcomes = new IngestOutcome?[requests.Count];
        var valid = new List<(int Index, NewActivity Activity)>();
        try
        {
            for (var i = 0; i < requests.Count; i++)
            {
                var parsed = await parser.ParseAsync(requests[i].Json, caller, requests[i].Context, ct);
                if (parsed.Ok) valid.Add((i, parsed.Activity!));
                else outcomes[i] = await RejectAsync(requests[i], caller, rejectionReason ?? parsed.Reason, parsed.Errors, ct);
            }
        }
        catch (Exception e) when (DatabaseErrors.IsUnavailable(e))
        {
            // Only the event type lookup reaches the database while parsing: nothing was stored.
            return Unavailable(requests, caller, outcomes.Select((o, i) => o is null ? i : -1).Where(i => i >= 0));
        }
        if (valid.Count == 0) return outcomes.Select(o => o!).ToList();

        IReadOnlyList<(AppendResult? Result, string? Refused)> appended;
        try
        {
            appended = (await writer.AppendAsync(valid.Select(v => v.Activity).ToList(), ct)).Select(r => ((AppendResult?)r, (string?)null)).ToList();
        }
        catch (Exception e) when (DatabaseErrors.IsUnavailable(e))
        {
            return Unavailable(requests, caller, valid.Select(v => v.Index), outcomes);
        }
        catch (PostgresException e) when (IsCausedByInput(e))
        {
            // One event the database refuses fails the whole statement: append one by one to find it.
            appended = await AppendEachAsync(valid.Select(v => v.Activity).ToList(), ct);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Outlived the writer's own retries: keep every event for an admin to replay.
            log.LogError(e, "Could not store {Count} events", valid.Count);
            var errors = new Dictionary<string, string[]> { ["$"] = [$"The database failed: {e.Message}"] };
            foreach (var (index, activity) in valid)
            {
                await deadLetters.RecordAsync(caller.ApiKeyId, activity.Source, activity.EventType, IngestionFailureReasons.DatabaseError, errors, requests[index].Raw, ct);
                outcomes[index] = new IngestOutcome(IngestStatus.Failed, Errors: errors, Reason: IngestionFailureReasons.DatabaseError);
            }
            return outcomes.Select(o => o!).ToList();
        }

        for (var v = 0; v < valid.Count; v++)
        {
            var index = valid[v].Index;
            var reason = rejectionReason ?? IngestionFailureReasons.Validation;
            outcomes[index] = appended[v] switch
            {
                ({ Status: AppendStatus.Created } r, _) => new IngestOutcome(IngestStatus.Created, r.ActivityId, r.Timestamp, r.LeadId),
                ({ Status: AppendStatus.Duplicate } r, _) => new IngestOutcome(IngestStatus.Duplicate, r.ActivityId, r.Timestamp, r.LeadId),
                ({ } r, _) => await RejectAsync(requests[index], caller, reason, ErrorsFor(r.Status), ct),
                (null, var refused) => await RejectAsync(requests[index], caller, reason,
                    new Dictionary<string, string[]> { ["$"] = [$"The database refused a value: {refused}"] }, ct),
            };
        }
        return outcomes.Select(o => o!).ToList();
    }

    /// <summary>
    /// Replays dead letters through the same parse and append, each with the key it would have had (or, with
    /// no natural key, one derived from the dead letter, so replaying it again is a no-op). A stored (or
    /// already stored) event marks its row replayed in the same transaction; one still invalid keeps its
    /// status with the new errors. The <paramref name="automatic"/> replay after an outage leaves events without
    /// a natural key to an admin, since the caller's own retry of such an event cannot be told apart from it.
    /// </summary>
    public async Task<IReadOnlyList<ReplayOutcome>> ReplayAsync(IReadOnlyCollection<Guid> ids, Guid? replayedBy, bool automatic, CancellationToken ct)
    {
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        var rows = new List<(Guid Id, DateTimeOffset ReceivedAt, string Reason, string Payload, IngestionCaller Caller)>();
        await using (var select = new NpgsqlCommand("""
            SELECT f.id, f.received_at, f.reason, f.payload, f.api_key_id, k.source_prefix, k.client_id
            FROM ingestion_failures f LEFT JOIN api_keys k ON k.id = f.api_key_id
            WHERE f.id = ANY(@ids) ORDER BY f.received_at, f.id
            FOR UPDATE OF f
            """, conn, tx))
        {
            select.Parameters.AddWithValue("ids", ids.Distinct().ToArray());
            await using var r = await select.ExecuteReaderAsync(ct);
            while (await r.ReadAsync(ct))
                rows.Add((r.GetGuid(0), r.GetFieldValue<DateTimeOffset>(1), r.GetString(2), r.GetString(3),
                    new IngestionCaller(r.IsDBNull(4) ? null : r.GetGuid(4), r.IsDBNull(5) ? null : r.GetString(5), r.IsDBNull(6) ? null : r.GetGuid(6))));
        }

        var outcomes = new Dictionary<Guid, ReplayOutcome>();
        var valid = new List<(Guid Id, NewActivity Activity)>();
        foreach (var row in rows)
        {
            ActivityPayloadParser.Result parsed;
            try
            {
                using var doc = JsonDocument.Parse(row.Payload, JsonOptions);
                parsed = await parser.ParseAsync(doc.RootElement, row.Caller,
                    new ActivityPayloadParser.Context(row.ReceivedAt, $"dead-letter:{row.Id:N}"), ct);
            }
            catch (JsonException e)
            {
                parsed = new(null, new() { ["$"] = [$"The payload is not valid JSON: {e.Message}"] }, IngestionFailureReasons.InvalidJson);
            }
            if (!parsed.Ok)
            {
                await UpdateErrorsAsync(conn, tx, row.Id, NextReason(row.Reason, parsed.Reason), parsed.Errors, ct);
                outcomes[row.Id] = new(row.Id, ReplayStatus.StillInvalid, null, parsed.Errors);
            }
            else if (automatic && !parsed.StableKey)
            {
                const string why = "Not replayed automatically: the event has no idempotencyKey, executionId or timestamp, so it cannot be told " +
                                   "apart from a retry the caller may have made. Check the activity log, then replay or discard it.";
                await UpdateErrorsAsync(conn, tx, row.Id, row.Reason, new() { ["$"] = [why] }, ct);
                outcomes[row.Id] = new(row.Id, ReplayStatus.Skipped, null, null, why);
            }
            else valid.Add((row.Id, parsed.Activity!));
        }

        if (valid.Count > 0)
        {
            var appended = await writer.AppendAsync(conn, tx, valid.Select(v => v.Activity).ToList(), ct);
            for (var i = 0; i < valid.Count; i++)
            {
                var (id, _) = valid[i];
                var r = appended[i];
                if (r.Stored)
                {
                    var note = (automatic, r.Status) switch
                    {
                        (true, AppendStatus.Duplicate) => "Kept during a database outage; the caller's retry had already stored it (nothing duplicated).",
                        (true, _) => "Kept during a database outage and stored automatically when the database came back.",
                        (false, AppendStatus.Duplicate) => "Replayed: the event was already stored (nothing duplicated).",
                        _ => "Replayed.",
                    };
                    await MarkReplayedAsync(conn, tx, id, r.ActivityId, replayedBy, note, ct);
                    outcomes[id] = new(id, r.Status == AppendStatus.Created ? ReplayStatus.Stored : ReplayStatus.Duplicate, r.ActivityId, null);
                }
                else
                {
                    var errors = ErrorsFor(r.Status);
                    await UpdateErrorsAsync(conn, tx, id, NextReason(rows.First(x => x.Id == id).Reason, IngestionFailureReasons.Validation), errors, ct);
                    outcomes[id] = new(id, ReplayStatus.StillInvalid, null, errors);
                }
            }
        }
        await tx.CommitAsync(ct);
        return ids.Distinct().Select(id => outcomes.GetValueOrDefault(id) ?? new ReplayOutcome(id, ReplayStatus.NotFound, null, null)).ToList();
    }

    public static Dictionary<string, string[]> ErrorsFor(AppendStatus status) => status switch
    {
        AppendStatus.LeadNotFound => new() { ["leadId"] = ["No lead with this id. Send leadAirtableId as well to keep the event until the lead syncs."] },
        AppendStatus.UnknownCreatedBy => new() { ["createdBy"] = ["No user with this id."] },
        _ => new() { ["$"] = [status.ToString()] },
    };

    private async Task<IngestOutcome> RejectAsync(IngestRequest request, IngestionCaller caller, string reason,
        Dictionary<string, string[]> errors, CancellationToken ct)
    {
        if (request.Origin is { } origin) errors = new(errors) { ["origin"] = [origin] };
        await deadLetters.RecordAsync(caller.ApiKeyId, Peek(request.Json, "source"), Peek(request.Json, "eventType"), reason, errors, request.Raw, ct);
        return new IngestOutcome(IngestStatus.Rejected, Errors: errors, Reason: reason);
    }

    private IReadOnlyList<IngestOutcome> Unavailable(IReadOnlyList<IngestRequest> requests, IngestionCaller caller, IEnumerable<int> keep,
        IngestOutcome?[]? rejected = null)
    {
        foreach (var i in keep)
            deadLetters.KeepUntilDatabaseReturns(caller.ApiKeyId, Peek(requests[i].Json, "source"), Peek(requests[i].Json, "eventType"), requests[i].Raw);
        return requests.Select((_, i) => rejected?[i] is { } r ? r : new IngestOutcome(IngestStatus.Unavailable)).ToList();
    }

    private async Task<IReadOnlyList<(AppendResult? Result, string? Refused)>> AppendEachAsync(IReadOnlyList<NewActivity> items, CancellationToken ct)
    {
        var results = new List<(AppendResult?, string?)>(items.Count);
        foreach (var item in items)
        {
            try { results.Add((await writer.AppendAsync(item, ct), null)); }
            catch (PostgresException e) when (IsCausedByInput(e))
            {
                log.LogWarning("The database refused an event from {Source}: {Message}", item.Source, e.MessageText);
                results.Add((null, e.MessageText));
            }
        }
        return results;
    }

    // Data exceptions (22xxx) and integrity violations (23xxx) come from what was sent, not from the server.
    private static bool IsCausedByInput(PostgresException e) => e.SqlState.StartsWith("22") || e.SqlState.StartsWith("23");

    // A reason that says what was wrong (or that the database was down) follows the latest attempt; one that
    // says where the event came from (import) stays.
    private static string NextReason(string current, string latest) =>
        current is IngestionFailureReasons.Validation or IngestionFailureReasons.UnknownEventType or IngestionFailureReasons.InvalidJson
            or IngestionFailureReasons.DatabaseUnavailable or IngestionFailureReasons.DatabaseError
            ? latest : current;

    private static async Task UpdateErrorsAsync(NpgsqlConnection conn, NpgsqlTransaction tx, Guid id, string reason,
        Dictionary<string, string[]> errors, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("UPDATE ingestion_failures SET errors = @errors, reason = @reason WHERE id = @id", conn, tx);
        cmd.Parameters.AddWithValue("id", id);
        cmd.Parameters.AddWithValue("reason", reason);
        cmd.Parameters.Add(new NpgsqlParameter("errors", NpgsqlDbType.Jsonb) { Value = JsonSerializer.Serialize(errors) });
        await cmd.ExecuteNonQueryAsync(ct);
    }

    private static async Task MarkReplayedAsync(NpgsqlConnection conn, NpgsqlTransaction tx, Guid id, Guid activityId, Guid? by, string note, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("""
            UPDATE ingestion_failures SET status = 'replayed', replayed_activity_id = @activity, resolved_at = now(),
                resolved_by = @by, resolution_note = @note
            WHERE id = @id
            """, conn, tx);
        cmd.Parameters.AddWithValue("id", id);
        cmd.Parameters.AddWithValue("activity", activityId);
        cmd.Parameters.Add(new NpgsqlParameter("by", NpgsqlDbType.Uuid) { Value = (object?)by ?? DBNull.Value });
        cmd.Parameters.AddWithValue("note", note);
        await cmd.ExecuteNonQueryAsync(ct);
    }

    internal static string? Peek(JsonElement e, string property) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(property, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
}
