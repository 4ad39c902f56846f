using ActivityCrm.Data.Activities;
using ActivityCrm.Data.Demo;
using ActivityCrm.Tests.Infrastructure;

namespace ActivityCrm.Tests.Data;

public sealed class DemoDataTests
{
    [Fact]
    public async Task Demo_data_has_the_asked_volume_every_event_type_orphans_and_database_computed_hashes()
    {
        await using var db = await TestDatabase.CreateAsync();
        await using var ds = db.CreateDataSource();

        var stats = await DemoData.SeedAsync(ds, new DemoDataOptions(Leads: 60, Events: 6_000, OrphanLeads: 3, Parallelism: 2), TimeProvider.System);

        async Task<long> Scalar(string sql)
        {
            await using var cmd = ds.CreateCommand(sql);
            return Convert.ToInt64(await cmd.ExecuteScalarAsync());
        }
        Assert.Equal(stats.Events, await Scalar("SELECT count(*) FROM lead_activity_log"));
        Assert.InRange(stats.Events, 6_000, 6_003); // plus the few demo redactions
        Assert.Equal(60, await Scalar("SELECT count(*) FROM leads"));
        var missingTypes = await Scalar($"""
            SELECT count(*) FROM activity_types t
            WHERE t.name <> 'LEAD_ERASED' AND NOT EXISTS (SELECT 1 FROM lead_activity_log a WHERE a.event_type = t.name)
            """);
        Assert.Equal(0, missingTypes);
        Assert.True(await Scalar("SELECT count(*) FROM lead_activity_log WHERE lead_id IS NULL AND lead_airtable_id LIKE 'recPENDING%'") > 0);
        Assert.Equal(0, await Scalar("SELECT count(*) FROM lead_activity_log WHERE content_hash IS NULL"));
        Assert.Equal(0, await Scalar("SELECT count(*) FROM lead_activity_log a WHERE a.redacted_at IS NULL AND a.content_hash <> activity_content_hash(a)"));
        Assert.Equal(0, await Scalar("SELECT count(*) FROM leads l WHERE EXISTS (SELECT 1 FROM lead_activity_log a WHERE a.lead_id = l.id) AND l.last_activity_at IS NULL"));
        Assert.Equal(EventTypeCatalog.BuiltIn.Count, await Scalar("SELECT count(*) FROM activity_types"));
    }
}
