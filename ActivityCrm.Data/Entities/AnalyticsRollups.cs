namespace ActivityCrm.Data.Entities;

/// <summary>
/// One lead's journey in one campaign (table analytics_journeys), derived from lead_activity_log by the
/// analytics refresher; <see cref="CampaignKey"/> "" is the lead's whole history regardless of campaign.
/// Rebuildable at any time: nothing here is a source of truth. Definitions in docs/analytics.md.
/// </summary>
public class AnalyticsJourney
{
    /// <summary>The lead's Airtable record id when it has one (so linking an orphan changes nothing), else its uuid.</summary>
    public string LeadKey { get; set; } = "";
    /// <summary>metadata.campaign_id of the journey's touches (campaigns.id as text, or a slug); "" = all campaigns.</summary>
    public string CampaignKey { get; set; } = "";
    /// <summary>The first non-null client_id among the journey's events.</summary>
    public Guid? ClientId { get; set; }
    public DateTimeOffset? EnrolledAt { get; set; }
    public DateTimeOffset? FirstSentAt { get; set; }
    public DateTimeOffset? FirstDeliveredAt { get; set; }
    public DateTimeOffset? FirstReplyAt { get; set; }
    public DateTimeOffset? FirstBookedAt { get; set; }
    public DateTimeOffset? OptedOutAt { get; set; }
}

/// <summary>Events per UTC day and dimension (table analytics_daily_counts), added to as events arrive.</summary>
public class AnalyticsDailyCount
{
    public long Id { get; set; }
    public DateOnly Day { get; set; }
    public string EventCategory { get; set; } = "";
    public string EventType { get; set; } = "";
    public string Source { get; set; } = "";
    public Guid? ClientId { get; set; }
    /// <summary>The campaign the event is attributed to (see docs/analytics.md); "" = none.</summary>
    public string CampaignKey { get; set; } = "";
    public long Events { get; set; }
}

/// <summary>The refresher's single-row bookmark (table analytics_state): events up to and including
/// (EventsCreatedAt, EventsId) in (created_at, id) order are in the rollups.</summary>
public class AnalyticsState
{
    public int Id { get; set; }
    public DateTimeOffset? EventsCreatedAt { get; set; }
    public Guid? EventsId { get; set; }
    /// <summary>When the rollups were last known to hold every event stored before <see cref="CaughtUpTo"/>.</summary>
    public DateTimeOffset? RefreshedAt { get; set; }
    public DateTimeOffset? CaughtUpTo { get; set; }
    public DateTimeOffset? RebuiltAt { get; set; }
}
