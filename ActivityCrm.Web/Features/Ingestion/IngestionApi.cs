using System.Text;
using System.Text.Json;
using ActivityCrm.Data.Activities;
using Microsoft.AspNetCore.Http.HttpResults;

namespace ActivityCrm.Web.Features.Ingestion;

public sealed record LogActivityResponse(bool Success, Guid ActivityId, DateTimeOffset Timestamp, bool Duplicate, Guid? LeadId);

public sealed record BatchItemResult(int Index, string Status, Guid? ActivityId, IReadOnlyDictionary<string, string[]>? Errors);

public sealed record BatchResponse(int Created, int Duplicates, int Rejected, IReadOnlyList<BatchItemResult> Results);

/// <summary>POST /api/internal/log-activity (one event) and /log-activity/batch (up to 1,000): the n8n write path.</summary>
public static class IngestionApi
{
    public const int MaxBodyBytes = 256 * 1024;
    public const int MaxBatchBodyBytes = 16 * 1024 * 1024;
    public const int MaxBatchItems = 1000;

    public static RouteGroupBuilder MapIngestionApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/internal").WithTags("Ingestion").AllowAnonymous()
            .AddEndpointFilter<Health.IngestionTimingFilter>()
            .AddEndpointFilter<ApiKeyFilter>()
            .RequireRateLimiting(Hosting.Hardening.IngestionPolicy)
            .DisableAntiforgery();
        group.MapPost("/log-activity", LogActivityAsync)
            .WithMetadata(new DocumentedBody(typeof(LogActivityRequest)))
            .WithSummary("Store one event (idempotent).")
            .WithDescription("Body: the PRD's n8n payload. 201 when stored, 200 with the original activityId for a retry.")
            .Produces<LogActivityResponse>(StatusCodes.Status201Created)
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        group.MapPost("/log-activity/batch", LogBatchAsync)
            .WithMetadata(new DocumentedBody(typeof(LogActivityBatchRequest)))
            .WithSummary($"Store up to {MaxBatchItems} events; one result per item.")
            .WithDescription("Body: {\"events\": [ ... ]} or a bare array. Valid items are stored even when others are rejected.")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        return group;
    }

    public static void AddIngestion(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<ActivityPayloadParser>();
        builder.Services.AddSingleton<DeadLetters>();
    }

    private static async Task<Results<Created<LogActivityResponse>, Ok<LogActivityResponse>, ValidationProblem, ProblemHttpResult>> LogActivityAsync(
        HttpContext http, ActivityPayloadParser parser, ActivityWriter writer, DeadLetters deadLetters, CancellationToken ct)
    {
        var key = http.ApiKey();
        var body = await JsonBody.ReadAsync(http, MaxBodyBytes, ct);
        if (body.Problem is { } problem)
        {
            await deadLetters.RecordAsync(key, null, null, body.Reason!, null, body.Raw, ct);
            return problem;
        }
        using var doc = body.Document!;
        var parsed = await parser.ParseAsync(doc.RootElement, key, ct);
        if (!parsed.Ok)
        {
            await deadLetters.RecordAsync(key, JsonBody.Peek(doc, "source"), JsonBody.Peek(doc, "eventType"), parsed.Reason, parsed.Errors, body.Raw, ct);
            return Validation(parsed.Errors);
        }

        AppendResult result;
        try
        {
            result = await writer.AppendAsync(parsed.Activity!, ct);
        }
        catch (Exception e) when (DatabaseErrors.IsUnavailable(e))
        {
            return (ProblemHttpResult)DatabaseErrors.Unavailable(http);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            await deadLetters.RecordAsync(key, parsed.Activity!.Source, parsed.Activity.EventType, "database_error",
                new Dictionary<string, string[]> { ["$"] = [e.Message] }, body.Raw, ct);
            throw;
        }

        var a = parsed.Activity!;
        switch (result.Status)
        {
            case AppendStatus.Created:
                return TypedResults.Created($"/api/admin/activity-logs/{result.ActivityId}",
                    new LogActivityResponse(true, result.ActivityId, result.Timestamp, false, result.LeadId));
            case AppendStatus.Duplicate:
                return TypedResults.Ok(new LogActivityResponse(true, result.ActivityId, result.Timestamp, true, result.LeadId));
            default:
                var errors = ErrorsFor(result.Status);
                await deadLetters.RecordAsync(key, a.Source, a.EventType, "validation", errors, body.Raw, ct);
                return Validation(errors);
        }
    }

    private static async Task<Results<Ok<BatchResponse>, ValidationProblem, ProblemHttpResult>> LogBatchAsync(
        HttpContext http, ActivityPayloadParser parser, ActivityWriter writer, DeadLetters deadLetters, CancellationToken ct)
    {
        var key = http.ApiKey();
        var body = await JsonBody.ReadAsync(http, MaxBatchBodyBytes, ct);
        if (body.Problem is { } problem)
        {
            await deadLetters.RecordAsync(key, null, null, body.Reason!, null, body.Raw, ct);
            return problem;
        }
        using var doc = body.Document!;
        var root = doc.RootElement;
        var items = root.ValueKind == JsonValueKind.Array ? root
            : root.ValueKind == JsonValueKind.Object && root.TryGetProperty("events", out var ev) && ev.ValueKind == JsonValueKind.Array ? ev
            : default;
        if (items.ValueKind != JsonValueKind.Array)
            return Validation(new() { ["events"] = ["The body must be {\"events\": [ ... ]} or a JSON array of events."] });
        var count = items.GetArrayLength();
        if (count == 0) return Validation(new() { ["events"] = ["events must contain at least one event."] });
        if (count > MaxBatchItems) return Validation(new() { ["events"] = [$"A batch holds at most {MaxBatchItems:N0} events (got {count:N0}); split it."] });

        var results = new BatchItemResult?[count];
        var valid = new List<(int Index, NewActivity Activity, string Raw)>();
        var index = 0;
        foreach (var item in items.EnumerateArray())
        {
            var parsed = await parser.ParseAsync(item, key, ct, fieldPrefix: "");
            if (parsed.Ok) valid.Add((index, parsed.Activity!, item.GetRawText()));
            else
            {
                results[index] = new(index, "rejected", null, parsed.Errors);
                await deadLetters.RecordAsync(key, JsonBody.Peek(item, "source"), JsonBody.Peek(item, "eventType"), parsed.Reason, parsed.Errors, item.GetRawText(), ct);
            }
            index++;
        }

        if (valid.Count > 0)
        {
            IReadOnlyList<AppendResult> appended;
            try
            {
                appended = await writer.AppendAsync(valid.Select(v => v.Activity).ToList(), ct);
            }
            catch (Exception e) when (DatabaseErrors.IsUnavailable(e))
            {
                return (ProblemHttpResult)DatabaseErrors.Unavailable(http);
            }
            for (var i = 0; i < valid.Count; i++)
            {
                var (idx, activity, raw) = valid[i];
                var r = appended[i];
                results[idx] = r.Status switch
                {
                    AppendStatus.Created => new(idx, "created", r.ActivityId, null),
                    AppendStatus.Duplicate => new(idx, "duplicate", r.ActivityId, null),
                    _ => new(idx, "rejected", null, ErrorsFor(r.Status)),
                };
                if (!r.Stored)
                    await deadLetters.RecordAsync(key, activity.Source, activity.EventType, "validation", ErrorsFor(r.Status), raw, ct);
            }
        }

        var list = results.Select(r => r!).ToList();
        return TypedResults.Ok(new BatchResponse(list.Count(r => r.Status == "created"), list.Count(r => r.Status == "duplicate"),
            list.Count(r => r.Status == "rejected"), list));
    }

    private static Dictionary<string, string[]> ErrorsFor(AppendStatus status) => status switch
    {
        AppendStatus.LeadNotFound => new() { ["leadId"] = ["No lead with this id. Send leadAirtableId as well to keep the event until the lead syncs."] },
        AppendStatus.UnknownCreatedBy => new() { ["createdBy"] = ["No user with this id."] },
        _ => new() { ["$"] = [status.ToString()] },
    };

    internal static ValidationProblem Validation(Dictionary<string, string[]> errors) =>
        TypedResults.ValidationProblem(errors, title: "The event was not stored: fix the fields below",
            detail: string.Join(" ", errors.SelectMany(kv => kv.Value)));
}

/// <summary>Reads a JSON request body within a size limit, answering 413/415/400 problems itself.</summary>
internal sealed record JsonBody(JsonDocument? Document, string Raw, ProblemHttpResult? Problem, string? Reason)
{
    private static readonly JsonDocumentOptions Options = new() { MaxDepth = 64, AllowTrailingCommas = false };

    public static async Task<JsonBody> ReadAsync(HttpContext http, int maxBytes, CancellationToken ct)
    {
        var request = http.Request;
        if (request.ContentLength > maxBytes)
            return TooLarge(maxBytes, "");
        if (!IsJson(request.ContentType))
            return new(null, "", TypedResults.Problem(statusCode: StatusCodes.Status415UnsupportedMediaType, title: "Unsupported content type",
                detail: $"Send the event as JSON with Content-Type: application/json (got '{request.ContentType ?? "none"}')."), "unsupported_media_type");

        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, ct)) > 0)
        {
            buffer.Write(chunk, 0, read);
            if (buffer.Length > maxBytes) return TooLarge(maxBytes, "");
        }
        var bytes = buffer.ToArray();
        var raw = Encoding.UTF8.GetString(bytes);
        try
        {
            return new(JsonDocument.Parse(bytes, Options), raw, null, null);
        }
        catch (JsonException e)
        {
            return new(null, raw, TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "The body is not valid JSON",
                detail: e.Message, extensions: new Dictionary<string, object?> { ["errors"] = new Dictionary<string, string[]> { ["$"] = [e.Message] } }), "invalid_json");
        }
    }

    public static string? Peek(JsonDocument doc, string property) => Peek(doc.RootElement, property);

    public static string? Peek(JsonElement e, string property) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(property, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static bool IsJson(string? contentType) =>
        contentType is not null && (contentType.StartsWith("application/json", StringComparison.OrdinalIgnoreCase) ||
                                    contentType.Split(';')[0].Trim().EndsWith("+json", StringComparison.OrdinalIgnoreCase));

    private static JsonBody TooLarge(int maxBytes, string raw) =>
        new(null, raw, TypedResults.Problem(statusCode: StatusCodes.Status413PayloadTooLarge, title: "Request body too large",
            detail: $"The body is limited to {maxBytes / 1024:N0} KB."), "too_large");
}
