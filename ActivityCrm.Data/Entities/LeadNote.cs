namespace ActivityCrm.Data.Entities;

public class LeadNote
{
    public Guid Id { get; set; }
    public Guid LeadId { get; set; }
    public string Body { get; set; } = "";
    public Guid? CreatedBy { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}
