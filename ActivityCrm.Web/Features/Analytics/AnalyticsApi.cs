using System.Globalization;
using ActivityCrm.Data.Analytics;
using ActivityCrm.Web.Features.Ingestion;
using ActivityCrm.Web.Hosting;
using CsvHelper;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;

namespace ActivityCrm.Web.Features.Analytics;

/// <summary>The analytics panels, in page order: the slug names the CSV endpoint and the panel's element id.</summary>
public sealed record AnalyticsPanel(string Slug, string Title, string Question,
    Func<NpgsqlDataSource, AnalyticsFilter, CancellationToken, Task<CsvRows>> Rows);

/// <summary>A panel's rows as CsvHelper writes them (typed, so the header is the record's properties).</summary>
public sealed record CsvRows(Func<CsvWriter, CancellationToken, Task> Write)
{
    public static CsvRows Of<T>(IEnumerable<T> rows) => new((csv, ct) => csv.WriteRecordsAsync(rows, ct).AsTask());
}

/// <summary>GET /api/analytics/{panel}.csv?from=&amp;to=&amp;client=&amp;campaign= — each panel's figures as CSV, for Analysts and above.</summary>
public static class AnalyticsApi
{
    public static readonly IReadOnlyList<AnalyticsPanel> Panels =
    [
        new("reply-rate", "Reply within 24 hours", "What share of leads reply within 24 hours of their first message?",
            async (ds, f, ct) => CsvRows.Of((await AnalyticsQueries.ReplyRateAsync(ds, f, ct)).Rows)),
        new("funnel", "Campaign funnel", "Which campaign stage has the highest drop-off?",
            async (ds, f, ct) => CsvRows.Of((await AnalyticsQueries.FunnelAsync(ds, f, ct)).Rows)),
        new("bookings", "Bookings and opt-outs", "How many leads booked, and how many opted out, per campaign?",
            async (ds, f, ct) => CsvRows.Of(await AnalyticsQueries.BookingsAndOptOutsAsync(ds, f, ct))),
        new("reply-time", "Time to first reply", "How long do leads take to reply to their first message?",
            async (ds, f, ct) => CsvRows.Of((await AnalyticsQueries.ReplyTimeAsync(ds, f, ct)).Rows)),
        new("events-per-day", "Events per day", "How much happens each day, by category?",
            async (ds, f, ct) => CsvRows.Of(await AnalyticsQueries.EventsPerDayAsync(ds, f, ct: ct))),
        new("top-sources", "Top sources", "Which workflows and screens write the most events?",
            async (ds, f, ct) => CsvRows.Of(await AnalyticsQueries.TopSourcesAsync(ds, f, ct: ct))),
        new("failure-rate", "Failure rate per source", "Which sources fail to send, or fail to log?",
            async (ds, f, ct) => CsvRows.Of(await AnalyticsQueries.FailureRatesAsync(ds, f, ct))),
    ];

    public static RouteGroupBuilder MapAnalyticsApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/analytics").WithTags("Analytics").RequireAuthorization(Policies.Analyst);
        foreach (var panel in Panels)
            group.MapGet($"/{panel.Slug}.csv", (string? from, string? to, string? client, string? campaign, NpgsqlDataSource dataSource, HttpContext http, CancellationToken ct)
                    => CsvAsync(panel, from, to, client, campaign, dataSource, http, ct))
                .WithName("analytics-" + panel.Slug)
                .WithSummary($"{panel.Title} as CSV. {panel.Question}")
                .WithDescription("Filters: from, to (UTC days yyyy-MM-dd, inclusive), client (UUID), campaign (campaign key). Definitions: docs/analytics.md.")
                .Produces(StatusCodes.Status200OK, contentType: "text/csv")
                .ProducesValidationProblem()
                .ProducesProblem(StatusCodes.Status401Unauthorized)
                .ProducesProblem(StatusCodes.Status403Forbidden)
                .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        return group;
    }

    public static string CsvUrl(AnalyticsPanel panel, AnalyticsFilter filter) =>
        $"/api/analytics/{panel.Slug}.csv" + (filter.ToQueryString() is { Length: > 0 } q ? "?" + q : "");

    private static async Task<Results<FileContentHttpResult, ValidationProblem, ProblemHttpResult>> CsvAsync(AnalyticsPanel panel,
        string? from, string? to, string? client, string? campaign, NpgsqlDataSource dataSource, HttpContext http, CancellationToken ct)
    {
        var (filter, errors) = AnalyticsFilter.Parse(from, to, client, campaign);
        if (filter is null) return TypedResults.ValidationProblem(errors, title: "The analytics filter is not valid.");
        try
        {
            var rows = await panel.Rows(dataSource, filter, ct);
            var bytes = await ToCsvAsync(rows, ct);
            var period = $"{filter.From?.ToString("yyyy-MM-dd") ?? "start"}_{filter.To?.ToString("yyyy-MM-dd") ?? "now"}";
            return TypedResults.File(bytes, "text/csv; charset=utf-8", $"analytics-{panel.Slug}-{period}.csv");
        }
        catch (Exception e) when (DatabaseErrors.IsUnavailable(e))
        {
            http.Response.Headers.RetryAfter = DatabaseErrors.RetryAfterSeconds.ToString();
            return TypedResults.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "Database unavailable",
                detail: $"The figures could not be read. Retry after {DatabaseErrors.RetryAfterSeconds} seconds.");
        }
    }

    public static async Task<byte[]> ToCsvAsync(CsvRows rows, CancellationToken ct)
    {
        using var buffer = new MemoryStream();
        await using (var csv = CsvWriter.Create(buffer, CsvWriterOptions.Default, leaveOpen: true))
        {
            await rows.Write(csv, ct);
            await csv.FlushAsync(ct);
        }
        return buffer.ToArray();
    }
}
