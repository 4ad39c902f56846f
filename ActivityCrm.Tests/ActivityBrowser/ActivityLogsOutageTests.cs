using System.Net;
using ActivityCrm.Data.Postgres;
using ActivityCrm.Tests.Infrastructure;
using ActivityCrm.Tests.Ingestion;

namespace ActivityCrm.Tests.ActivityBrowser;

public sealed class ActivityLogsOutageTests(OwnServerAppFactory app) : IClassFixture<OwnServerAppFactory>
{
    [Fact]
    public async Task While_the_database_is_down_the_read_api_answers_503_with_retry_after_and_recovers_after()
    {
        using var client = await app.SignedInAsync(AppFactory.AdminEmail, AppFactory.AdminPassword);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/admin/activity-logs")).StatusCode);

        await app.PgServer.StopAsync();
        try
        {
            var down = await client.GetAsync("/api/admin/activity-logs?eventCategory=SMS");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, down.StatusCode);
            Assert.Equal("application/problem+json", down.Content.Headers.ContentType?.MediaType);
            Assert.True(down.Headers.RetryAfter?.Delta > TimeSpan.Zero);
        }
        finally
        {
            await EmbeddedPostgres.StartAsync(app.PgServer.DataDirectory);
        }
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/admin/activity-logs?eventCategory=SMS")).StatusCode);
    }
}
