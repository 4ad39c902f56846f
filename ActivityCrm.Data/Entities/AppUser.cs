using Microsoft.AspNetCore.Identity;

namespace ActivityCrm.Data.Entities;

public class AppUser : IdentityUser<Guid>
{
    public string DisplayName { get; set; } = "";
    public bool IsDisabled { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}

public static class Roles
{
    public const string SuperAdmin = "SuperAdmin", Admin = "Admin", ProgramManager = "ProgramManager", Analyst = "Analyst";
    public static readonly IReadOnlyList<string> All = [SuperAdmin, Admin, ProgramManager, Analyst];
}
