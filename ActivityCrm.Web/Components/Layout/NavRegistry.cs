using ActivityCrm.Web.Hosting;

namespace ActivityCrm.Web.Components.Layout;

public sealed record NavItem(string Text, string Icon, string Path, string Policy, int Order);

/// <summary>The navigation menu's entries. Each feature adds its line here, next to the others, so the
/// menu reads as a list of what the product has.</summary>
public static class NavRegistry
{
    public static readonly IReadOnlyList<NavItem> Items = new List<NavItem>
    {
        // Features add their entries here, e.g. new("Activity logs", "list_alt", "/admin/activity-logs", Policies.Admin, 10),
        new("Activity logs", "list_alt", "/admin/activity-logs", Policies.Admin, 10),
        new("Health", "monitor_heart", "/admin/health", Policies.Admin, 30),
        new("Leads", "groups", "/leads", Policies.ProgramManager, 20),
        new("Campaigns", "campaign", "/campaigns", Policies.ProgramManager, 25),
        new("Analytics", "insights", "/analytics", Policies.Analyst, 50),
        new("Dead letters", "report", "/admin/dead-letters", Policies.Admin, 40),
        new("Imports", "upload_file", "/admin/imports", Policies.Admin, 45),
        new("Event types", "category", "/admin/event-types", Policies.Admin, 85),
        new("Integrity", "verified_user", "/admin/integrity", Policies.Admin, 80),
        new("Users", "group", "/admin/users", Policies.SuperAdmin, 90),
        new("API keys", "key", "/admin/api-keys", Policies.SuperAdmin, 91),
    }.OrderBy(i => i.Order).ToList();
}
