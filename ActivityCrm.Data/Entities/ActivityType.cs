namespace ActivityCrm.Data.Entities;

/// <summary>Lookup of event types. Admins add rows at run time; no migration needed.</summary>
public class ActivityType
{
    public string Name { get; set; } = "";
    public string Category { get; set; } = "";
    public string Label { get; set; } = "";
    /// <summary>Material icon name (Radzen uses Material Symbols).</summary>
    public string Icon { get; set; } = "event";
    /// <summary>CSS colour.</summary>
    public string Colour { get; set; } = "#607d8b";
    public string Description { get; set; } = "";
    /// <summary>Lifecycle check: types one of which should follow this one (matched by lead and correlation id).</summary>
    public string[] ExpectedFollowUps { get; set; } = [];
    public int? FollowUpWithinMinutes { get; set; }
    public bool IsBuiltIn { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}

public static class EventCategories
{
    public const string Sms = "SMS", Email = "EMAIL", Call = "CALL", Campaign = "CAMPAIGN", Nurture = "NURTURE",
        Booking = "BOOKING", Conversation = "CONVERSATION", Manual = "MANUAL", System = "SYSTEM";
    public static readonly IReadOnlyList<string> All = [Sms, Email, Call, Campaign, Nurture, Booking, Conversation, Manual, System];
}
