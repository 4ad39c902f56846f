namespace ActivityCrm.Data.Entities;

/// <summary>ASP.NET Core data-protection key ring, shared by every app instance through the database.</summary>
public class DataProtectionKey
{
    public int Id { get; set; }
    public string FriendlyName { get; set; } = "";
    public string Xml { get; set; } = "";
}
