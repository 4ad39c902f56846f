using System.Text.Json;

namespace ActivityCrm.Web.Features.Ingestion;

/// <summary>The event body, as documented in the OpenAPI document. The endpoint itself reads raw JSON so it
/// can name every bad field at once (a typed binder stops at the first type error).</summary>
public sealed record LogActivityRequest(
    string EventType, string EventCategory, Guid? LeadId, string? LeadAirtableId, string Description, string? MessageContent,
    JsonElement? Metadata, string Source, string? ExecutionId, Guid? CreatedBy, DateTimeOffset? Timestamp,
    string? ActorType, string? ActorId, Guid? CorrelationId, string? RelatedEntityType, string? RelatedEntityId, string? IdempotencyKey);

public sealed record LogActivityBatchRequest(IReadOnlyList<LogActivityRequest> Events);

public sealed record LeadSyncRequest(
    string? FirstName, string? LastName, string? Email, string? Phone, string? Company, string? Title, string? Status,
    int? IcpScore, string? IcpBand, string? OwnerEmail, Guid? ClientId);

/// <summary>Endpoint metadata naming the JSON body type for the OpenAPI document only.</summary>
public sealed record DocumentedBody(Type Type);
