using ActivityCrm.Data.Health;

namespace ActivityCrm.Tests.Health;

/// <summary>Events still waiting for their expected follow-up past the deadline (activity_types rules), on hand-built histories.</summary>
public sealed class LifecycleGapTests(HealthDatabase db) : IClassFixture<HealthDatabase>
{
    private static readonly TimeSpan Week = TimeSpan.FromDays(7);
    private const string Delivery = "n8n:st-delivery-test";

    private async Task<List<LifecycleGapGroup>> GroupsAsync(string source, DateTimeOffset now) =>
        (await LifecycleGaps.SummaryAsync(db.DataSource, now, Week)).Where(g => g.Source == source).ToList();

    private async Task<HashSet<Guid>> WaitingIdsAsync(string source, DateTimeOffset now, string type = "MESSAGE_SENT", string? campaign = null) =>
        (await LifecycleGaps.WaitingAsync(db.DataSource, now, Week, type, source, campaign)).Select(e => e.Id).ToHashSet();

    [Fact]
    public async Task A_sent_message_without_delivery_past_30_minutes_is_listed_and_one_with_delivery_is_not()
    {
        var now = DateTimeOffset.UtcNow;
        var source = HealthTestData.Source();
        var ds = db.DataSource;
        var (l1, l2, l3, l4, l5, l6) = (await ds.LeadAsync(), await ds.LeadAsync(), await ds.LeadAsync(), await ds.LeadAsync(), await ds.LeadAsync(), await ds.LeadAsync());

        var undelivered = await ds.AppendOneAsync(HealthTestData.Event(source, now.AddMinutes(-40), "MESSAGE_SENT", leadId: l1));
        await ds.AppendOneAsync(HealthTestData.Event(source, now.AddMinutes(-40), "MESSAGE_SENT", leadId: l2));
        await ds.AppendOneAsync(HealthTestData.Event(Delivery, now.AddMinutes(-35), "MESSAGE_DELIVERED", leadId: l2));
        await ds.AppendOneAsync(HealthTestData.Event(source, now.AddMinutes(-10), "MESSAGE_SENT", leadId: l3)); // not due yet
        await ds.AppendOneAsync(HealthTestData.Event(source, now.AddMinutes(-40), "MESSAGE_SENT", leadId: l4));
        await ds.AppendOneAsync(HealthTestData.Event(Delivery, now.AddMinutes(-30), "MESSAGE_FAILED", leadId: l4)); // either follow-up will do
        await ds.AppendOneAsync(HealthTestData.Event(source, now.AddMinutes(-40), "MESSAGE_SENT", leadId: l5));
        await ds.AppendOneAsync(HealthTestData.Event(Delivery, now.AddMinutes(-1), "MESSAGE_DELIVERED", leadId: l5)); // late, but no longer missing
        await ds.AppendOneAsync(HealthTestData.Event(Delivery, now.AddMinutes(-50), "MESSAGE_DELIVERED", leadId: l6)); // before the send: not its follow-up
        var deliveredBefore = await ds.AppendOneAsync(HealthTestData.Event(source, now.AddMinutes(-40), "MESSAGE_SENT", leadId: l6));

        var group = Assert.Single(await GroupsAsync(source, now));
        Assert.Equal("MESSAGE_SENT", group.EventType);
        Assert.Equal(["MESSAGE_DELIVERED", "MESSAGE_FAILED"], group.ExpectedFollowUps);
        Assert.Equal(30, group.WithinMinutes);
        Assert.Equal(2, group.Waiting);
        Assert.Equal(now.AddMinutes(-40).UtcDateTime, group.Oldest.UtcDateTime, TimeSpan.FromMilliseconds(1));
        Assert.Equal(new[] { undelivered, deliveredBefore }.Order(), (await WaitingIdsAsync(source, now)).Order());
    }

    [Fact]
    public async Task A_follow_up_matches_by_correlation_id_and_without_one_by_lead()
    {
        var now = DateTimeOffset.UtcNow;
        var source = HealthTestData.Source();
        var ds = db.DataSource;
        var lead = await ds.LeadAsync();
        var other = await ds.LeadAsync();
        var third = await ds.LeadAsync();
        Guid a = Guid.NewGuid(), b = Guid.NewGuid(), c = Guid.NewGuid(), d = Guid.NewGuid(), e = Guid.NewGuid();

        // Same lead, but the delivery belongs to another conversation: still waiting.
        var wrongConversation = await ds.AppendOneAsync(HealthTestData.Event(source, now.AddHours(-2), "MESSAGE_SENT", leadId: lead, correlationId: a));
        await ds.AppendOneAsync(HealthTestData.Event(Delivery, now.AddHours(-2).AddMinutes(1), "MESSAGE_DELIVERED", leadId: lead, correlationId: b));
        // Same correlation id: matches even when recorded against another lead.
        await ds.AppendOneAsync(HealthTestData.Event(source, now.AddHours(-2), "MESSAGE_SENT", leadId: lead, correlationId: c));
        await ds.AppendOneAsync(HealthTestData.Event(Delivery, now.AddHours(-2).AddMinutes(2), "MESSAGE_DELIVERED", leadId: other, correlationId: c));
        // A follow-up without a correlation id matches by lead (so it would also have cleared the first send, had it been for that lead).
        await ds.AppendOneAsync(HealthTestData.Event(source, now.AddHours(-2), "MESSAGE_SENT", leadId: third, correlationId: d));
        await ds.AppendOneAsync(HealthTestData.Event(Delivery, now.AddHours(-2).AddMinutes(3), "MESSAGE_DELIVERED", leadId: third));
        // An original without one matches any follow-up for its lead.
        await ds.AppendOneAsync(HealthTestData.Event(source, now.AddHours(-3), "MESSAGE_SENT", leadId: other));
        await ds.AppendOneAsync(HealthTestData.Event(Delivery, now.AddHours(-3).AddMinutes(4), "MESSAGE_DELIVERED", leadId: other, correlationId: e));

        Assert.Equal(wrongConversation, Assert.Single(await WaitingIdsAsync(source, now)));
        Assert.Equal(1, Assert.Single(await GroupsAsync(source, now)).Waiting);
    }

    [Fact]
    public async Task Orphans_match_their_follow_ups_by_airtable_id()
    {
        var now = DateTimeOffset.UtcNow;
        var source = HealthTestData.Source();
        var ds = db.DataSource;
        var matched = $"recORPH{Guid.NewGuid():N}"[..17];
        var unmatched = $"recORPH{Guid.NewGuid():N}"[..17];

        await ds.AppendOneAsync(HealthTestData.Event(source, now.AddHours(-1), "MESSAGE_SENT", airtableId: matched));
        await ds.AppendOneAsync(HealthTestData.Event(Delivery, now.AddMinutes(-55), "MESSAGE_DELIVERED", airtableId: matched));
        var waiting = await ds.AppendOneAsync(HealthTestData.Event(source, now.AddHours(-1), "MESSAGE_SENT", airtableId: unmatched));
        await ds.AppendOneAsync(HealthTestData.Event(Delivery, now.AddMinutes(-55), "MESSAGE_DELIVERED", airtableId: $"recORPH{Guid.NewGuid():N}"[..17]));

        Assert.Equal(waiting, Assert.Single(await WaitingIdsAsync(source, now)));
        var row = Assert.Single(await LifecycleGaps.WaitingAsync(db.DataSource, now, Week, "MESSAGE_SENT", source, null));
        Assert.True(row.IsOrphan);
        Assert.Equal(unmatched, row.LeadAirtableId);
    }

    [Fact]
    public async Task Waiting_events_are_grouped_by_campaign_for_every_rule_within_the_look_back()
    {
        var now = DateTimeOffset.UtcNow;
        var source = HealthTestData.Source();
        var ds = db.DataSource;
        const string webinar = """{"campaign_id": "c-webinar", "campaign_name": "Webinar Follow-up"}""";
        const string pricing = """{"campaign_id": "c-pricing", "campaign_name": "Pricing Page Visitors"}""";
        for (var i = 0; i < 2; i++)
            await ds.AppendOneAsync(HealthTestData.Event(source, now.AddDays(-2).AddMinutes(i), "CAMPAIGN_ENROLLED", leadId: await ds.LeadAsync(), metadata: webinar));
        await ds.AppendOneAsync(HealthTestData.Event(source, now.AddDays(-3), "CAMPAIGN_ENROLLED", leadId: await ds.LeadAsync(), metadata: pricing));
        var nurtured = await ds.LeadAsync();
        await ds.AppendOneAsync(HealthTestData.Event(source, now.AddDays(-2), "CAMPAIGN_ENROLLED", leadId: nurtured, metadata: webinar));
        await ds.AppendOneAsync(HealthTestData.Event("n8n:nurture-test", now.AddDays(-2).AddHours(3), "NURTURE_STEP_EXECUTED", leadId: nurtured));
        var rebooked = await ds.LeadAsync();
        await ds.AppendOneAsync(HealthTestData.Event(source, now.AddDays(-2), "BOOKING_RESCHEDULED", leadId: rebooked));
        await ds.AppendOneAsync(HealthTestData.Event(source, now.AddDays(-2).AddMinutes(1), "BOOKING_CONFIRMED", leadId: rebooked));
        await ds.AppendOneAsync(HealthTestData.Event(source, now.AddDays(-2), "BOOKING_RESCHEDULED", leadId: await ds.LeadAsync()));
        await ds.AppendOneAsync(HealthTestData.Event(source, now.AddDays(-8), "CAMPAIGN_ENROLLED", leadId: await ds.LeadAsync(), metadata: webinar)); // outside the week

        var groups = await GroupsAsync(source, now);

        Assert.Equal(3, groups.Count);
        var w = Assert.Single(groups, g => g.CampaignId == "c-webinar");
        Assert.Equal(("CAMPAIGN_ENROLLED", "Webinar Follow-up", 2L, 1440), (w.EventType, w.CampaignName, w.Waiting, w.WithinMinutes));
        Assert.Equal(1, Assert.Single(groups, g => g.CampaignId == "c-pricing").Waiting);
        var booking = Assert.Single(groups, g => g.EventType == "BOOKING_RESCHEDULED");
        Assert.Null(booking.CampaignId);
        Assert.Equal(1, booking.Waiting);
        Assert.Equal(2, (await WaitingIdsAsync(source, now, "CAMPAIGN_ENROLLED", "c-webinar")).Count);
        Assert.Single(await WaitingIdsAsync(source, now, "BOOKING_RESCHEDULED"));
    }

    [Fact]
    public async Task A_type_given_follow_ups_in_activity_types_is_checked_at_once()
    {
        var now = DateTimeOffset.UtcNow;
        var source = HealthTestData.Source();
        await using (var cmd = db.DataSource.CreateCommand("""
            UPDATE activity_types SET expected_follow_ups = '{INBOUND_REPLY}', follow_up_within_minutes = 60 WHERE name = 'LINK_CLICKED'
            """))
            await cmd.ExecuteNonQueryAsync();
        try
        {
            await db.DataSource.AppendOneAsync(HealthTestData.Event(source, now.AddHours(-2), "LINK_CLICKED", leadId: await db.DataSource.LeadAsync()));
            Assert.Contains(await LifecycleGaps.RulesAsync(db.DataSource), r => r.EventType == "LINK_CLICKED" && r.WithinMinutes == 60);
            Assert.Equal(1, Assert.Single(await GroupsAsync(source, now)).Waiting);
        }
        finally
        {
            await using var reset = db.DataSource.CreateCommand("UPDATE activity_types SET expected_follow_ups = '{}', follow_up_within_minutes = NULL WHERE name = 'LINK_CLICKED'");
            await reset.ExecuteNonQueryAsync();
        }
    }
}
