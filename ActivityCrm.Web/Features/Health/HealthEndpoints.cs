using Npgsql;

namespace ActivityCrm.Web.Features.Health;

public static class HealthEndpoints
{
    public static void MapHealthEndpoints(this WebApplication app)
    {
        app.MapGet("/healthz", () => TypedResults.Ok(new { status = "alive" })).AllowAnonymous().WithTags("Health")
            .WithSummary("The process is alive.");
        app.MapGet("/readyz", ReadyAsync).AllowAnonymous().WithTags("Health")
            .WithSummary("The database is reachable (503 otherwise).");
    }

    private static async Task<IResult> ReadyAsync(NpgsqlDataSource dataSource, CancellationToken ct)
    {
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(3));
            await using var cmd = dataSource.CreateCommand("SELECT 1");
            await cmd.ExecuteScalarAsync(timeout.Token);
            return TypedResults.Ok(new { status = "ready", database = "reachable" });
        }
        catch (Exception e) when (e is NpgsqlException or OperationCanceledException or TimeoutException)
        {
            return TypedResults.Json(new { status = "unavailable", database = "unreachable" }, statusCode: 503);
        }
    }
}
