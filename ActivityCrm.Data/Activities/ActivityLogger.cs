using System.Text.Json;
using ActivityCrm.Data.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;

namespace ActivityCrm.Data.Activities;

/// <summary>Who did it: a signed-in user, an AI agent (by role) or the system.</summary>
public sealed record ActivityActor(string Type, string? Id, Guid? UserId)
{
    public static ActivityActor User(Guid userId) => new(ActorTypes.Human, userId.ToString(), userId);
    public static ActivityActor Agent(string role) => new(ActorTypes.Agent, role, null);
    public static readonly ActivityActor System = new(ActorTypes.System, null, null);
}

/// <summary>What server code logs about a lead (the PRD's logLeadActivity parameters). The category comes
/// from the event type, so the two can never disagree.</summary>
public sealed record LeadActivity
{
    public required Guid LeadId { get; init; }
    public required string EventType { get; init; }
    public required string Description { get; init; }
    /// <summary>"ui:&lt;action&gt;" for the app's own actions.</summary>
    public required string Source { get; init; }
    public required ActivityActor Actor { get; init; }
    public string? MessageContent { get; init; }
    /// <summary>Serialised as given (property names unchanged), e.g. <c>new { fromStatus, toStatus }</c>.</summary>
    public object? Metadata { get; init; }
    public string? RelatedEntityType { get; init; }
    public string? RelatedEntityId { get; init; }
    public Guid? CorrelationId { get; init; }
    /// <summary>One per user action, so a repeated submit is recognised instead of logged twice.</summary>
    public string? IdempotencyKey { get; init; }
    public DateTimeOffset? Timestamp { get; init; }
}

/// <summary>The activity could not be stored; the caller's transaction must not commit.</summary>
public sealed class ActivityLogException(string message) : Exception(message);

/// <summary>
/// The PRD's logLeadActivity for server code: writes through <see cref="ActivityWriter"/> (the one write
/// path) and joins the caller's transaction when there is one, so a change and its history commit together.
/// Unlike the PRD it never swallows a failure (docs/decisions/0003, 0006): it throws, and the change rolls back.
/// </summary>
public sealed class ActivityLogger(ActivityWriter writer, ActivityTypeCache types, TimeProvider clock)
{
    /// <summary>Logs in a transaction of its own.</summary>
    public async Task<AppendResult> LogAsync(LeadActivity activity, CancellationToken ct = default)
    {
        var item = await ToNewActivityAsync(activity, ct);
        return Check(activity, (await writer.AppendAsync([item], ct))[0]);
    }

    /// <summary>Joins <paramref name="db"/>'s current transaction (save its pending changes first), or
    /// logs in a transaction of its own when it has none.</summary>
    public async Task<AppendResult> LogAsync(DbContext db, LeadActivity activity, CancellationToken ct = default)
    {
        if (db.Database.CurrentTransaction is not { } current) return await LogAsync(activity, ct);
        return await LogAsync((NpgsqlConnection)db.Database.GetDbConnection(), (NpgsqlTransaction)current.GetDbTransaction(), activity, ct);
    }

    /// <summary>Joins the caller's Npgsql transaction.</summary>
    public async Task<AppendResult> LogAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, LeadActivity activity, CancellationToken ct = default)
    {
        var item = await ToNewActivityAsync(activity, ct);
        return Check(activity, (await writer.AppendAsync(connection, transaction, [item], ct))[0]);
    }

    private async Task<NewActivity> ToNewActivityAsync(LeadActivity a, CancellationToken ct)
    {
        var type = await types.FindAsync(a.EventType, ct)
                   ?? throw new ActivityLogException($"Unknown event type '{a.EventType}'.");
        if (string.IsNullOrWhiteSpace(a.Description)) throw new ActivityLogException("An activity needs a description.");
        return new NewActivity
        {
            EventType = type.Name, EventCategory = type.Category, LeadId = a.LeadId, Description = a.Description,
            MessageContent = a.MessageContent, Metadata = a.Metadata is null ? null : JsonSerializer.Serialize(a.Metadata),
            Source = a.Source, CreatedBy = a.Actor.UserId, ActorType = a.Actor.Type, ActorId = a.Actor.Id,
            CorrelationId = a.CorrelationId, RelatedEntityType = a.RelatedEntityType, RelatedEntityId = a.RelatedEntityId,
            IdempotencyKey = a.IdempotencyKey, Timestamp = a.Timestamp ?? clock.GetUtcNow(),
        };
    }

    private static AppendResult Check(LeadActivity a, AppendResult result) => result.Status switch
    {
        AppendStatus.Created or AppendStatus.Duplicate => result,
        AppendStatus.LeadNotFound => throw new ActivityLogException($"Lead {a.LeadId} does not exist; {a.EventType} was not logged."),
        AppendStatus.UnknownCreatedBy => throw new ActivityLogException($"User {a.Actor.UserId} does not exist; {a.EventType} was not logged."),
        _ => throw new ActivityLogException($"{a.EventType} was not logged ({result.Status})."),
    };
}
