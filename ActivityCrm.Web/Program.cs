using ActivityCrm.Data.Postgres;
using ActivityCrm.Web.Features.Account;
using ActivityCrm.Web.Features.ActivityBrowser;
using ActivityCrm.Web.Features.Analytics;
using ActivityCrm.Web.Features.DeadLetters;
using ActivityCrm.Web.Features.EventTypes;
using ActivityCrm.Web.Features.Imports;
using ActivityCrm.Web.Features.EventDetail;
using ActivityCrm.Web.Features.Health;
using ActivityCrm.Web.Features.Ingestion;
using ActivityCrm.Web.Features.Leads;
using ActivityCrm.Web.Features.Live;
using ActivityCrm.Web.Hosting;

var builder = WebApplication.CreateBuilder(args);
try
{
    await builder.AddActivityCrmDatabaseAsync();
}
catch (EmbeddedPostgresException e)
{
    Console.Error.WriteLine(e.Message);
    return 1;
}
builder.AddActivityCrmData();
builder.AddActivityCrmPartitioning();
builder.AddActivityCrmIdentity();
builder.AddActivityCrmAccess();
builder.AddActivityCrmHardening();
builder.AddSharedDataProtection();
builder.AddActivityCrmLiveUpdates();
builder.AddActivityCrmUi();
builder.AddIngestion();
builder.AddActivityCrmHealth();
builder.AddLeads();
builder.AddAnalytics();
builder.AddDeadLetterAdmin();
builder.AddEventTypeSettings();
builder.AddImports();

var app = builder.Build();
if (await app.RunCommandAsync(args) is { } exitCode) return exitCode;
await app.PrepareDatabaseAsync();

app.UseActivityCrmHardening();
app.UseActivityCrmPipeline();
app.MapHealthEndpoints();
app.MapIngestionApi();
app.MapLeadSyncApi();
app.MapActivityLogsApi();
app.MapLeadTimelineApi();
app.MapAnalyticsApi();
app.MapDeadLetterApi();
app.MapAccountEndpoints();
app.MapRedactionApi();
app.MapActivityCrmUi();

await app.RunAsync();
return 0;

public partial class Program;
