namespace ActivityCrm.Data.Entities;

/// <summary>Dead letter: an authenticated ingestion request that could not be stored, kept raw for replay.</summary>
public class IngestionFailure
{
    public Guid Id { get; set; }
    public DateTimeOffset ReceivedAt { get; set; }
    public Guid? ApiKeyId { get; set; }
    public string? Source { get; set; }
    public string? EventType { get; set; }
    /// <summary>Short machine reason: validation, unknown_event_type, database_error, import.</summary>
    public string Reason { get; set; } = "";
    /// <summary>jsonb: field → messages.</summary>
    public string? Errors { get; set; }
    public string Payload { get; set; } = "";
    public string Status { get; set; } = IngestionFailureStatuses.Pending;
    public DateTimeOffset? ResolvedAt { get; set; }
    public Guid? ResolvedBy { get; set; }
    public string? ResolutionNote { get; set; }
    public Guid? ReplayedActivityId { get; set; }
}

public static class IngestionFailureStatuses
{
    public const string Pending = "pending", Replayed = "replayed", Discarded = "discarded";
}
