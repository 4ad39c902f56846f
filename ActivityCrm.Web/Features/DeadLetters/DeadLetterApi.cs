using System.Security.Claims;
using ActivityCrm.Data.DeadLetters;
using ActivityCrm.Web.Features.Ingestion;
using ActivityCrm.Web.Hosting;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Npgsql;

namespace ActivityCrm.Web.Features.DeadLetters;

public sealed record DeadLetterIdsRequest(IReadOnlyList<Guid>? Ids);

public sealed record DiscardRequest(IReadOnlyList<Guid>? Ids, string? Reason);

public sealed record ReplayItem(Guid Id, string Status, Guid? ActivityId, IReadOnlyDictionary<string, string[]>? Errors, string? Note);

public sealed record ReplayResponse(int Stored, int Duplicates, int StillInvalid, string Summary, IReadOnlyList<ReplayItem> Results);

public sealed record DiscardResponse(int Discarded, IReadOnlyList<Guid> Ids);

/// <summary>/api/admin/dead-letters: list, read, replay and discard the dead-letter store (admins, signed in).</summary>
public static class DeadLetterApi
{
    public static RouteGroupBuilder MapDeadLetterApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/admin/dead-letters").WithTags("Dead letters").RequireAuthorization(Policies.Admin);
        group.MapGet("/", ListAsync).WithSummary("Dead letters, newest first (filter by status, source, reason, text).");
        group.MapGet("/{id:guid}", GetAsync).WithSummary("One dead letter with its whole payload.");
        group.MapPost("/replay", ReplayAsync).WithSummary("Replay dead letters through the ingestion code (idempotent).");
        group.MapPost("/discard", DiscardAsync).WithSummary("Discard pending dead letters, with a reason.");
        return group;
    }

    public static void AddDeadLetterAdmin(this WebApplicationBuilder builder) => builder.Services.AddSingleton<DeadLetterActions>();

    private static async Task<Ok<DeadLetterPage>> ListAsync(NpgsqlDataSource dataSource, [FromQuery] string? status, [FromQuery] string[]? source,
        [FromQuery] string[]? reason, [FromQuery] string? search, CancellationToken ct, [FromQuery] int skip = 0, [FromQuery] int take = 50)
    {
        var filter = new DeadLetterFilter
        {
            // "all" (or empty) means every status; the default is what still needs attention.
            Status = status is null ? Data.Entities.IngestionFailureStatuses.Pending : status is "" or "all" ? null : status,
            Sources = source ?? [], Reasons = reason ?? [], Search = search,
        };
        return TypedResults.Ok(await DeadLetterQuery.ListAsync(dataSource, filter, skip, take, ct));
    }

    private static async Task<Results<Ok<DeadLetterRow>, NotFound>> GetAsync(Guid id, NpgsqlDataSource dataSource, CancellationToken ct) =>
        (await DeadLetterQuery.ByIdsAsync(dataSource, [id], ct)).FirstOrDefault() is { } row ? TypedResults.Ok(row) : TypedResults.NotFound();

    private static async Task<Results<Ok<ReplayResponse>, ValidationProblem, ProblemHttpResult>> ReplayAsync(DeadLetterIdsRequest request,
        DeadLetterActions actions, ClaimsPrincipal user, HttpContext http, CancellationToken ct)
    {
        if (IdsProblem(request.Ids) is { } problem) return problem;
        IReadOnlyList<ReplayOutcome> outcomes;
        try
        {
            outcomes = await actions.ReplayAsync(request.Ids!, user, ct);
        }
        catch (Exception e) when (DatabaseErrors.IsUnavailable(e))
        {
            return (ProblemHttpResult)DatabaseErrors.Unavailable(http);
        }
        var items = outcomes.Select(o => new ReplayItem(o.Id, StatusName(o.Status), o.ActivityId, o.Errors, o.Note)).ToList();
        return TypedResults.Ok(new ReplayResponse(outcomes.Count(o => o.Status == ReplayStatus.Stored), outcomes.Count(o => o.Status == ReplayStatus.Duplicate),
            outcomes.Count(o => o.Status == ReplayStatus.StillInvalid), DeadLetterActions.Describe(outcomes), items));
    }

    private static async Task<Results<Ok<DiscardResponse>, ValidationProblem>> DiscardAsync(DiscardRequest request, DeadLetterActions actions,
        ClaimsPrincipal user, CancellationToken ct)
    {
        if (IdsProblem(request.Ids) is { } problem) return problem;
        if (DeadLetterActions.DiscardReasonProblem(request.Reason) is { } reasonProblem)
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["reason"] = [reasonProblem] }, title: "Nothing was discarded");
        var discarded = await actions.DiscardAsync(request.Ids!, request.Reason!, user, ct);
        return TypedResults.Ok(new DiscardResponse(discarded.Count, discarded));
    }

    private static ValidationProblem? IdsProblem(IReadOnlyList<Guid>? ids) =>
        ids is null || ids.Count == 0 ? TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["ids"] = ["Name at least one dead letter id."] })
        : ids.Count > DeadLetterActions.MaxIdsPerCall ? TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["ids"] = [$"At most {DeadLetterActions.MaxIdsPerCall:N0} ids per call."] })
        : null;

    public static string StatusName(ReplayStatus status) => status switch
    {
        ReplayStatus.Stored => "stored",
        ReplayStatus.Duplicate => "duplicate",
        ReplayStatus.StillInvalid => "still_invalid",
        ReplayStatus.Skipped => "skipped",
        _ => "not_found",
    };
}
