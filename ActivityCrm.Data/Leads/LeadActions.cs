using ActivityCrm.Data.Activities;
using ActivityCrm.Data.Entities;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace ActivityCrm.Data.Leads;

/// <summary>The outcome a person sees: done (with the logged event), or refused with a reason and nothing changed.</summary>
/// <param name="Field">The input the refusal is about, for inline validation (null: the action as a whole).</param>
/// <param name="Repeated">The same action invocation (idempotency key) was already done; nothing new happened.</param>
public sealed record LeadActionResult(bool Succeeded, string Message, string? Field = null, Guid? ActivityId = null, bool Repeated = false)
{
    public static LeadActionResult Refused(string message, string? field = null) => new(false, message, field);
}

/// <summary>The <c>source</c> of each UI action's event.</summary>
public static class UiSources
{
    public const string StatusChange = "ui:status-change", NoteAdd = "ui:note-add", CampaignEnroll = "ui:campaign-enroll",
        CampaignRemove = "ui:campaign-remove", LeadClaim = "ui:lead-claim", CallLog = "ui:call-log";
}

public static class CallOutcomes
{
    public static readonly IReadOnlyDictionary<string, string> Labels = new Dictionary<string, string>
    {
        ["connected"] = "Connected", ["voicemail"] = "Left voicemail", ["no_answer"] = "No answer",
        ["busy"] = "Busy", ["wrong_number"] = "Wrong number",
    };

    public const int MaxDurationSeconds = 24 * 60 * 60;
}

/// <summary>
/// What a program manager does to a lead. Each action is one transaction holding the change and exactly
/// one activity (through <see cref="ActivityLogger"/>), so the lead and its history never disagree: if the
/// event cannot be stored the change rolls back, and a refused change logs nothing.
/// </summary>
public sealed class LeadActions(IDbContextFactory<ActivityCrmDbContext> dbs, ActivityLogger logger, TimeProvider clock)
{
    public const int MaxNoteLength = 10_000;

    public Task<LeadActionResult> ChangeStatusAsync(Guid leadId, string? status, Guid userId, string idempotencyKey, CancellationToken ct = default)
    {
        if (status is null || !LeadStatuses.All.Contains(status))
            return Task.FromResult(LeadActionResult.Refused($"Unknown status '{status}'. Choose one of: {string.Join(", ", LeadStatuses.All)}.", "status"));
        return RunAsync(leadId, userId, UiSources.StatusChange, idempotencyKey, async (db, lead) =>
        {
            if (lead.Status == status) return Step.Refuse($"The lead is already {status}.", "status");
            var from = lead.Status;
            lead.Status = status;
            lead.UpdatedAt = clock.GetUtcNow();
            await db.SaveChangesAsync(ct);
            return Step.Log($"Status changed to {status}.", new LeadActivity
            {
                LeadId = leadId, EventType = "STATUS_CHANGED", Description = $"Status changed from {from} to {status}",
                Source = UiSources.StatusChange, Actor = ActivityActor.User(userId), Metadata = new { fromStatus = from, toStatus = status },
            });
        }, ct);
    }

    public Task<LeadActionResult> AddNoteAsync(Guid leadId, string? body, Guid userId, string idempotencyKey, CancellationToken ct = default)
    {
        var text = body?.Trim() ?? "";
        if (text.Length == 0) return Task.FromResult(LeadActionResult.Refused("The note is empty: write something first.", "note"));
        if (text.Length > MaxNoteLength) return Task.FromResult(LeadActionResult.Refused($"A note can be at most {MaxNoteLength:N0} characters.", "note"));
        return RunAsync(leadId, userId, UiSources.NoteAdd, idempotencyKey, async (db, lead) =>
        {
            var note = new LeadNote { Id = Guid.NewGuid(), LeadId = leadId, Body = text, CreatedBy = userId, CreatedAt = clock.GetUtcNow() };
            db.LeadNotes.Add(note);
            await db.SaveChangesAsync(ct);
            return Step.Log("Note added.", new LeadActivity
            {
                LeadId = leadId, EventType = "NOTE_ADDED", Description = "Note added", MessageContent = text,
                Source = UiSources.NoteAdd, Actor = ActivityActor.User(userId), Metadata = new { note_id = note.Id, note_length = text.Length },
                RelatedEntityType = "Note", RelatedEntityId = note.Id.ToString(),
            });
        }, ct);
    }

    public Task<LeadActionResult> EnrolAsync(Guid leadId, Guid campaignId, Guid userId, string idempotencyKey, CancellationToken ct = default) =>
        RunAsync(leadId, userId, UiSources.CampaignEnroll, idempotencyKey, async (db, lead) =>
        {
            // FOR SHARE: an archive running at the same moment waits for this enrolment, or this one sees it.
            var campaign = await db.Campaigns.FromSql($"SELECT * FROM campaigns WHERE id = {campaignId} FOR SHARE").AsNoTracking().SingleOrDefaultAsync(ct);
            if (campaign is null) return Step.Refuse("That campaign does not exist.", "campaign");
            if (campaign.ArchivedAt is not null) return Step.Refuse($"Campaign '{campaign.Name}' is archived and takes no new enrolments.", "campaign");
            if (await db.LeadCampaigns.AnyAsync(x => x.LeadId == leadId && x.CampaignId == campaignId && x.RemovedAt == null, ct))
                return Step.Refuse($"The lead is already enrolled in '{campaign.Name}'.", "campaign");
            db.LeadCampaigns.Add(new LeadCampaign { Id = Guid.NewGuid(), LeadId = leadId, CampaignId = campaignId, EnrolledAt = clock.GetUtcNow(), EnrolledBy = userId });
            await db.SaveChangesAsync(ct);
            return Step.Log($"Enrolled in '{campaign.Name}'.", CampaignActivity(leadId, userId, "CAMPAIGN_ENROLLED", $"Enrolled in campaign: {campaign.Name}", UiSources.CampaignEnroll, campaign));
        }, ct);

    public Task<LeadActionResult> RemoveFromCampaignAsync(Guid leadId, Guid campaignId, Guid userId, string idempotencyKey, CancellationToken ct = default) =>
        RunAsync(leadId, userId, UiSources.CampaignRemove, idempotencyKey, async (db, lead) =>
        {
            var campaign = await db.Campaigns.AsNoTracking().SingleOrDefaultAsync(c => c.Id == campaignId, ct);
            if (campaign is null) return Step.Refuse("That campaign does not exist.", "campaign");
            var enrolment = await db.LeadCampaigns.FirstOrDefaultAsync(x => x.LeadId == leadId && x.CampaignId == campaignId && x.RemovedAt == null, ct);
            if (enrolment is null) return Step.Refuse($"The lead is not enrolled in '{campaign.Name}'.", "campaign");
            enrolment.RemovedAt = clock.GetUtcNow();
            enrolment.RemovedBy = userId;
            await db.SaveChangesAsync(ct);
            return Step.Log($"Removed from '{campaign.Name}'.", CampaignActivity(leadId, userId, "CAMPAIGN_REMOVED", $"Removed from campaign: {campaign.Name}", UiSources.CampaignRemove, campaign));
        }, ct);

    public Task<LeadActionResult> ClaimAsync(Guid leadId, Guid userId, string idempotencyKey, CancellationToken ct = default) =>
        RunAsync(leadId, userId, UiSources.LeadClaim, idempotencyKey, async (db, lead) =>
        {
            if (lead.OwnerId == userId) return Step.Refuse("You already own this lead.");
            var names = await db.Users.Where(u => u.Id == userId || u.Id == lead.OwnerId)
                .Select(u => new { u.Id, Name = u.DisplayName != "" ? u.DisplayName : u.Email }).ToDictionaryAsync(u => u.Id, u => u.Name ?? "", ct);
            if (!names.TryGetValue(userId, out var me)) throw new ActivityLogException($"User {userId} does not exist.");
            var previous = lead.OwnerId;
            var previousName = previous is { } p ? names.GetValueOrDefault(p) : null;
            lead.OwnerId = userId;
            lead.UpdatedAt = clock.GetUtcNow();
            await db.SaveChangesAsync(ct);
            return Step.Log("You own this lead now.", new LeadActivity
            {
                LeadId = leadId, EventType = "LEAD_CLAIMED",
                Description = previousName is null ? $"Lead claimed by {me}" : $"Lead claimed by {me} (from {previousName})",
                Source = UiSources.LeadClaim, Actor = ActivityActor.User(userId),
                Metadata = new { owner_id = userId, owner_name = me, previous_owner_id = previous, previous_owner_name = previousName },
                RelatedEntityType = "User", RelatedEntityId = userId.ToString(),
            });
        }, ct);

    public Task<LeadActionResult> LogCallAsync(Guid leadId, string? outcome, int durationSeconds, string? notes, Guid userId, string idempotencyKey, CancellationToken ct = default)
    {
        if (outcome is null || !CallOutcomes.Labels.TryGetValue(outcome, out var label))
            return Task.FromResult(LeadActionResult.Refused($"Choose the call's outcome ({string.Join(", ", CallOutcomes.Labels.Keys)}).", "outcome"));
        if (durationSeconds < 0) return Task.FromResult(LeadActionResult.Refused("The duration cannot be negative.", "duration"));
        if (durationSeconds > CallOutcomes.MaxDurationSeconds) return Task.FromResult(LeadActionResult.Refused("A call cannot last longer than 24 hours.", "duration"));
        var text = notes?.Trim() is { Length: > 0 } n ? n : null;
        if (text?.Length > MaxNoteLength) return Task.FromResult(LeadActionResult.Refused($"Call notes can be at most {MaxNoteLength:N0} characters.", "notes"));
        return RunAsync(leadId, userId, UiSources.CallLog, idempotencyKey, (db, lead) => Task.FromResult(Step.Log("Call logged.", new LeadActivity
        {
            LeadId = leadId, EventType = "CALL_LOGGED", Description = $"Call logged: {label.ToLowerInvariant()}, {FormatDuration(durationSeconds)}",
            MessageContent = text, Source = UiSources.CallLog, Actor = ActivityActor.User(userId),
            Metadata = new { outcome, durationSeconds },
        })), ct);
    }

    /// <summary>"45 s", "12 min", "1 h 5 min".</summary>
    public static string FormatDuration(int seconds) => seconds switch
    {
        < 60 => $"{seconds} s",
        < 3600 => $"{(int)Math.Round(seconds / 60.0)} min",
        _ => seconds % 3600 / 60 is var m and > 0 ? $"{seconds / 3600} h {m} min" : $"{seconds / 3600} h",
    };

    private static LeadActivity CampaignActivity(Guid leadId, Guid userId, string type, string description, string source, Campaign campaign) => new()
    {
        LeadId = leadId, EventType = type, Description = description, Source = source, Actor = ActivityActor.User(userId),
        Metadata = new { campaign_id = campaign.Id, campaign_name = campaign.Name },
        RelatedEntityType = "Campaign", RelatedEntityId = campaign.Id.ToString(),
    };

    private sealed record Step(string? Refusal, string? Field, string Message, LeadActivity? Activity)
    {
        public static Step Refuse(string message, string? field = null) => new(message, field, "", null);
        public static Step Log(string message, LeadActivity activity) => new(null, null, message, activity);
    }

    private async Task<LeadActionResult> RunAsync(Guid leadId, Guid userId, string source, string idempotencyKey,
        Func<ActivityCrmDbContext, Lead, Task<Step>> change, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(idempotencyKey)) throw new ArgumentException("Every action invocation needs an idempotency key.", nameof(idempotencyKey));
        await using var db = await dbs.CreateDbContextAsync(ct);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        // The row lock orders concurrent actions on one lead, so "from" values and the repeat check below are exact.
        var lead = await db.Leads.FromSql($"SELECT * FROM leads WHERE id = {leadId} FOR UPDATE").SingleOrDefaultAsync(ct);
        if (lead is null) return LeadActionResult.Refused("This lead does not exist.");
        if (lead.DeletedAt is not null) return LeadActionResult.Refused("This lead was deleted; its history is read-only.");
        if (lead.ErasedAt is not null) return LeadActionResult.Refused("This lead's personal data was erased; nothing can be added to it.");
        if (await db.Activities.Where(a => a.Source == source && a.IdempotencyKey == idempotencyKey).Select(a => (Guid?)a.Id).FirstOrDefaultAsync(ct) is { } done)
            return new LeadActionResult(true, "This was already done.", ActivityId: done, Repeated: true);

        Step step;
        try
        {
            step = await change(db, lead);
        }
        catch (DbUpdateException e) when (e.InnerException is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation, ConstraintName: "ux_lead_campaigns_active" })
        {
            return LeadActionResult.Refused("The lead is already enrolled in that campaign.", "campaign");
        }
        if (step.Activity is null) return LeadActionResult.Refused(step.Refusal!, step.Field);

        var logged = await logger.LogAsync(db, step.Activity with { Source = source, IdempotencyKey = idempotencyKey }, ct);
        if (logged.Status == AppendStatus.Duplicate)
        {
            await tx.RollbackAsync(ct);
            return new LeadActionResult(true, "This was already done.", ActivityId: logged.ActivityId, Repeated: true);
        }
        await tx.CommitAsync(ct);
        return new LeadActionResult(true, step.Message, ActivityId: logged.ActivityId);
    }
}
