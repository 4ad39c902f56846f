namespace ActivityCrm.Data.Entities;

/// <summary>
/// One alert incident (table alert_state): a condition (dead letters, a quiet source, lifecycle gaps, the
/// database) that went bad at <see cref="OpenedAt"/> and, once it has stayed good long enough, was resolved.
/// At most one open incident per <see cref="Key"/> (unique partial index), so however many ticks and app
/// instances see the same problem it is one alert, plus one recovery message.
/// </summary>
public class AlertIncident
{
    public Guid Id { get; set; }
    /// <summary>The condition, e.g. dead-letters, quiet:n8n:kJMMZ10anu4NqYUL, lifecycle:MESSAGE_SENT, database:host-1234.</summary>
    public string Key { get; set; } = "";
    public string Title { get; set; } = "";
    /// <summary>What was seen when it opened (numbers refreshed while it stays open).</summary>
    public string Detail { get; set; } = "";
    public DateTimeOffset OpenedAt { get; set; }
    public DateTimeOffset LastSeenAt { get; set; }
    /// <summary>Since when the condition has been good again (resolution waits for Alerts:ResolveAfterSeconds).</summary>
    public DateTimeOffset? ClearSince { get; set; }
    public DateTimeOffset? ResolvedAt { get; set; }
    public string? ResolvedDetail { get; set; }
    /// <summary>When the alert message was delivered (or found no webhook to go to); null while it still has to go out.</summary>
    public DateTimeOffset? OpenSentAt { get; set; }
    public DateTimeOffset? ResolveSentAt { get; set; }
    public int SendFailures { get; set; }
    /// <summary>The last delivery outcome: "sent", "no webhook configured", "failed: ... (retried next check)".</summary>
    public string? Delivery { get; set; }
    /// <summary>The app instance that saw it (database alerts are per instance).</summary>
    public string? Instance { get; set; }
}
