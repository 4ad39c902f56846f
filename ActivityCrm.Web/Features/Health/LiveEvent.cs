namespace ActivityCrm.Web.Features.Health;

/// <summary>An event pushed to the open health page since its last refresh (when it happened, when it was stored).</summary>
public sealed record LiveEvent(string Source, DateTimeOffset Timestamp, DateTimeOffset StoredAt);
