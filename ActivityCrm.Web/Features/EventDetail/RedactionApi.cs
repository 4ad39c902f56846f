using ActivityCrm.Data.Activities;
using ActivityCrm.Web.Hosting;
using Microsoft.AspNetCore.Http.HttpResults;

namespace ActivityCrm.Web.Features.EventDetail;

public sealed record RedactRequest(string? Reason, IReadOnlyList<string>? MetadataKeys);

public sealed record RedactResponse(Guid RedactedEventId, Guid RedactionEventId, DateTimeOffset RedactedAt);

/// <summary>POST /api/admin/activity-logs/{id}/redact: the redaction the event page offers, for scripts of a signed-in admin.</summary>
public static class RedactionApi
{
    public static RouteGroupBuilder MapRedactionApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/admin/activity-logs").WithTags("Redaction").RequireAuthorization(Policies.Admin);
        group.MapPost("/{id:guid}/redact", RedactAsync)
            .WithSummary("Redact one event: blank its description, message and chosen metadata keys, with a required reason.")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);
        return group;
    }

    private static async Task<Results<Ok<RedactResponse>, ValidationProblem, ProblemHttpResult>> RedactAsync(
        Guid id, RedactRequest? body, HttpContext http, Redaction redaction, CancellationToken ct)
    {
        if (body is null)
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["reason"] = ["Send a JSON body with a reason."] });
        var result = await redaction.RedactAsync(id, body.Reason, body.MetadataKeys, http.User.UserId()!.Value, ct);
        return result.Status switch
        {
            RedactionStatus.Redacted => TypedResults.Ok(new RedactResponse(id, result.RedactionEventId!.Value, result.RedactedAt!.Value)),
            RedactionStatus.NotFound => TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Event not found", detail: $"No event has the id {id}."),
            RedactionStatus.AlreadyRedacted => TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Already redacted",
                detail: $"Event {id} was redacted at {result.RedactedAt:O}; an event is redacted once."),
            _ => TypedResults.ValidationProblem(result.Errors!.ToDictionary(kv => kv.Key, kv => kv.Value),
                title: "The event was not redacted: fix the fields below"),
        };
    }
}
