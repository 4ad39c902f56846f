using System.Text;
using System.Text.Json;
using ActivityCrm.Data.Entities;
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
            .WithMetadata(new DocumentedBody(typeof(LogActivityRequest)), new KeepDuringOutage(MaxBodyBytes, Batch: false))
            .WithSummary("Store one event (idempotent).")
            .WithDescription("Body: the PRD's n8n payload. 201 when stored, 200 with the original activityId for a retry.")
            .Produces<LogActivityResponse>(StatusCodes.Status201Created)
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        group.MapPost("/log-activity/batch", LogBatchAsync)
            .WithMetadata(new DocumentedBody(typeof(LogActivityBatchRequest)), new KeepDuringOutage(MaxBatchBodyBytes, Batch: true))
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
        builder.Services.AddSingleton<IngestionSpool>();
        builder.Services.AddSingleton<IngestionService>();
        builder.Services.AddHostedService<SpoolRecovery>();
    }

    private static async Task<Results<Created<LogActivityResponse>, Ok<LogActivityResponse>, ValidationProblem, ProblemHttpResult>> LogActivityAsync(
        HttpContext http, IngestionService ingestion, DeadLetters deadLetters, CancellationToken ct)
    {
        var caller = IngestionCaller.Of(http.ApiKey());
        var body = await JsonBody.ReadAsync(http, MaxBodyBytes, ct);
        if (body.Problem is { } problem)
        {
            await deadLetters.RecordAsync(caller.ApiKeyId, null, null, body.Reason!, body.Errors, body.Raw, ct);
            return problem;
        }
        using var doc = body.Document!;
        var outcome = (await ingestion.IngestAsync([new IngestRequest(doc.RootElement, body.Raw)], caller, null, ct))[0];
        return outcome.Status switch
        {
            IngestStatus.Created => TypedResults.Created($"/api/admin/activity-logs/{outcome.ActivityId}",
                new LogActivityResponse(true, outcome.ActivityId!.Value, outcome.Timestamp!.Value, false, outcome.LeadId)),
            IngestStatus.Duplicate => TypedResults.Ok(new LogActivityResponse(true, outcome.ActivityId!.Value, outcome.Timestamp!.Value, true, outcome.LeadId)),
            IngestStatus.Rejected => Validation(outcome.Errors!.ToDictionary()),
            IngestStatus.Unavailable => (ProblemHttpResult)DatabaseErrors.Unavailable(http),
            _ => Failed(),
        };
    }

    private static async Task<Results<Ok<BatchResponse>, ValidationProblem, ProblemHttpResult>> LogBatchAsync(
        HttpContext http, IngestionService ingestion, DeadLetters deadLetters, CancellationToken ct)
    {
        var caller = IngestionCaller.Of(http.ApiKey());
        var body = await JsonBody.ReadAsync(http, MaxBatchBodyBytes, ct);
        if (body.Problem is { } problem)
        {
            await deadLetters.RecordAsync(caller.ApiKeyId, null, null, body.Reason!, body.Errors, body.Raw, ct);
            return problem;
        }
        using var doc = body.Document!;
        var root = doc.RootElement;
        var items = root.ValueKind == JsonValueKind.Array ? root
            : root.ValueKind == JsonValueKind.Object && root.TryGetProperty("events", out var ev) && ev.ValueKind == JsonValueKind.Array ? ev
            : default;
        var count = items.ValueKind == JsonValueKind.Array ? items.GetArrayLength() : -1;
        var shapeError = count switch
        {
            -1 => "The body must be {\"events\": [ ... ]} or a JSON array of events.",
            0 => "events must contain at least one event.",
            > MaxBatchItems => $"A batch holds at most {MaxBatchItems:N0} events (got {count:N0}); split it.",
            _ => null,
        };
        if (shapeError is not null)
        {
            var errors = new Dictionary<string, string[]> { ["events"] = [shapeError] };
            await deadLetters.RecordAsync(caller.ApiKeyId, null, null, IngestionFailureReasons.Validation, errors, body.Raw, ct);
            return Validation(errors);
        }

        var requests = items.EnumerateArray().Select(item => new IngestRequest(item, item.GetRawText())).ToList();
        var outcomes = await ingestion.IngestAsync(requests, caller, null, ct);
        if (outcomes.Any(o => o.Status == IngestStatus.Unavailable)) return (ProblemHttpResult)DatabaseErrors.Unavailable(http);
        if (outcomes.Any(o => o.Status == IngestStatus.Failed)) return Failed();

        var list = outcomes.Select((o, i) => o.Status switch
        {
            IngestStatus.Created => new BatchItemResult(i, "created", o.ActivityId, null),
            IngestStatus.Duplicate => new BatchItemResult(i, "duplicate", o.ActivityId, null),
            _ => new BatchItemResult(i, "rejected", null, o.Errors),
        }).ToList();
        return TypedResults.Ok(new BatchResponse(list.Count(r => r.Status == "created"), list.Count(r => r.Status == "duplicate"),
            list.Count(r => r.Status == "rejected"), list));
    }

    // The events are kept in the dead-letter store; a retry is safe (and idempotent) but an admin may need to look.
    private static ProblemHttpResult Failed() =>
        TypedResults.Problem(statusCode: StatusCodes.Status500InternalServerError, title: "The event could not be stored",
            detail: "A database error outlived the server's retries. The request was kept in the dead-letter store for an admin to replay; retrying is safe.");

    internal static ValidationProblem Validation(Dictionary<string, string[]> errors) =>
        TypedResults.ValidationProblem(errors, title: "The event was not stored: fix the fields below",
            detail: string.Join(" ", errors.SelectMany(kv => kv.Value)));
}

/// <summary>Reads a JSON request body within a size limit, answering 413/415/400 problems itself.</summary>
internal sealed record JsonBody(JsonDocument? Document, string Raw, ProblemHttpResult? Problem, string? Reason,
    IReadOnlyDictionary<string, string[]>? Errors = null)
{
    // What a too-large body keeps for the dead-letter store: enough to see whose it was.
    private const int KeptOfTooLarge = 64 * 1024;

    public static async Task<JsonBody> ReadAsync(HttpContext http, int maxBytes, CancellationToken ct)
    {
        var request = http.Request;
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        var limit = request.ContentLength > maxBytes ? KeptOfTooLarge : maxBytes;
        while (buffer.Length <= limit && (read = await request.Body.ReadAsync(chunk, ct)) > 0) buffer.Write(chunk, 0, read);
        if (buffer.Length > maxBytes || request.ContentLength > maxBytes)
            return Refused(StatusCodes.Status413PayloadTooLarge, "Request body too large", $"The body is limited to {maxBytes / 1024:N0} KB.",
                Text(buffer.GetBuffer().AsSpan(0, (int)Math.Min(buffer.Length, KeptOfTooLarge))), IngestionFailureReasons.TooLarge);

        var bytes = buffer.GetBuffer().AsMemory(0, (int)buffer.Length);
        var raw = Text(bytes.Span);
        // System.Text.Json checks the structure, not the UTF-8 inside strings (reading such a string would throw).
        if (InvalidUtf8At(bytes.Span) is { } at && IsJson(request.ContentType))
            return Refused(StatusCodes.Status400BadRequest, "The body is not valid UTF-8",
                $"JSON must be UTF-8; byte {at:N0} of the body is not (is the sender using another encoding?).", raw, IngestionFailureReasons.InvalidJson);
        // The body is kept even then: JSON sent with the wrong content type can be replayed as it is.
        if (!IsJson(request.ContentType))
            return Refused(StatusCodes.Status415UnsupportedMediaType, "Unsupported content type",
                $"Send the event as JSON with Content-Type: application/json (got '{request.ContentType ?? "none"}').", raw, IngestionFailureReasons.UnsupportedMediaType);
        try
        {
            return new(JsonDocument.Parse(bytes, IngestionService.JsonOptions), raw, null, null);
        }
        catch (JsonException e)
        {
            var message = bytes.Length == 0 ? "The body is empty: send one JSON object describing the event." : e.Message;
            return Refused(StatusCodes.Status400BadRequest, "The body is not valid JSON", message, raw, IngestionFailureReasons.InvalidJson);
        }
    }

    private static JsonBody Refused(int status, string title, string detail, string raw, string reason)
    {
        var errors = new Dictionary<string, string[]> { ["$"] = [detail] };
        return new(null, raw, TypedResults.Problem(statusCode: status, title: title, detail: detail,
            extensions: new Dictionary<string, object?> { ["errors"] = errors }), reason, errors);
    }

    private static int? InvalidUtf8At(ReadOnlySpan<byte> bytes)
    {
        if (System.Text.Unicode.Utf8.IsValid(bytes)) return null;
        for (var i = 0; i < bytes.Length;)
        {
            if (Rune.DecodeFromUtf8(bytes[i..], out _, out var consumed) != System.Buffers.OperationStatus.Done) return i;
            i += consumed;
        }
        return null;
    }

    // Invalid UTF-8 becomes U+FFFD: the dead letter shows what arrived as closely as text can.
    private static string Text(ReadOnlySpan<byte> bytes) => Encoding.UTF8.GetString(bytes);

    private static bool IsJson(string? contentType) =>
        contentType is not null && (contentType.StartsWith("application/json", StringComparison.OrdinalIgnoreCase) ||
                                    contentType.Split(';')[0].Trim().EndsWith("+json", StringComparison.OrdinalIgnoreCase));
}
