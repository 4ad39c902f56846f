using System.Text.Json;
using ActivityCrm.Data.Activities;
using ActivityCrm.Web.Features.Leads.Timeline;
using AngleSharp.Dom;
using Microsoft.AspNetCore.Components;

using EventDetails = ActivityCrm.Web.Features.Leads.Timeline.EventDetails;

namespace ActivityCrm.Tests.Leads;

/// <summary>Each kind of event renders the way a program manager reads it.</summary>
public sealed class TimelineRenderingTests
{
    private static readonly DateTimeOffset At = new(2026, 11, 20, 9, 30, 0, TimeSpan.Zero);

    private static ActivityRow Row(string type, string category, object? metadata = null, string? message = null, string actor = "system",
        string? actorId = null, string? actorName = null, string description = "Something happened") => new()
    {
        Id = Guid.NewGuid(), Timestamp = At, CreatedAt = At, EventType = type, EventCategory = category, LeadId = Guid.NewGuid(),
        Description = description, MessageContent = message, Metadata = metadata is null ? null : JsonSerializer.Serialize(metadata),
        Source = "n8n:tests", ActorType = actor, ActorId = actorId, ActorName = actorName,
    };

    private static Task<IDocument> Entry(ActivityRow row, TimelineContext? context = null) =>
        InContext<TimelineEntry>(row, context ?? new TimelineContext(TimeZoneInfo.Utc, At.AddHours(1)));

    /// <summary>Renders <typeparamref name="TComponent"/> for one event inside the context the timeline cascades.</summary>
    private static Task<IDocument> InContext<TComponent>(ActivityRow row, TimelineContext context) where TComponent : IComponent =>
        TimelineRenderer.RenderAsync<CascadingValue<TimelineContext>>(new()
        {
            ["Value"] = context,
            ["ChildContent"] = (RenderFragment)(b =>
            {
                b.OpenComponent<TComponent>(0);
                b.AddAttribute(1, "Event", TimelineEvent.From(row));
                b.CloseComponent();
            }),
        });

    private static string Text(IDocument doc, string selector) => doc.QuerySelector(selector)?.TextContent.Trim() ?? $"<no {selector}>";

    [Fact]
    public async Task A_status_change_shows_from_and_to()
    {
        var doc = await Entry(Row("STATUS_CHANGED", "MANUAL", new { fromStatus = "new", toStatus = "opted_out" }, actor: "human", actorId: "u1", actorName: "Dana Reyes"));

        var chips = doc.QuerySelectorAll("[data-testid=status-change] .lead-status").Select(e => e.TextContent).ToList();
        Assert.Equal(["New", "Opted out"], chips);
        Assert.Equal("STATUS_CHANGED", doc.QuerySelector("article")!.GetAttribute("data-event-type"));
    }

    [Fact]
    public async Task A_score_update_shows_previous_and_new_score_band_and_top_factors()
    {
        var doc = await Entry(Row("ICP_SCORE_UPDATED", "SYSTEM", new
        {
            previousScore = 46, newScore = 68, previousBand = "warm", newBand = "hot", modelVersion = "v1.0",
            topFactors = new[] { "job_title_match", "opened_2_emails", "visited_pricing_page" },
        }));

        Assert.Equal("46", Text(doc, "[data-testid=previous-score]"));
        Assert.Equal("68", Text(doc, "[data-testid=new-score]"));
        Assert.Equal(["warm", "hot"], doc.QuerySelectorAll(".score-band").Select(e => e.GetAttribute("data-band")));
        Assert.Equal("+22", Text(doc, ".tl-score-delta"));
        Assert.Equal(["Job title match", "Opened 2 emails", "Visited pricing page"], doc.QuerySelectorAll("[data-testid=factor]").Select(e => e.TextContent));
        Assert.Contains("Model v1.0", doc.Body!.TextContent);
    }

    [Fact]
    public async Task A_booking_shows_its_scheduled_time_in_the_viewers_zone_and_a_reschedule_shows_both_times()
    {
        var berlin = TimelineContext.ZoneOrUtc("Europe/Berlin");
        var context = new TimelineContext(berlin, At);
        var confirmed = await Entry(Row("BOOKING_CONFIRMED", "BOOKING", new { scheduled_at = "2026-12-01T15:00:00Z", event_type = "Strategy Call", invitee_name = "John Smith" }), context);
        var moved = await Entry(Row("BOOKING_RESCHEDULED", "BOOKING", new { previous_scheduled_at = "2026-12-01T15:00:00Z", scheduled_at = "2026-12-03T15:00:00Z" }), context);

        Assert.Contains("Tue 1 Dec 2026, 16:00", Text(confirmed, "[data-testid=scheduled-at] strong"));
        Assert.Contains("Europe/Berlin", Text(confirmed, "[data-testid=scheduled-at]"));
        Assert.Contains("Strategy Call", Text(confirmed, "[data-testid=booking]"));
        Assert.Contains("with John Smith", Text(confirmed, "[data-testid=booking]"));
        Assert.Equal("Tue 1 Dec 2026, 16:00", Text(moved, "[data-testid=scheduled-at] s"));
        Assert.Equal("Thu 3 Dec 2026, 16:00", Text(moved, "[data-testid=scheduled-at] strong"));
    }

    [Theory]
    [InlineData("MESSAGE_SENT", "SMS", "outbound")]
    [InlineData("AI_RESPONSE_SENT", "CONVERSATION", "outbound")]
    [InlineData("QUALIFYING_QUESTION_ASKED", "CONVERSATION", "outbound")]
    [InlineData("EMAIL_SENT", "EMAIL", "outbound")]
    [InlineData("INBOUND_REPLY", "SMS", "inbound")]
    [InlineData("EMAIL_RECEIVED", "EMAIL", "inbound")]
    [InlineData("QUALIFYING_ANSWER_CAPTURED", "CONVERSATION", "inbound")]
    public async Task Messages_are_chat_bubbles_on_the_side_of_who_sent_them(string type, string category, string direction)
    {
        var doc = await Entry(Row(type, category, new { emailSubject = "Your template", phone = "4085551234" }, message: "Line one\nLine two"));

        var bubble = doc.QuerySelector("[data-testid=message]")!;
        Assert.Equal(direction, bubble.GetAttribute("data-direction"));
        Assert.Equal("Line one\nLine two", bubble.QuerySelector(".tl-bubble-text")!.TextContent);
        if (category == "EMAIL") Assert.Equal("Your template", Text(doc, ".tl-bubble-subject"));
    }

    [Fact]
    public async Task A_nurture_step_shows_sequence_step_channel_and_delivery_status()
    {
        var doc = await Entry(Row("NURTURE_STEP_EXECUTED", "NURTURE", new { sequenceId = "seq_123", stepId = "step_2", channel = "email", templateId = "tmpl_followup_2", deliveryStatus = "bounced" }));

        var facts = doc.QuerySelectorAll("[data-testid=nurture] div").ToDictionary(d => d.QuerySelector("dt")!.TextContent, d => d.QuerySelector("dd")!.TextContent.Trim());
        Assert.Equal("Seq 123", facts["Sequence"]);
        Assert.Equal("Step 2", facts["Step"]);
        Assert.Equal("Email", facts["Channel"]);
        Assert.Equal("bounced", facts["Delivery"]);
        Assert.Equal("bounced", doc.QuerySelector("[data-testid=delivery-status]")!.GetAttribute("data-status"));
    }

    [Fact]
    public async Task Enrichment_lists_the_fields_it_filled_with_links_for_urls()
    {
        var doc = await Entry(Row("ENRICHMENT_COMPLETED", "SYSTEM", new { linkedinUrl = "https://linkedin.com/in/example", companySize = "11-50", industry = "SaaS" }, actor: "agent", actorId: "enrichment-agent"));

        Assert.Equal(["linkedinUrl", "companySize", "industry"], doc.QuerySelectorAll("[data-testid=enrichment] [data-field]").Select(e => e.GetAttribute("data-field")));
        Assert.Equal("https://linkedin.com/in/example", doc.QuerySelector("[data-field=linkedinUrl] a")!.GetAttribute("href"));
        Assert.Equal("11-50", Text(doc, "[data-field=companySize] dd"));
    }

    [Fact]
    public async Task A_redacted_event_shows_a_neutral_placeholder_with_the_reason_and_nothing_of_its_content()
    {
        var row = Row("NOTE_ADDED", "MANUAL", new { phone = "+1 555 0100" }, message: null, description: "[redacted]") with
        {
            RedactedAt = At.AddDays(1), RedactionReason = "Contained a personal phone number",
        };
        var doc = await Entry(row);
        var details = await TimelineRenderer.RenderAsync<EventDetails>(new() { ["Event"] = TimelineEvent.From(row) });

        Assert.Equal("Redacted", doc.QuerySelector("article")!.GetAttribute("data-kind"));
        Assert.Contains("Content redacted: Contained a personal phone number", Text(doc, "[data-testid=redacted]"));
        Assert.Equal("Content redacted", Text(doc, ".tl-desc"));
        Assert.DoesNotContain("555 0100", doc.Body!.TextContent + details.Body!.TextContent);
        Assert.Null(details.QuerySelector("[data-testid=metadata]"));
    }

    [Fact]
    public async Task An_unknown_type_falls_back_to_a_generic_card_with_its_message_and_fields()
    {
        var doc = await Entry(Row("WEBINAR_ATTENDED", "CAMPAIGN", new { webinar = "Pricing deep dive", minutes_watched = 42 }, message: "Asked two questions", description: "Attended the webinar"));

        Assert.Equal("Generic", doc.QuerySelector("article")!.GetAttribute("data-kind"));
        Assert.Equal("Attended the webinar", Text(doc, ".tl-desc"));
        Assert.Equal("Asked two questions", Text(doc, "[data-testid=generic] blockquote"));
        Assert.Contains("42", Text(doc, "[data-field=minutes_watched]"));
    }

    [Fact]
    public async Task Calls_notes_claims_and_campaigns_show_what_matters_about_them()
    {
        var call = await Entry(Row("CALL_LOGGED", "CALL", new { outcome = "no_answer", durationSeconds = 725 }, message: "Try again Monday"));
        var note = await Entry(Row("NOTE_ADDED", "MANUAL", new { note_length = 9 }, message: "Hot lead!"));
        var claim = await Entry(Row("LEAD_CLAIMED", "MANUAL", new { owner_name = "Pat Claimer", previous_owner_name = "Dana Reyes" }));
        var campaign = await Entry(Row("CAMPAIGN_ENROLLED", "CAMPAIGN", new { campaign_id = "x", campaign_name = "Webinar Follow-up" }));

        Assert.Equal("No answer", Text(call, "[data-outcome]"));
        Assert.EndsWith("12 min", Text(call, "[data-testid=duration]"));
        Assert.Equal("Try again Monday", Text(call, ".tl-quote"));
        Assert.Equal("Hot lead!", Text(note, "[data-testid=note]"));
        Assert.Contains("Pat Claimer", Text(claim, "[data-testid=claim]"));
        Assert.Contains("took over from Dana Reyes", Text(claim, "[data-testid=claim]"));
        Assert.EndsWith("Webinar Follow-up", Text(campaign, "[data-testid=campaign]"));
    }

    [Theory]
    [InlineData("human", "u-1", "Dana Reyes", "Dana Reyes")]
    [InlineData("agent", "follow-up-drafter", null, "Agent: follow-up-drafter")]
    [InlineData("system", null, null, "System")]
    public async Task Every_entry_carries_a_human_agent_or_system_badge(string actor, string? id, string? name, string shown)
    {
        var doc = await Entry(Row("MESSAGE_DELIVERED", "SMS", actor: actor, actorId: id, actorName: name));

        var badge = doc.QuerySelector(".actor-badge")!;
        Assert.Equal(actor, badge.GetAttribute("data-actor-type"));
        Assert.Equal(shown, badge.QuerySelector("span")!.TextContent.Trim());
    }

    [Fact]
    public async Task Details_show_every_stored_field_and_the_open_event_link_only_when_allowed()
    {
        var row = Row("MESSAGE_SENT", "SMS", new { campaign_id = "chatgpt_use_cases" }, message: "Hi") with
        {
            ExecutionId = "28973", CorrelationId = Guid.NewGuid(), IdempotencyKey = "28973-0",
        };
        var admin = await RenderDetails(row, canOpen: true);
        var manager = await RenderDetails(row, canOpen: false);

        Assert.Contains("\"campaign_id\": \"chatgpt_use_cases\"", Text(admin, "[data-testid=metadata]"));
        Assert.Contains("28973-0", admin.Body!.TextContent);
        Assert.Contains(row.CorrelationId.ToString()!, admin.Body.TextContent);
        Assert.Equal($"/admin/activity-logs/{row.Id}", admin.QuerySelector("a[href*='/admin/activity-logs/']")?.GetAttribute("href"));
        Assert.Null(manager.QuerySelector("a[href*='/admin/activity-logs/']"));
    }

    private static Task<IDocument> RenderDetails(ActivityRow row, bool canOpen) =>
        InContext<EventDetails>(row, new TimelineContext(TimeZoneInfo.Utc, At, canOpen));

    [Fact]
    public async Task Events_sharing_a_correlation_id_collapse_into_one_journey_card_with_its_steps_in_order()
    {
        var correlation = Guid.NewGuid();
        TimelineEvent E(string type, string category, int minutes, Guid? c) =>
            TimelineEvent.From(Row(type, category) with { Timestamp = At.AddMinutes(minutes), CorrelationId = c });
        var events = new[]
        {
            E("BOOKING_CONFIRMED", "BOOKING", 30, correlation), E("NOTE_ADDED", "MANUAL", 25, null),
            E("INBOUND_REPLY", "SMS", 20, correlation), E("MESSAGE_DELIVERED", "SMS", 11, correlation),
            E("MESSAGE_SENT", "SMS", 10, correlation), E("MESSAGE_SENT", "SMS", 5, Guid.NewGuid()),
        };

        var day = Assert.Single(TimelineLayout.Build(events, TimeZoneInfo.Utc, At));
        Assert.Equal(["j", "e", "e"], day.Groups.Select(g => g.Key[..1]));
        var journey = day.Groups[0];
        Assert.Equal(4, journey.Events.Count);

        var doc = await TimelineRenderer.RenderAsync<JourneyCard>(new() { ["Group"] = journey });
        Assert.Equal("4", doc.QuerySelector("[data-testid=journey]")!.GetAttribute("data-steps"));
        Assert.Contains("Journey · 4 steps", Text(doc, ".tl-desc"));
        Assert.Equal(["MESSAGE_SENT", "MESSAGE_DELIVERED", "INBOUND_REPLY", "BOOKING_CONFIRMED"],
            doc.QuerySelectorAll(".tl-journey-path .event-badge-name").Select(e => e.TextContent));
    }

    [Fact]
    public void Days_are_the_viewers_days_and_read_today_yesterday_then_dates()
    {
        var tokyo = TimelineContext.ZoneOrUtc("Asia/Tokyo");
        var now = new DateTimeOffset(2026, 11, 20, 12, 0, 0, TimeSpan.Zero); // 21:00 in Tokyo
        TimelineEvent E(DateTimeOffset t) => TimelineEvent.From(Row("MESSAGE_SENT", "SMS") with { Timestamp = t });
        var events = new[] { E(now), E(now.AddHours(-12)), E(now.AddHours(-13)), E(now.AddDays(-3)) }; // 09:00 and 08:00 Tokyo: still today

        var days = TimelineLayout.Build(events, tokyo, now);

        Assert.Equal(["Today", "Tuesday, 17 November"], days.Select(d => d.Label));
        Assert.Equal(3, days[0].Groups.Count);
        Assert.Equal("Yesterday", TimelineLayout.DayLabel(new DateOnly(2026, 11, 19), new DateOnly(2026, 11, 20)));
        Assert.Equal("Thursday, 20 November 2025", TimelineLayout.DayLabel(new DateOnly(2025, 11, 20), new DateOnly(2026, 11, 20)));
    }
}
