using ActivityCrm.Data.Entities;
using Microsoft.EntityFrameworkCore;

namespace ActivityCrm.Data.Leads;

public enum LeadSort { LastActivity, Name, Email, Phone, Company, Status, Owner, ScoreBand }

/// <param name="Search">Part of the name, email, phone or company (case-insensitive).</param>
/// <param name="OwnerId">Only leads this user owns.</param>
/// <param name="Unowned">Only leads nobody owns (ignored when <paramref name="OwnerId"/> is set).</param>
/// <param name="CampaignId">Only leads actively enrolled in this campaign.</param>
/// <param name="HasReplied">true: leads with at least one INBOUND_REPLY; false: leads without one.</param>
public sealed record LeadListQuery(string? Search = null, IReadOnlyCollection<string>? Statuses = null, Guid? OwnerId = null,
    bool Unowned = false, Guid? CampaignId = null, bool? HasReplied = null, bool IncludeDeleted = false,
    LeadSort Sort = LeadSort.LastActivity, bool Descending = true, int Skip = 0, int Take = 25);

public sealed record LeadListItem(Guid Id, string? Name, string? Email, string? Phone, string? Company, string Status,
    Guid? OwnerId, string? OwnerName, int? IcpScore, string? IcpBand, DateTimeOffset? LastActivityAt, bool Deleted, bool Erased)
{
    public string DisplayName => LeadNames.Display(Name, Email, Erased);
}

public sealed record LeadListPage(IReadOnlyList<LeadListItem> Items, int Total);

public static class LeadNames
{
    public const string Erased = "Erased lead";

    public static string Display(string? fullName, string? email, bool erased) =>
        erased ? Erased : fullName is { Length: > 0 } n ? n : email is { Length: > 0 } e ? e : "Unnamed lead";
}

/// <summary>The /leads list: search, filters, sort and a page, counted on the server. Soft-deleted leads
/// are left out unless asked for.</summary>
public static class LeadList
{
    public const int MaxPageSize = 200;

    public static async Task<LeadListPage> ReadAsync(ActivityCrmDbContext db, LeadListQuery q, CancellationToken ct = default)
    {
        var leads = db.Leads.AsNoTracking();
        if (!q.IncludeDeleted) leads = leads.Where(l => l.DeletedAt == null);
        if (q.Search?.Trim() is { Length: > 0 } search)
        {
            // ILIKE on full_name and email uses their trigram indexes.
            var pattern = "%" + search.Replace(@"\", @"\\").Replace("%", @"\%").Replace("_", @"\_") + "%";
            leads = leads.Where(l => EF.Functions.ILike(l.FullName!, pattern) || EF.Functions.ILike(l.Email!, pattern)
                                     || EF.Functions.ILike(l.Company!, pattern) || EF.Functions.ILike(l.Phone!, pattern));
        }
        if (q.Statuses is { Count: > 0 } statuses) leads = leads.Where(l => statuses.Contains(l.Status));
        if (q.OwnerId is { } owner) leads = leads.Where(l => l.OwnerId == owner);
        else if (q.Unowned) leads = leads.Where(l => l.OwnerId == null);
        if (q.CampaignId is { } campaign) leads = leads.Where(l => l.Campaigns.Any(c => c.CampaignId == campaign && c.RemovedAt == null));
        if (q.HasReplied is { } replied)
            leads = leads.Where(l => db.Activities.Any(a => a.LeadId == l.Id && a.EventType == "INBOUND_REPLY") == replied);

        var total = await leads.CountAsync(ct);
        var rows = leads.Select(l => new
        {
            l.Id, l.FullName, l.Email, l.Phone, l.Company, l.Status, l.OwnerId,
            OwnerName = l.Owner == null ? null : (l.Owner.DisplayName != "" ? l.Owner.DisplayName : l.Owner.Email),
            l.IcpScore, l.IcpBand, l.LastActivityAt, l.DeletedAt, l.ErasedAt,
            Band = l.IcpBand == "hot" ? 3 : l.IcpBand == "warm" ? 2 : l.IcpBand == "cold" ? 1 : 0,
        });
        var d = q.Descending;
        var sorted = q.Sort switch
        {
            LeadSort.Name => d ? rows.OrderByDescending(r => r.FullName) : rows.OrderBy(r => r.FullName),
            LeadSort.Email => d ? rows.OrderByDescending(r => r.Email) : rows.OrderBy(r => r.Email),
            LeadSort.Phone => d ? rows.OrderByDescending(r => r.Phone) : rows.OrderBy(r => r.Phone),
            LeadSort.Company => d ? rows.OrderByDescending(r => r.Company) : rows.OrderBy(r => r.Company),
            LeadSort.Status => d ? rows.OrderByDescending(r => r.Status) : rows.OrderBy(r => r.Status),
            // Leads without an owner come last either way: they are not "first" by any owner's name.
            LeadSort.Owner => d ? rows.OrderBy(r => r.OwnerName == null).ThenByDescending(r => r.OwnerName) : rows.OrderBy(r => r.OwnerName == null).ThenBy(r => r.OwnerName),
            LeadSort.ScoreBand => d ? rows.OrderByDescending(r => r.Band).ThenByDescending(r => r.IcpScore) : rows.OrderBy(r => r.Band).ThenBy(r => r.IcpScore),
            // Never-active leads last, also when sorting oldest first.
            _ => d ? rows.OrderBy(r => r.LastActivityAt == null).ThenByDescending(r => r.LastActivityAt) : rows.OrderBy(r => r.LastActivityAt == null).ThenBy(r => r.LastActivityAt),
        };
        var page = await sorted.ThenBy(r => r.Id).Skip(Math.Max(0, q.Skip)).Take(Math.Clamp(q.Take, 1, MaxPageSize)).ToListAsync(ct);
        return new LeadListPage(page.Select(r => new LeadListItem(r.Id, r.FullName, r.Email, r.Phone, r.Company, r.Status, r.OwnerId, r.OwnerName,
            r.IcpScore, r.IcpBand, r.LastActivityAt, r.DeletedAt != null, r.ErasedAt != null)).ToList(), total);
    }

    /// <summary>People who own at least one lead, for the owner filter.</summary>
    public static async Task<IReadOnlyList<(Guid Id, string Name)>> OwnersAsync(ActivityCrmDbContext db, CancellationToken ct = default) =>
        (await db.Users.AsNoTracking().Where(u => db.Leads.Any(l => l.OwnerId == u.Id))
            .Select(u => new { u.Id, Name = u.DisplayName != "" ? u.DisplayName : u.Email ?? "" }).OrderBy(u => u.Name).ToListAsync(ct))
        .Select(u => (u.Id, u.Name)).ToList();
}
