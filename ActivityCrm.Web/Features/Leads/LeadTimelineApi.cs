using System.Text.Json;
using ActivityCrm.Data;
using ActivityCrm.Data.Activities;
using ActivityCrm.Data.Entities;
using ActivityCrm.Web.Hosting;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace ActivityCrm.Web.Features.Leads;

/// <summary>One event as the PRD's timeline endpoint shows it (id, timestamp, eventType, category, description,
/// message, details, source), plus who did it and how it groups.</summary>
public sealed record TimelineItem(Guid Id, DateTimeOffset Timestamp, string EventType, string Category, string Description,
    string? Message, JsonElement? Details, string Source, string ActorType, string? ActorId, string? ActorName,
    Guid? CorrelationId, string? RelatedEntityType, string? RelatedEntityId, bool Redacted, string? RedactionReason)
{
    public static TimelineItem From(ActivityRow r) => new(r.Id, r.Timestamp, r.EventType, r.EventCategory, r.Description,
        r.MessageContent, r.Metadata is { } m ? JsonDocument.Parse(m).RootElement.Clone() : null, r.Source, r.ActorType, r.ActorId,
        r.ActorName, r.CorrelationId, r.RelatedEntityType, r.RelatedEntityId, r.RedactedAt is not null, r.RedactionReason);
}

/// <param name="NextCursor">Pass as ?cursor= for the next (older) page; null when the whole history has been read.</param>
public sealed record TimelineResponse(Guid LeadId, IReadOnlyList<TimelineItem> Timeline, string? NextCursor);

/// <summary>GET /api/leads/{id}/activity: the PRD's lead timeline endpoint, newest first, keyset-paged beyond the first 100.</summary>
public static class LeadTimelineApi
{
    public static RouteGroupBuilder MapLeadTimelineApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/leads").WithTags("Leads").RequireAuthorization(Policies.ProgramManager);
        group.MapGet("/{id}/activity", GetAsync)
            .WithSummary("A lead's timeline, newest first, keyset-paged.")
            .WithDescription($"Query: limit (1-{LeadTimeline.MaxPageSize}, default {LeadTimeline.DefaultPageSize}), cursor (nextCursor of the previous page), " +
                             "category (repeatable or comma-separated), q (search text). Signed-in program managers and admins (cookie).")
            .Produces<TimelineResponse>()
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status404NotFound);
        return group;
    }

    private static async Task<Results<Ok<TimelineResponse>, ValidationProblem, ProblemHttpResult>> GetAsync(
        string id, string? limit, string? cursor, string[]? category, string? q,
        NpgsqlDataSource dataSource, IDbContextFactory<ActivityCrmDbContext> dbs, ActivityTypeCache types, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        if (!Guid.TryParse(id, out var leadId)) errors["id"] = ["id must be a lead's UUID."];
        var pageSize = LeadTimeline.DefaultPageSize;
        if (limit is not null && (!int.TryParse(limit, out pageSize) || pageSize is < 1 or > LeadTimeline.MaxPageSize))
            errors["limit"] = [$"limit must be a whole number from 1 to {LeadTimeline.MaxPageSize}."];
        TimelineCursor? after = null;
        if (cursor is not null && !TimelineCursor.TryDecode(cursor, out after))
            errors["cursor"] = ["cursor is not one this API returned; pass nextCursor from the previous page unchanged."];
        var categories = (category ?? []).SelectMany(c => c.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            .Select(c => c.ToUpperInvariant()).Distinct().ToList();
        var known = EventCategories.All.Concat((await types.GetAllAsync(ct)).Values.Select(t => t.Category)).ToHashSet();
        if (categories.FirstOrDefault(c => !known.Contains(c)) is { } unknown)
            errors["category"] = [$"Unknown category '{unknown}'. Valid categories: {string.Join(", ", known.Order())}."];
        if (q is { Length: > LeadTimeline.MaxSearchLength }) errors["q"] = [$"q can be at most {LeadTimeline.MaxSearchLength} characters."];
        if (errors.Count > 0)
            return TypedResults.ValidationProblem(errors, title: "The timeline request has invalid parameters", detail: string.Join(" ", errors.SelectMany(e => e.Value)));

        await using (var db = await dbs.CreateDbContextAsync(ct))
        {
            // Soft-deleted leads keep their history and it stays readable.
            if (!await db.Leads.AnyAsync(l => l.Id == leadId, ct))
                return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Lead not found", detail: $"No lead has the id {leadId}.");
        }
        var page = await LeadTimeline.ReadAsync(dataSource, new TimelineQuery(leadId, categories, q, after, pageSize), ct);
        return TypedResults.Ok(new TimelineResponse(leadId, page.Items.Select(TimelineItem.From).ToList(), page.Next?.Encode()));
    }
}
