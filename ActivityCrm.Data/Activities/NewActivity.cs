using ActivityCrm.Data.Entities;

namespace ActivityCrm.Data.Activities;

/// <summary>An event to append, already validated. Metadata is a JSON object as text.</summary>
public sealed record NewActivity
{
    public required string EventType { get; init; }
    public required string EventCategory { get; init; }
    public Guid? LeadId { get; init; }
    public string? LeadAirtableId { get; init; }
    public Guid? ClientId { get; init; }
    public required string Description { get; init; }
    public string? MessageContent { get; init; }
    public string? Metadata { get; init; }
    public required string Source { get; init; }
    public string? ExecutionId { get; init; }
    public Guid? CreatedBy { get; init; }
    public DateTimeOffset Timestamp { get; init; }
    public string ActorType { get; init; } = ActorTypes.System;
    public string? ActorId { get; init; }
    public Guid? CorrelationId { get; init; }
    public string? RelatedEntityType { get; init; }
    public string? RelatedEntityId { get; init; }
    /// <summary>With Source, makes a retry a no-op. Null only for in-process writes that cannot be retried.</summary>
    public string? IdempotencyKey { get; init; }
}

public enum AppendStatus { Created, Duplicate, LeadNotFound, UnknownCreatedBy }

public sealed record AppendResult(AppendStatus Status, Guid ActivityId, DateTimeOffset Timestamp, Guid? LeadId)
{
    public bool Stored => Status is AppendStatus.Created or AppendStatus.Duplicate;
}
