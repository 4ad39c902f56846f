using Microsoft.EntityFrameworkCore;

namespace ActivityCrm.Data.Leads;

public sealed record LeadCampaignItem(Guid CampaignId, string Name, DateTimeOffset EnrolledAt, bool Archived);

public sealed record LeadNoteItem(Guid Id, string Body, string? AuthorName, DateTimeOffset CreatedAt);

/// <summary>The lead page's header: identity, status, owner, score and band, active campaigns.</summary>
public sealed record LeadDetails(Guid Id, string? AirtableRecordId, string? FullName, string? Email, string? Phone, string? Company,
    string? Title, string Status, Guid? OwnerId, string? OwnerName, int? IcpScore, string? IcpBand, string? ClientName,
    DateTimeOffset CreatedAt, DateTimeOffset? LastActivityAt, DateTimeOffset? DeletedAt, DateTimeOffset? ErasedAt,
    IReadOnlyList<LeadCampaignItem> Campaigns)
{
    public bool Erased => ErasedAt is not null;
    public bool Deleted => DeletedAt is not null;
    public string DisplayName => LeadNames.Display(FullName, Email, Erased);

    /// <summary>Any lead id, soft-deleted ones included (links from history must keep working); null when unknown.</summary>
    public static async Task<LeadDetails?> LoadAsync(ActivityCrmDbContext db, Guid id, CancellationToken ct = default)
    {
        var lead = await db.Leads.AsNoTracking().Where(l => l.Id == id).Select(l => new
        {
            l.Id, l.AirtableRecordId, l.FullName, l.Email, l.Phone, l.Company, l.Title, l.Status, l.OwnerId,
            OwnerName = l.Owner == null ? null : (l.Owner.DisplayName != "" ? l.Owner.DisplayName : l.Owner.Email),
            l.IcpScore, l.IcpBand, ClientName = l.Client == null ? null : l.Client.Name, l.CreatedAt, l.LastActivityAt, l.DeletedAt, l.ErasedAt,
        }).SingleOrDefaultAsync(ct);
        if (lead is null) return null;
        var campaigns = await db.LeadCampaigns.AsNoTracking().Where(c => c.LeadId == id && c.RemovedAt == null)
            .OrderBy(c => c.EnrolledAt)
            .Select(c => new LeadCampaignItem(c.CampaignId, c.Campaign!.Name, c.EnrolledAt, c.Campaign.ArchivedAt != null)).ToListAsync(ct);
        return new LeadDetails(lead.Id, lead.AirtableRecordId, lead.FullName, lead.Email, lead.Phone, lead.Company, lead.Title, lead.Status,
            lead.OwnerId, lead.OwnerName, lead.IcpScore, lead.IcpBand, lead.ClientName, lead.CreatedAt, lead.LastActivityAt, lead.DeletedAt,
            lead.ErasedAt, campaigns);
    }

    public static async Task<IReadOnlyList<LeadNoteItem>> NotesAsync(ActivityCrmDbContext db, Guid leadId, CancellationToken ct = default) =>
        await db.LeadNotes.AsNoTracking().Where(n => n.LeadId == leadId).OrderByDescending(n => n.CreatedAt).Take(200)
            .Select(n => new LeadNoteItem(n.Id, n.Body,
                db.Users.Where(u => u.Id == n.CreatedBy).Select(u => u.DisplayName != "" ? u.DisplayName : u.Email).FirstOrDefault(), n.CreatedAt))
            .ToListAsync(ct);
}
