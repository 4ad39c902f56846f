using ActivityCrm.Data.Activities;
using Microsoft.EntityFrameworkCore;

namespace ActivityCrm.Tests.Leads;

/// <summary>The PRD's logLeadActivity: joins the caller's transaction, or runs in its own; never swallows a failure.</summary>
public sealed class ActivityLoggerTests(LeadsDatabase db) : IClassFixture<LeadsDatabase>
{
    private static LeadActivity Note(Guid lead, Guid user) => new()
    {
        LeadId = lead, EventType = "NOTE_ADDED", Description = "Note added", MessageContent = "hello", Source = "ui:note-add",
        Actor = ActivityActor.User(user), Metadata = new { note_length = 5 }, IdempotencyKey = Guid.NewGuid().ToString("N"),
    };

    [Fact]
    public async Task Inside_an_EF_transaction_the_activity_commits_and_rolls_back_with_it()
    {
        var (user, _) = await db.UserAsync();
        var rolledBack = await db.LeadAsync();
        var committed = await db.LeadAsync();

        await using (var ctx = await db.Contexts.CreateDbContextAsync())
        await using (var tx = await ctx.Database.BeginTransactionAsync())
        {
            await ctx.Leads.Where(l => l.Id == rolledBack).ExecuteUpdateAsync(s => s.SetProperty(l => l.Status, "won"));
            await db.Logger.LogAsync(ctx, Note(rolledBack, user));
            await tx.RollbackAsync();
        }
        await using (var ctx = await db.Contexts.CreateDbContextAsync())
        await using (var tx = await ctx.Database.BeginTransactionAsync())
        {
            await db.Logger.LogAsync(ctx, Note(committed, user));
            // Not visible outside the transaction until it commits.
            Assert.Equal(0, await db.ActivityCountAsync(committed));
            await tx.CommitAsync();
        }

        Assert.Equal(0, await db.ActivityCountAsync(rolledBack));
        Assert.Equal(1, await db.ActivityCountAsync(committed));
    }

    [Fact]
    public async Task Inside_an_Npgsql_transaction_the_activity_joins_it()
    {
        var (user, _) = await db.UserAsync();
        var lead = await db.LeadAsync();
        await using var conn = await db.DataSource.OpenConnectionAsync();
        await using var tx = await conn.BeginTransactionAsync();

        var result = await db.Logger.LogAsync(conn, tx, Note(lead, user));
        Assert.Equal(0, await db.ActivityCountAsync(lead));
        await tx.CommitAsync();

        Assert.Equal(AppendStatus.Created, result.Status);
        Assert.Equal(1, await db.ActivityCountAsync(lead));
    }

    [Fact]
    public async Task Without_a_transaction_it_runs_in_its_own_and_takes_the_category_from_the_type()
    {
        var (user, _) = await db.UserAsync();
        var lead = await db.LeadAsync();
        await using var ctx = await db.Contexts.CreateDbContextAsync();

        var result = await db.Logger.LogAsync(ctx, Note(lead, user) with { EventType = "CALL_LOGGED", Description = "Call logged" });

        var row = (await ActivityRows.ByIdsAsync(db.DataSource, [result.ActivityId])).Single();
        Assert.Equal(("CALL_LOGGED", "CALL", "human", user), (row.EventType, row.EventCategory, row.ActorType, row.CreatedBy));
        Assert.Equal(5, System.Text.Json.JsonDocument.Parse(row.Metadata!).RootElement.GetProperty("note_length").GetInt32());
    }

    [Fact]
    public async Task A_failure_is_thrown_not_swallowed()
    {
        var (user, _) = await db.UserAsync();
        var lead = await db.LeadAsync();

        await Assert.ThrowsAsync<ActivityLogException>(() => db.Logger.LogAsync(Note(Guid.NewGuid(), user)));
        await Assert.ThrowsAsync<ActivityLogException>(() => db.Logger.LogAsync(Note(lead, user) with { EventType = "NOT_A_TYPE" }));
        await Assert.ThrowsAsync<ActivityLogException>(() => db.Logger.LogAsync(Note(lead, Guid.NewGuid())));
        Assert.Equal(0, await db.ActivityCountAsync(lead));
    }

    [Fact]
    public async Task The_same_idempotency_key_is_stored_once_and_reported_as_a_duplicate()
    {
        var (user, _) = await db.UserAsync();
        var lead = await db.LeadAsync();
        var note = Note(lead, user);

        var first = await db.Logger.LogAsync(note);
        var second = await db.Logger.LogAsync(note);

        Assert.Equal((AppendStatus.Created, AppendStatus.Duplicate), (first.Status, second.Status));
        Assert.Equal(first.ActivityId, second.ActivityId);
        Assert.Equal(1, await db.ActivityCountAsync(lead));
    }
}
