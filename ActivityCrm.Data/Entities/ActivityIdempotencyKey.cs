namespace ActivityCrm.Data.Entities;

/// <summary>
/// Which event a (source, idempotency key) pair stored. Kept apart from lead_activity_log because a unique
/// index on a partitioned table must contain the partition key (the event's timestamp), and a retry that
/// lets the server pick the timestamp would slip past such an index. One row per event with a key.
/// </summary>
public class ActivityIdempotencyKey
{
    public string Source { get; set; } = "";
    public string IdempotencyKey { get; set; } = "";
    public Guid ActivityId { get; set; }
    public DateTimeOffset Timestamp { get; set; }
}
