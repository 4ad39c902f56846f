using ActivityCrm.Data.Entities;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace ActivityCrm.Data.Campaigns;

public sealed record CampaignListItem(Guid Id, string Name, string? Description, int Enrolled, int EverEnrolled,
    DateTimeOffset CreatedAt, DateTimeOffset? ArchivedAt)
{
    public bool Archived => ArchivedAt is not null;
}

public sealed record CampaignResult(bool Succeeded, string Message, string? Field = null, Guid? Id = null)
{
    public static CampaignResult Refused(string message, string? field = null) => new(false, message, field);
}

/// <summary>Campaigns leads can be enrolled in: list with enrolment counts, create (unique name), archive
/// (an archived campaign keeps its enrolments and history but takes no new ones).</summary>
public sealed class CampaignCatalog(IDbContextFactory<ActivityCrmDbContext> dbs, TimeProvider clock)
{
    public const int MaxNameLength = 200;
    public const int MaxDescriptionLength = 2000;

    public async Task<IReadOnlyList<CampaignListItem>> ListAsync(bool includeArchived = true, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var campaigns = db.Campaigns.AsNoTracking();
        if (!includeArchived) campaigns = campaigns.Where(c => c.ArchivedAt == null);
        return await campaigns
            .OrderBy(c => c.ArchivedAt != null).ThenBy(c => c.Name)
            .Select(c => new CampaignListItem(c.Id, c.Name, c.Description,
                db.LeadCampaigns.Count(x => x.CampaignId == c.Id && x.RemovedAt == null),
                db.LeadCampaigns.Where(x => x.CampaignId == c.Id).Select(x => x.LeadId).Distinct().Count(),
                c.CreatedAt, c.ArchivedAt))
            .ToListAsync(ct);
    }

    public async Task<CampaignResult> CreateAsync(string? name, string? description, CancellationToken ct = default)
    {
        var n = name?.Trim() ?? "";
        var d = description?.Trim() is { Length: > 0 } text ? text : null;
        if (n.Length == 0) return CampaignResult.Refused("Give the campaign a name.", "name");
        if (n.Length > MaxNameLength) return CampaignResult.Refused($"A campaign name can be at most {MaxNameLength} characters.", "name");
        if (d?.Length > MaxDescriptionLength) return CampaignResult.Refused($"A description can be at most {MaxDescriptionLength:N0} characters.", "description");
        await using var db = await dbs.CreateDbContextAsync(ct);
        if (await db.Campaigns.AnyAsync(c => c.Name.ToLower() == n.ToLower(), ct))
            return CampaignResult.Refused($"A campaign named '{n}' already exists.", "name");
        var campaign = new Campaign { Id = Guid.NewGuid(), Name = n, Description = d, CreatedAt = clock.GetUtcNow() };
        db.Campaigns.Add(campaign);
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException e) when (e.InnerException is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation })
        {
            return CampaignResult.Refused($"A campaign named '{n}' already exists.", "name");
        }
        return new CampaignResult(true, $"Campaign '{n}' created.", Id: campaign.Id);
    }

    public async Task<CampaignResult> ArchiveAsync(Guid id, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var name = await db.Campaigns.Where(c => c.Id == id).Select(c => c.Name).SingleOrDefaultAsync(ct);
        if (name is null) return CampaignResult.Refused("That campaign does not exist.");
        var changed = await db.Campaigns.Where(c => c.Id == id && c.ArchivedAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(c => c.ArchivedAt, clock.GetUtcNow()), ct);
        return changed == 0
            ? CampaignResult.Refused($"Campaign '{name}' is already archived.")
            : new CampaignResult(true, $"Campaign '{name}' archived: it takes no new enrolments.", Id: id);
    }
}
