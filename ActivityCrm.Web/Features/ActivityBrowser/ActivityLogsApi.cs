using System.Text.Json;
using ActivityCrm.Data.Activities;
using ActivityCrm.Web.Features.Ingestion;
using ActivityCrm.Web.Hosting;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Primitives;
using Npgsql;

namespace ActivityCrm.Web.Features.ActivityBrowser;

public sealed record ActivityLeadDto(Guid? Id, string? FirstName, string? LastName, string? Name, string? Email, string? AirtableRecordId,
    bool Synced, bool Deleted);

public sealed record ActivityActorDto(string Type, string? Id, string? Name, string Display);

public sealed record ActivityRelatedDto(string? Type, string? Id);

public sealed record ActivityRedactionDto(DateTimeOffset At, string? Reason);

public sealed record ActivityDto(Guid Id, DateTimeOffset Timestamp, DateTimeOffset CreatedAt, string EventType, string Category,
    string Description, string? MessageContent, JsonElement? Metadata, string Source, string? ExecutionId, ActivityActorDto Actor,
    Guid? CreatedBy, Guid? CorrelationId, ActivityRelatedDto? RelatedEntity, string? IdempotencyKey, Guid? ClientId,
    ActivityRedactionDto? Redacted, ActivityLeadDto Lead);

/// <param name="TotalKind">"exact", "estimate" (planner statistics, for large results) or "atLeast".</param>
public sealed record ActivityPaginationDto(int Page, int Limit, long Total, string TotalKind, long TotalPages, bool HasMore);

public sealed record ActivityListResponse(IReadOnlyList<ActivityDto> Activities, ActivityPaginationDto Pagination, string? NextCursor,
    string? PrevCursor);

/// <summary>
/// GET /api/admin/activity-logs and /export.csv: the analysts' read API over the same query code as the
/// activity browser page (ActivityCrm.Data's ActivityFilter/ActivityQuery), with cookie sign-in.
/// </summary>
public static class ActivityLogsApi
{
    public static RouteGroupBuilder MapActivityLogsApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/admin/activity-logs").WithTags("Activity logs").RequireAuthorization(Policies.Analyst);
        group.MapGet("/", ListAsync)
            .WithSummary("Search and page events (newest first by default).")
            .WithDescription("Filters: eventType and eventCategory (repeat or comma-separate), search, leadId, source, actorType, clientId, " +
                             "correlationId, dateFrom, dateTo, range (1h|24h|7d|30d). sort: newest|oldest|lead|type. Paging: cursor " +
                             "(nextCursor/prevCursor from a response; stable while events arrive) or page (OFFSET; cost grows with the page), " +
                             $"limit 1..{ActivityFilter.MaxLimit} (default {ActivityFilter.DefaultLimit}).")
            .Produces<ActivityListResponse>()
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        group.MapGet("/export.csv", Export)
            .WithSummary("Every event of the filter as CSV, streamed.")
            .WithDescription("Same filters as the list; cursor, page and limit are ignored. Columns: " + string.Join(", ", ActivityCsv.Columns) + ".")
            .Produces(StatusCodes.Status200OK, contentType: "text/csv")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status401Unauthorized);
        return group;
    }

    /// <summary>Parses a query string with the event types known right now (admins add types at run time).</summary>
    public static async Task<ActivityFilterParseResult> ParseFilterAsync(this ActivityTypeCache types,
        IEnumerable<KeyValuePair<string, StringValues>> query, CancellationToken ct = default)
    {
        var all = await types.GetAllAsync(ct);
        var parsed = ActivityFilter.Parse(query, all.ToDictionary(t => t.Key, t => t.Value.Category));
        // A type added on another instance a moment ago: reload once before calling it unknown.
        if (!parsed.Ok && parsed.Errors.ContainsKey("eventType"))
        {
            await types.ReloadAsync(force: false, ct);
            parsed = ActivityFilter.Parse(query, types.Current.ToDictionary(t => t.Key, t => t.Value.Category));
        }
        return parsed;
    }

    private static async Task<Results<Ok<ActivityListResponse>, ValidationProblem, ProblemHttpResult>> ListAsync(
        HttpRequest request, ActivityTypeCache types, NpgsqlDataSource dataSource, TimeProvider clock, CancellationToken ct)
    {
        var parsed = await types.ParseFilterAsync(request.Query, ct);
        if (!parsed.Ok) return TypedResults.ValidationProblem(parsed.Errors, title: "Invalid query parameters");
        var filter = parsed.Filter!;
        try
        {
            var page = await ActivityQuery.PageAsync(dataSource, filter, clock.GetUtcNow(), ct);
            var names = await ActivityQuery.LeadNamesAsync(dataSource, page.Rows.Where(r => r.LeadId is not null).Select(r => r.LeadId!.Value), ct);
            var total = page.Total;
            var pagination = new ActivityPaginationDto(page.Page, page.Limit, total.Value, TotalKind(total.Kind),
                (total.Value + page.Limit - 1) / page.Limit, page.NextCursor is not null);
            return TypedResults.Ok(new ActivityListResponse(page.Rows.Select(r => ToDto(r, names)).ToList(), pagination,
                page.NextCursor?.Encode(), page.PrevCursor?.Encode()));
        }
        catch (Exception e) when (DatabaseErrors.IsUnavailable(e))
        {
            request.HttpContext.Response.Headers.RetryAfter = DatabaseErrors.RetryAfterSeconds.ToString();
            return TypedResults.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "Database unavailable",
                detail: $"The events could not be read. Retry after {DatabaseErrors.RetryAfterSeconds} seconds.");
        }
    }

    private static async Task<Results<PushStreamHttpResult, ValidationProblem>> Export(
        HttpRequest request, ActivityTypeCache types, NpgsqlDataSource dataSource, TimeProvider clock, ILoggerFactory logs, CancellationToken ct)
    {
        var parsed = await types.ParseFilterAsync(request.Query, ct);
        if (!parsed.Ok) return TypedResults.ValidationProblem(parsed.Errors, title: "Invalid query parameters");
        var filter = parsed.Filter!;
        var now = clock.GetUtcNow();
        return TypedResults.Stream(async body =>
        {
            try
            {
                await ActivityCsv.ExportAsync(dataSource, filter, body, now, ct);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // The header row is out, so the status cannot change any more: the download ends early and the log says why.
                logs.CreateLogger(typeof(ActivityLogsApi)).LogError(e, "CSV export of {Filter} failed part-way", filter.ToQueryString());
                request.HttpContext.Abort();
            }
        }, "text/csv; charset=utf-8", ActivityCsv.FileName(filter, now));
    }

    private static string TotalKind(ActivityTotalKind kind) => kind switch
    {
        ActivityTotalKind.Exact => "exact",
        ActivityTotalKind.Estimate => "estimate",
        _ => "atLeast",
    };

    private static ActivityDto ToDto(ActivityRow r, Dictionary<Guid, (string? FirstName, string? LastName)> names)
    {
        var (first, last) = r.LeadId is { } id && names.TryGetValue(id, out var n) ? n : (null, null);
        JsonElement? metadata = null;
        if (r.Metadata is { } json)
        {
            using var doc = JsonDocument.Parse(json);
            metadata = doc.RootElement.Clone();
        }
        return new ActivityDto(r.Id, r.Timestamp, r.CreatedAt, r.EventType, r.EventCategory, r.Description, r.MessageContent, metadata,
            r.Source, r.ExecutionId, new ActivityActorDto(r.ActorType, r.ActorId, r.ActorName, r.ActorDisplay), r.CreatedBy, r.CorrelationId,
            r.RelatedEntityType is null && r.RelatedEntityId is null ? null : new ActivityRelatedDto(r.RelatedEntityType, r.RelatedEntityId),
            r.IdempotencyKey, r.ClientId, r.RedactedAt is { } at ? new ActivityRedactionDto(at, r.RedactionReason) : null,
            new ActivityLeadDto(r.LeadId, first, last, r.LeadName, r.LeadEmail, r.LeadAirtableId, r.LeadId is not null, r.LeadDeleted));
    }
}
