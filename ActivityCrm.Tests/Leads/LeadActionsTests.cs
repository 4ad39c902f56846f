using System.Text.Json;
using ActivityCrm.Data.Activities;
using ActivityCrm.Data.Leads;

namespace ActivityCrm.Tests.Leads;

/// <summary>Every UI action writes its change and exactly one activity in one transaction, or nothing at all.</summary>
public sealed class LeadActionsTests(LeadsDatabase db) : IClassFixture<LeadsDatabase>
{
    private static string Key() => $"test-{Guid.NewGuid():N}";

    private async Task<ActivityRow> OnlyActivityAsync(Guid leadId)
    {
        var page = await LeadTimeline.ReadAsync(db.DataSource, new TimelineQuery(leadId));
        return Assert.Single(page.Items);
    }

    private static void AssertHumanActor(ActivityRow row, Guid userId, string source, string? key = null)
    {
        Assert.Equal("human", row.ActorType);
        Assert.Equal(userId.ToString(), row.ActorId);
        Assert.Equal(userId, row.CreatedBy);
        Assert.Equal(source, row.Source);
        if (key is not null) Assert.Equal(key, row.IdempotencyKey);
    }

    private static JsonElement Meta(ActivityRow row) => JsonDocument.Parse(row.Metadata!).RootElement;

    [Fact]
    public async Task Changing_the_status_updates_the_lead_and_logs_one_STATUS_CHANGED_with_from_and_to()
    {
        var (user, _) = await db.UserAsync();
        var lead = await db.LeadAsync(status: "contacted");
        var key = Key();

        var result = await db.Actions.ChangeStatusAsync(lead, "qualified", user, key);

        Assert.True(result.Succeeded, result.Message);
        Assert.Equal("qualified", await db.ScalarAsync<string>("SELECT status FROM leads WHERE id = @id", ("id", lead)));
        var row = await OnlyActivityAsync(lead);
        Assert.Equal(result.ActivityId, row.Id);
        Assert.Equal(("STATUS_CHANGED", "MANUAL"), (row.EventType, row.EventCategory));
        Assert.Equal("contacted", Meta(row).GetProperty("fromStatus").GetString());
        Assert.Equal("qualified", Meta(row).GetProperty("toStatus").GetString());
        AssertHumanActor(row, user, "ui:status-change", key);
    }

    [Fact]
    public async Task Adding_a_note_stores_it_in_lead_notes_and_logs_one_NOTE_ADDED_pointing_at_it()
    {
        var (user, _) = await db.UserAsync();
        var lead = await db.LeadAsync();

        var result = await db.Actions.AddNoteAsync(lead, "  Called back, wants pricing for 12 seats.  ", user, Key());

        Assert.True(result.Succeeded, result.Message);
        var noteId = await db.ScalarAsync<Guid>("SELECT id FROM lead_notes WHERE lead_id = @l", ("l", lead));
        Assert.Equal("Called back, wants pricing for 12 seats.", await db.ScalarAsync<string>("SELECT body FROM lead_notes WHERE id = @id", ("id", noteId)));
        var row = await OnlyActivityAsync(lead);
        Assert.Equal("NOTE_ADDED", row.EventType);
        Assert.Equal("Called back, wants pricing for 12 seats.", row.MessageContent);
        Assert.Equal(("Note", noteId.ToString()), (row.RelatedEntityType, row.RelatedEntityId));
        Assert.Equal(noteId, Meta(row).GetProperty("note_id").GetGuid());
        AssertHumanActor(row, user, "ui:note-add");
    }

    [Fact]
    public async Task Enrolling_and_removing_log_the_campaign_id_and_name_and_keep_the_enrolment_history()
    {
        var (user, _) = await db.UserAsync();
        var lead = await db.LeadAsync();
        var campaign = await db.CampaignAsync("Webinar follow-up " + Guid.NewGuid().ToString("N")[..6]);
        var name = await db.ScalarAsync<string>("SELECT name FROM campaigns WHERE id = @id", ("id", campaign));

        var enrolled = await db.Actions.EnrolAsync(lead, campaign, user, Key());
        var removed = await db.Actions.RemoveFromCampaignAsync(lead, campaign, user, Key());

        Assert.True(enrolled.Succeeded, enrolled.Message);
        Assert.True(removed.Succeeded, removed.Message);
        Assert.Equal(1, await db.ScalarAsync<long>("SELECT count(*) FROM lead_campaigns WHERE lead_id = @l AND removed_at IS NOT NULL AND removed_by IS NOT NULL", ("l", lead)));
        var rows = (await LeadTimeline.ReadAsync(db.DataSource, new TimelineQuery(lead))).Items;
        Assert.Equal(["CAMPAIGN_REMOVED", "CAMPAIGN_ENROLLED"], rows.Select(r => r.EventType));
        foreach (var row in rows)
        {
            Assert.Equal(campaign, Meta(row).GetProperty("campaign_id").GetGuid());
            Assert.Equal(name, Meta(row).GetProperty("campaign_name").GetString());
            Assert.Equal(("Campaign", campaign.ToString()), (row.RelatedEntityType, row.RelatedEntityId));
        }
        AssertHumanActor(rows[0], user, "ui:campaign-remove");
        AssertHumanActor(rows[1], user, "ui:campaign-enroll");

        // Re-enrolment after removal is a new enrolment.
        Assert.True((await db.Actions.EnrolAsync(lead, campaign, user, Key())).Succeeded);
        Assert.Equal(2, await db.ScalarAsync<long>("SELECT count(*) FROM lead_campaigns WHERE lead_id = @l", ("l", lead)));
    }

    [Fact]
    public async Task Claiming_sets_the_owner_to_the_acting_user_and_records_who_owned_it_before()
    {
        var (previous, _) = await db.UserAsync(name: "Dana Previous");
        var (user, _) = await db.UserAsync(name: "Pat Claimer");
        var lead = await db.LeadAsync(owner: previous);

        var result = await db.Actions.ClaimAsync(lead, user, Key());

        Assert.True(result.Succeeded, result.Message);
        Assert.Equal(user, await db.ScalarAsync<Guid>("SELECT owner_id FROM leads WHERE id = @id", ("id", lead)));
        var row = await OnlyActivityAsync(lead);
        Assert.Equal("LEAD_CLAIMED", row.EventType);
        Assert.Equal("Lead claimed by Pat Claimer (from Dana Previous)", row.Description);
        Assert.Equal(user, Meta(row).GetProperty("owner_id").GetGuid());
        Assert.Equal(previous, Meta(row).GetProperty("previous_owner_id").GetGuid());
        AssertHumanActor(row, user, "ui:lead-claim");
    }

    [Fact]
    public async Task Logging_a_call_records_outcome_duration_and_notes()
    {
        var (user, _) = await db.UserAsync();
        var lead = await db.LeadAsync();

        var result = await db.Actions.LogCallAsync(lead, "connected", 725, "Wants a demo on Friday.", user, Key());

        Assert.True(result.Succeeded, result.Message);
        var row = await OnlyActivityAsync(lead);
        Assert.Equal(("CALL_LOGGED", "CALL"), (row.EventType, row.EventCategory));
        Assert.Equal("Call logged: connected, 12 min", row.Description);
        Assert.Equal("Wants a demo on Friday.", row.MessageContent);
        Assert.Equal("connected", Meta(row).GetProperty("outcome").GetString());
        Assert.Equal(725, Meta(row).GetProperty("durationSeconds").GetInt32());
        AssertHumanActor(row, user, "ui:call-log");
    }

    public static TheoryData<string> InvalidActions => new()
    {
        "empty note", "whitespace note", "unknown status", "same status", "already enrolled", "not enrolled", "archived campaign",
        "unknown campaign", "negative duration", "unknown outcome", "unknown lead", "deleted lead", "claim own lead",
    };

    [Theory]
    [MemberData(nameof(InvalidActions))]
    public async Task Invalid_input_gets_a_clear_message_and_changes_nothing(string @case)
    {
        var (user, _) = await db.UserAsync();
        var lead = await db.LeadAsync(status: "engaged", owner: @case == "claim own lead" ? user : null);
        var campaign = await db.CampaignAsync(archived: @case == "archived campaign");
        if (@case == "already enrolled") Assert.True((await db.Actions.EnrolAsync(lead, campaign, user, Key())).Succeeded);
        if (@case == "deleted lead") await db.ExecAsync("UPDATE leads SET deleted_at = now() WHERE id = @id", ("id", lead));
        var before = await SnapshotAsync(lead);

        var result = @case switch
        {
            "empty note" => await db.Actions.AddNoteAsync(lead, "", user, Key()),
            "whitespace note" => await db.Actions.AddNoteAsync(lead, " \n\t ", user, Key()),
            "unknown status" => await db.Actions.ChangeStatusAsync(lead, "maybe", user, Key()),
            "same status" => await db.Actions.ChangeStatusAsync(lead, "engaged", user, Key()),
            "already enrolled" => await db.Actions.EnrolAsync(lead, campaign, user, Key()),
            "not enrolled" => await db.Actions.RemoveFromCampaignAsync(lead, campaign, user, Key()),
            "archived campaign" => await db.Actions.EnrolAsync(lead, campaign, user, Key()),
            "unknown campaign" => await db.Actions.EnrolAsync(lead, Guid.NewGuid(), user, Key()),
            "negative duration" => await db.Actions.LogCallAsync(lead, "connected", -5, null, user, Key()),
            "unknown outcome" => await db.Actions.LogCallAsync(lead, "telepathy", 60, null, user, Key()),
            "unknown lead" => await db.Actions.ChangeStatusAsync(Guid.NewGuid(), "won", user, Key()),
            "deleted lead" => await db.Actions.AddNoteAsync(lead, "still here?", user, Key()),
            "claim own lead" => await db.Actions.ClaimAsync(lead, user, Key()),
            _ => throw new ArgumentOutOfRangeException(nameof(@case)),
        };

        Assert.False(result.Succeeded);
        Assert.False(string.IsNullOrWhiteSpace(result.Message));
        Assert.Null(result.ActivityId);
        Assert.Equal(before, await SnapshotAsync(lead));
    }

    [Theory]
    [InlineData("empty note", "The note is empty")]
    [InlineData("unknown status", "Unknown status 'maybe'")]
    [InlineData("archived campaign", "is archived and takes no new enrolments")]
    [InlineData("negative duration", "cannot be negative")]
    public async Task Refusals_name_what_is_wrong(string @case, string expected)
    {
        var (user, _) = await db.UserAsync();
        var lead = await db.LeadAsync();
        var archived = await db.CampaignAsync(archived: true);
        var result = @case switch
        {
            "empty note" => await db.Actions.AddNoteAsync(lead, "", user, Key()),
            "unknown status" => await db.Actions.ChangeStatusAsync(lead, "maybe", user, Key()),
            "archived campaign" => await db.Actions.EnrolAsync(lead, archived, user, Key()),
            _ => await db.Actions.LogCallAsync(lead, "connected", -1, null, user, Key()),
        };
        Assert.Contains(expected, result.Message);
    }

    [Fact]
    public async Task When_the_activity_cannot_be_stored_the_status_change_rolls_back()
    {
        var (user, _) = await db.UserAsync();
        var lead = await db.LeadAsync(status: "new");
        await RefuseInsertsAsync("lead_activity_log", lead);

        await Assert.ThrowsAnyAsync<Npgsql.PostgresException>(() => db.Actions.ChangeStatusAsync(lead, "won", user, Key()));

        Assert.Equal("new", await db.ScalarAsync<string>("SELECT status FROM leads WHERE id = @id", ("id", lead)));
        Assert.Equal(0, await db.ActivityCountAsync(lead));
    }

    [Fact]
    public async Task When_the_activity_cannot_be_stored_the_note_and_the_enrolment_roll_back()
    {
        var (user, _) = await db.UserAsync();
        var lead = await db.LeadAsync();
        var campaign = await db.CampaignAsync();
        await RefuseInsertsAsync("lead_activity_log", lead);

        await Assert.ThrowsAnyAsync<Npgsql.PostgresException>(() => db.Actions.AddNoteAsync(lead, "lost?", user, Key()));
        await Assert.ThrowsAnyAsync<Npgsql.PostgresException>(() => db.Actions.EnrolAsync(lead, campaign, user, Key()));

        Assert.Equal(0, await db.ScalarAsync<long>("SELECT count(*) FROM lead_notes WHERE lead_id = @l", ("l", lead)));
        Assert.Equal(0, await db.ScalarAsync<long>("SELECT count(*) FROM lead_campaigns WHERE lead_id = @l", ("l", lead)));
    }

    [Fact]
    public async Task When_the_acting_user_does_not_exist_nothing_is_changed_and_the_failure_is_not_swallowed()
    {
        var lead = await db.LeadAsync(status: "new");

        await Assert.ThrowsAsync<ActivityLogException>(() => db.Actions.ChangeStatusAsync(lead, "won", Guid.NewGuid(), Key()));

        Assert.Equal("new", await db.ScalarAsync<string>("SELECT status FROM leads WHERE id = @id", ("id", lead)));
        Assert.Equal(0, await db.ActivityCountAsync(lead));
    }

    [Fact]
    public async Task When_the_change_fails_no_activity_is_written()
    {
        var (user, _) = await db.UserAsync();
        var lead = await db.LeadAsync();
        await RefuseInsertsAsync("lead_notes", lead);

        await Assert.ThrowsAnyAsync<Exception>(() => db.Actions.AddNoteAsync(lead, "never stored", user, Key()));

        Assert.Equal(0, await db.ActivityCountAsync(lead));
    }

    [Fact]
    public async Task Repeating_an_invocation_with_the_same_key_does_it_once()
    {
        var (user, _) = await db.UserAsync();
        var lead = await db.LeadAsync();
        var key = Key();

        var first = await db.Actions.AddNoteAsync(lead, "Only once", user, key);
        var again = await db.Actions.AddNoteAsync(lead, "Only once", user, key);
        var concurrent = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => db.Actions.LogCallAsync(lead, "voicemail", 20, null, user, "same-call-key-" + lead)));

        Assert.True(first.Succeeded && again.Succeeded && again.Repeated);
        Assert.Equal(first.ActivityId, again.ActivityId);
        Assert.Equal(1, await db.ScalarAsync<long>("SELECT count(*) FROM lead_notes WHERE lead_id = @l", ("l", lead)));
        Assert.All(concurrent, r => Assert.True(r.Succeeded));
        Assert.Single(concurrent.Select(r => r.ActivityId).Distinct());
        Assert.Equal(2, await db.ActivityCountAsync(lead));
    }

    [Fact]
    public async Task Two_people_enrolling_the_same_lead_at_once_make_one_enrolment()
    {
        var (a, _) = await db.UserAsync();
        var (b, _) = await db.UserAsync();
        var lead = await db.LeadAsync();
        var campaign = await db.CampaignAsync();

        var results = await Task.WhenAll(db.Actions.EnrolAsync(lead, campaign, a, Key()), db.Actions.EnrolAsync(lead, campaign, b, Key()));

        Assert.Single(results, r => r.Succeeded);
        Assert.Contains("already enrolled", results.Single(r => !r.Succeeded).Message);
        Assert.Equal(1, await db.ScalarAsync<long>("SELECT count(*) FROM lead_campaigns WHERE lead_id = @l", ("l", lead)));
        Assert.Equal(1, await db.ActivityCountAsync(lead));
    }

    /// <summary>A trigger of the test's own that fails inserts for this lead only (other tests' leads are untouched).</summary>
    private async Task RefuseInsertsAsync(string table, Guid leadId)
    {
        var name = $"refuse_{table}_{leadId:N}";
        await db.ExecAsync($"""
            CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'refused by the test'; END $$;
            CREATE TRIGGER {name} BEFORE INSERT ON {table} FOR EACH ROW WHEN (NEW.lead_id = '{leadId}') EXECUTE FUNCTION {name}();
            """);
    }

    private async Task<string> SnapshotAsync(Guid lead) => await db.ScalarAsync<string>("""
        SELECT concat_ws('|', (SELECT l.status || coalesce(l.owner_id::text, '-') || coalesce(l.deleted_at::text, '-') FROM leads l WHERE l.id = @l),
            (SELECT count(*) FROM lead_activity_log WHERE lead_id = @l), (SELECT count(*) FROM lead_notes WHERE lead_id = @l),
            (SELECT string_agg(campaign_id::text || coalesce(removed_at::text, '-'), ',') FROM lead_campaigns WHERE lead_id = @l),
            (SELECT count(*) FROM lead_activity_log))
        """, ("l", lead));
}
