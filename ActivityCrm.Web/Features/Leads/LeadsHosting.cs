using ActivityCrm.Data.Activities;
using ActivityCrm.Data.Campaigns;
using ActivityCrm.Data.Leads;

namespace ActivityCrm.Web.Features.Leads;

public static class LeadsHosting
{
    /// <summary>The activity logger other server code uses, the lead actions and the campaign catalogue.</summary>
    public static void AddLeads(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<ActivityLogger>();
        builder.Services.AddSingleton<LeadActions>();
        builder.Services.AddSingleton<CampaignCatalog>();
    }
}
