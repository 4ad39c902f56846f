using System.Net;
using System.Net.Http.Json;
using ActivityCrm.Tests.Infrastructure;
using ActivityCrm.Web.Features.Health;
using Microsoft.Extensions.DependencyInjection;

namespace ActivityCrm.Tests.Health;

public sealed class IngestionLatencyTests(AppFactory app) : IClassFixture<AppFactory>
{
    [Fact]
    public async Task Every_ingestion_request_is_timed_per_endpoint_and_summarised_as_percentiles()
    {
        using var client = app.ApiClient();
        for (var i = 0; i < 5; i++)
            Assert.Equal(HttpStatusCode.Created, (await client.PostAsJsonAsync("/api/internal/log-activity", EventPayloads.Sms("recLATENCY1"))).StatusCode);
        var batch = await client.PostAsJsonAsync("/api/internal/log-activity/batch",
            new { events = new[] { EventPayloads.Sms("recLATENCY1").With("idempotencyKey", "b1"), EventPayloads.Sms("recLATENCY1").With("idempotencyKey", "b2") } });
        Assert.Equal(HttpStatusCode.OK, batch.StatusCode);
        using var anonymous = app.CreateClient();
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.PostAsJsonAsync("/api/internal/log-activity", EventPayloads.Sms("recLATENCY1"))).StatusCode);

        var summary = app.Services.GetRequiredService<IngestionTimings>().Summarize(TimeSpan.FromMinutes(15));

        var all = summary[0];
        Assert.Equal("all", all.Endpoint);
        Assert.Equal(7, all.Requests);
        Assert.Equal(6, Assert.Single(summary, s => s.Endpoint == "/api/internal/log-activity").Requests); // a refused key is timed too
        Assert.Equal(1, Assert.Single(summary, s => s.Endpoint == "/api/internal/log-activity/batch").Requests);
        Assert.True(all.P50 > 0 && all.P50 <= all.P95 && all.P95 <= all.P99 && all.P99 <= all.Max, $"{all}");
    }

    [Fact]
    public void Percentiles_are_nearest_rank()
    {
        var hundred = Enumerable.Range(1, 100).Select(i => (double)i).ToArray();
        Assert.Equal([50.0, 95.0, 99.0, 100.0], new[] { 50, 95, 99, 100 }.Select(p => IngestionTimings.Percentile(hundred, p)));
        Assert.Equal(7.0, IngestionTimings.Percentile([7.0], 99));
        Assert.Equal(2.0, IngestionTimings.Percentile([1.0, 2.0, 3.0], 50));
    }
}
