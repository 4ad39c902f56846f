namespace ActivityCrm.Data.Entities;

/// <summary>Dead letter: an authenticated ingestion request that could not be stored, kept raw for replay.</summary>
public class IngestionFailure
{
    public Guid Id { get; set; }
    public DateTimeOffset ReceivedAt { get; set; }
    public Guid? ApiKeyId { get; set; }
    public string? Source { get; set; }
    public string? EventType { get; set; }
    /// <summary>Short machine reason, one of <see cref="IngestionFailureReasons"/>.</summary>
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

public static class IngestionFailureReasons
{
    public const string Validation = "validation", UnknownEventType = "unknown_event_type", InvalidJson = "invalid_json",
        TooLarge = "too_large", UnsupportedMediaType = "unsupported_media_type", DatabaseError = "database_error",
        DatabaseUnavailable = "database_unavailable", Import = "import";

    public static readonly IReadOnlyList<string> All =
        [Validation, UnknownEventType, InvalidJson, TooLarge, UnsupportedMediaType, DatabaseError, DatabaseUnavailable, Import];
}
