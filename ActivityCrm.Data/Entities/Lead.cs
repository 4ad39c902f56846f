namespace ActivityCrm.Data.Entities;

public class Lead
{
    public Guid Id { get; set; }
    public string? AirtableRecordId { get; set; }
    public string? FirstName { get; set; }
    public string? LastName { get; set; }
    /// <summary>Generated (first_name || ' ' || last_name), trigram-indexed for search.</summary>
    public string? FullName { get; set; }
    public string? Email { get; set; }
    public string? Phone { get; set; }
    public string? Company { get; set; }
    public string? Title { get; set; }
    public string Status { get; set; } = LeadStatuses.New;
    public Guid? OwnerId { get; set; }
    public AppUser? Owner { get; set; }
    public int? IcpScore { get; set; }
    public string? IcpBand { get; set; }
    public Guid? ClientId { get; set; }
    public Client? Client { get; set; }
    public DateTimeOffset? LastActivityAt { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
    /// <summary>Soft delete: the lead disappears from lists, its history stays.</summary>
    public DateTimeOffset? DeletedAt { get; set; }
    /// <summary>Set when the person asked to be forgotten and their personal fields were removed.</summary>
    public DateTimeOffset? ErasedAt { get; set; }
    public List<LeadCampaign> Campaigns { get; set; } = [];
}

public static class LeadStatuses
{
    public const string New = "new";
    public static readonly IReadOnlyList<string> All =
        ["new", "contacted", "engaged", "qualified", "booked", "won", "lost", "unqualified", "opted_out"];
}
