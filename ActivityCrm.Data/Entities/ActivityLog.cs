using NpgsqlTypes;

namespace ActivityCrm.Data.Entities;

/// <summary>One immutable touchpoint with a lead (table lead_activity_log). The database refuses updates
/// except orphan linking and redaction; see the guard trigger in the initial migration.</summary>
public class ActivityLog
{
    public Guid Id { get; set; }
    public string EventType { get; set; } = "";
    public string EventCategory { get; set; } = "";
    public Guid? LeadId { get; set; }
    public Lead? Lead { get; set; }
    public string? LeadAirtableId { get; set; }
    public Guid? ClientId { get; set; }
    public string Description { get; set; } = "";
    public string? MessageContent { get; set; }
    /// <summary>jsonb; kept as text on the CLR side because every reader either shows it or re-parses it.</summary>
    public string? Metadata { get; set; }
    public string Source { get; set; } = "";
    public string? ExecutionId { get; set; }
    public Guid? CreatedBy { get; set; }
    public string ActorType { get; set; } = ActorTypes.System;
    public string? ActorId { get; set; }
    public Guid? CorrelationId { get; set; }
    public string? RelatedEntityType { get; set; }
    public string? RelatedEntityId { get; set; }
    public string? IdempotencyKey { get; set; }
    /// <summary>When it happened.</summary>
    public DateTimeOffset Timestamp { get; set; }
    /// <summary>When it was stored.</summary>
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? RedactedAt { get; set; }
    public Guid? RedactedBy { get; set; }
    public string? RedactionReason { get; set; }
    /// <summary>SHA-256 of the canonical content, set by the database on insert (activity_content_hash).</summary>
    public byte[]? ContentHash { get; set; }
    public NpgsqlTsVector? SearchVector { get; set; }
}

public static class ActorTypes
{
    public const string Human = "human";
    public const string Agent = "agent";
    public const string System = "system";
    public static readonly IReadOnlyList<string> All = [Human, Agent, System];
}
