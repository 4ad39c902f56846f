using ActivityCrm.Data.Activities;
using ActivityCrm.Data.Integrity;
using ActivityCrm.Data.Leads;
using ActivityCrm.Web.Features.Integrity;
using ActivityCrm.Web.Features.Users;

namespace ActivityCrm.Web.Hosting;

/// <summary>Users and roles, redaction, erasure and the integrity check (issue 5), and the verify command.</summary>
public static class AccessHosting
{
    public static void AddActivityCrmAccess(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<UserAdministration>();
        builder.Services.AddSingleton<Redaction>();
        builder.Services.AddSingleton<LeadErasure>();
        builder.Services.AddSingleton<IntegrityCheck>();
        builder.Services.AddSingleton<IntegrityRuns>();
        Commands.Register("verify", VerifyCommand.Usage, VerifyCommand.RunAsync);
    }
}
