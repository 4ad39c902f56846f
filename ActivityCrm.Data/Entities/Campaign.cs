namespace ActivityCrm.Data.Entities;

public class Campaign
{
    public Guid Id { get; set; }
    public string Name { get; set; } = "";
    public string? Description { get; set; }
    public Guid? ClientId { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? ArchivedAt { get; set; }
}

/// <summary>A lead's enrolment in a campaign; removal keeps the row (removed_at) so re-enrolment is a new row.</summary>
public class LeadCampaign
{
    public Guid Id { get; set; }
    public Guid LeadId { get; set; }
    public Guid CampaignId { get; set; }
    public Campaign? Campaign { get; set; }
    public DateTimeOffset EnrolledAt { get; set; }
    public Guid? EnrolledBy { get; set; }
    public DateTimeOffset? RemovedAt { get; set; }
    public Guid? RemovedBy { get; set; }
}
