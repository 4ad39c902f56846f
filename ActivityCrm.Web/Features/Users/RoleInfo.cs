using ActivityCrm.Data.Entities;

namespace ActivityCrm.Web.Features.Users;

/// <summary>What each role may do, in the words the users page shows (the policies in Hosting/IdentityHosting.cs decide).</summary>
public static class RoleInfo
{
    public static readonly IReadOnlyDictionary<string, string> Descriptions = new Dictionary<string, string>
    {
        [Roles.SuperAdmin] = "Everything, plus users, roles, API keys and erasing a lead.",
        [Roles.Admin] = "Activity browser, health, dead letters, settings, redaction, integrity; also leads and exports.",
        [Roles.ProgramManager] = "Leads, lead pages and timelines, lead actions.",
        [Roles.Analyst] = "Read and export APIs, CSV downloads, analytics.",
    };

    public static Radzen.BadgeStyle Style(string role) => role switch
    {
        Roles.SuperAdmin => Radzen.BadgeStyle.Danger,
        Roles.Admin => Radzen.BadgeStyle.Warning,
        Roles.ProgramManager => Radzen.BadgeStyle.Info,
        _ => Radzen.BadgeStyle.Secondary,
    };
}
