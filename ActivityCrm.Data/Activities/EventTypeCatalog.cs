using ActivityCrm.Data.Entities;

namespace ActivityCrm.Data.Activities;

/// <summary>The built-in event types, seeded into activity_types. The table is the truth at run time
/// (admins can add rows); this list exists so the seed, the demo data and the docs agree.</summary>
public static class EventTypeCatalog
{
    public static readonly IReadOnlyDictionary<string, (string Icon, string Colour, string Label)> Categories =
        new Dictionary<string, (string, string, string)>
        {
            [EventCategories.Sms] = ("sms", "#1e88e5", "SMS"),
            [EventCategories.Email] = ("mail", "#8e24aa", "Email"),
            [EventCategories.Call] = ("call", "#00897b", "Call"),
            [EventCategories.Campaign] = ("campaign", "#f4511e", "Campaign"),
            [EventCategories.Nurture] = ("spa", "#43a047", "Nurture"),
            [EventCategories.Booking] = ("event_available", "#c28b00", "Booking"),
            [EventCategories.Conversation] = ("forum", "#3949ab", "Conversation"),
            [EventCategories.Manual] = ("edit_note", "#6d4c41", "Manual"),
            [EventCategories.System] = ("settings", "#546e7a", "System"),
        };

    public static readonly IReadOnlyList<ActivityType> BuiltIn =
    [
        T("MESSAGE_SENT", "SMS", "SMS sent", "send", "SMS sent successfully", ["MESSAGE_DELIVERED", "MESSAGE_FAILED"], 30),
        T("MESSAGE_FAILED", "SMS", "SMS failed", "sms_failed", "SMS send failed (API error)", colour: "#e53935"),
        T("MESSAGE_DELIVERED", "SMS", "SMS delivered", "mark_chat_read", "Delivery confirmation from carrier"),
        T("INBOUND_REPLY", "SMS", "Reply received", "reply", "Lead replied to SMS"),
        T("LINK_CLICKED", "SMS", "Link clicked", "link", "Lead clicked link in message"),
        T("OPT_OUT", "SMS", "Opted out", "block", "Lead sent STOP", colour: "#e53935"),
        T("CAMPAIGN_ENROLLED", "CAMPAIGN", "Enrolled in campaign", "playlist_add", "Lead added to campaign", ["MESSAGE_SENT", "NURTURE_STEP_EXECUTED"], 1440),
        T("CAMPAIGN_REMOVED", "CAMPAIGN", "Removed from campaign", "playlist_remove", "Lead removed from campaign"),
        T("CAMPAIGN_COMPLETED", "CAMPAIGN", "Campaign completed", "flag", "Lead completed campaign sequence"),
        T("BOOKING_CONFIRMED", "BOOKING", "Booking confirmed", "event_available", "Calendly booking confirmed"),
        T("BOOKING_CANCELLED", "BOOKING", "Booking cancelled", "event_busy", "Calendly booking cancelled"),
        T("BOOKING_RESCHEDULED", "BOOKING", "Booking rescheduled", "edit_calendar", "Calendly booking rescheduled", ["BOOKING_CONFIRMED"], 1440),
        T("STATUS_CHANGED", "MANUAL", "Status changed", "swap_horiz", "Status updated"),
        T("NOTE_ADDED", "MANUAL", "Note added", "sticky_note_2", "Note added to lead"),
        T("LEAD_CLAIMED", "MANUAL", "Lead claimed", "person_add", "A program manager claimed the lead"),
        T("AI_RESPONSE_SENT", "CONVERSATION", "AI response sent", "smart_toy", "AI agent replied"),
        T("QUALIFYING_QUESTION_ASKED", "CONVERSATION", "Qualifying question", "help", "Qualifying question asked"),
        T("QUALIFYING_ANSWER_CAPTURED", "CONVERSATION", "Qualifying answer", "task_alt", "Qualifying answer captured"),
        T("NURTURE_SCHEDULED", "NURTURE", "Nurture step scheduled", "schedule", "A nurture step is queued"),
        T("CIRCUIT_BREAKER_TRIGGERED", "CONVERSATION", "Circuit breaker", "power_off", "Automation stopped by a safety rule", colour: "#e53935"),
        T("CONVERSATION_ESCALATED", "CONVERSATION", "Escalated to a human", "priority_high", "Conversation escalated"),
        T("ENRICHMENT_COMPLETED", "SYSTEM", "Enrichment completed", "auto_awesome", "Enrichment filled lead fields"),
        T("ICP_SCORE_UPDATED", "SYSTEM", "ICP score updated", "trending_up", "Scoring engine updated score/band"),
        T("EMAIL_SENT", "EMAIL", "Email sent", "forward_to_inbox", "Outbound email sent"),
        T("EMAIL_RECEIVED", "EMAIL", "Email received", "mark_email_unread", "Inbound email received"),
        T("CALL_LOGGED", "CALL", "Call logged", "call", "A phone call was logged"),
        T("NURTURE_ENROLLED", "NURTURE", "Nurture enrolled", "spa", "Lead enrolled into a nurture sequence"),
        T("NURTURE_STEP_EXECUTED", "NURTURE", "Nurture step executed", "play_circle", "A nurture step ran"),
        T("NURTURE_PAUSED", "NURTURE", "Nurture paused", "pause_circle", "Sequence paused"),
        T("NURTURE_RESUMED", "NURTURE", "Nurture resumed", "play_arrow", "Sequence resumed"),
        T("NURTURE_EXITED", "NURTURE", "Nurture exited", "logout", "Lead left the sequence"),
        T("LEAD_REDACTED", "SYSTEM", "Event redacted", "visibility_off", "An event's content was redacted"),
        T("LEAD_ERASED", "SYSTEM", "Lead erased", "person_remove", "The lead's personal data was erased on request"),
    ];

    private static ActivityType T(string name, string category, string label, string icon, string description,
        string[]? followUps = null, int? withinMinutes = null, string? colour = null) => new()
    {
        Name = name, Category = category, Label = label, Icon = icon, Description = description,
        Colour = colour ?? Categories[category].Colour, ExpectedFollowUps = followUps ?? [],
        FollowUpWithinMinutes = withinMinutes, IsBuiltIn = true,
        CreatedAt = new DateTimeOffset(2026, 11, 22, 0, 0, 0, TimeSpan.Zero),
    };
}
