namespace ActivityCrm.Data.Activities;

/// <summary>An event as screens and read APIs show it: the row plus who the lead and the actor are.</summary>
public sealed record ActivityRow
{
    public Guid Id { get; init; }
    public DateTimeOffset Timestamp { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public string EventType { get; init; } = "";
    public string EventCategory { get; init; } = "";
    public Guid? LeadId { get; init; }
    public string? LeadAirtableId { get; init; }
    public string? LeadName { get; init; }
    public string? LeadEmail { get; init; }
    public bool LeadDeleted { get; init; }
    public Guid? ClientId { get; init; }
    public string Description { get; init; } = "";
    public string? MessageContent { get; init; }
    public string? Metadata { get; init; }
    public string Source { get; init; } = "";
    public string? ExecutionId { get; init; }
    public Guid? CreatedBy { get; init; }
    public string ActorType { get; init; } = "";
    public string? ActorId { get; init; }
    public string? ActorName { get; init; }
    public Guid? CorrelationId { get; init; }
    public string? RelatedEntityType { get; init; }
    public string? RelatedEntityId { get; init; }
    public string? IdempotencyKey { get; init; }
    public DateTimeOffset? RedactedAt { get; init; }
    public string? RedactionReason { get; init; }

    public bool IsOrphan => LeadId is null;

    /// <summary>"User name", the agent's role, or "System".</summary>
    public string ActorDisplay => ActorType switch
    {
        "human" => ActorName ?? ActorId ?? "Someone",
        "agent" => ActorId is { Length: > 0 } a ? $"Agent: {a}" : "Agent",
        _ => "System",
    };
}
