using System.Net.Sockets;
using Npgsql;

namespace ActivityCrm.Web.Features.Ingestion;

/// <summary>A database that cannot be reached is the server's problem, not the caller's: 503 with
/// Retry-After, so the n8n node retries instead of dropping the event.</summary>
public static class DatabaseErrors
{
    public const int RetryAfterSeconds = 5;

    public static bool IsUnavailable(Exception e) => e switch
    {
        NpgsqlException { IsTransient: true } => true,
        NpgsqlException { InnerException: SocketException or IOException or TimeoutException } => true,
        PostgresException { SqlState: "57P01" or "57P02" or "57P03" or "53300" } => true, // shutdown, crash, starting up, too many connections
        TimeoutException => true,
        SocketException => true,
        _ when e.InnerException is { } inner => IsUnavailable(inner),
        _ => false,
    };

    public static IResult Unavailable(HttpContext http)
    {
        http.Response.Headers.RetryAfter = RetryAfterSeconds.ToString();
        return TypedResults.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "Database unavailable",
            detail: $"The event was not stored. Retry after {RetryAfterSeconds} seconds; retries are idempotent.");
    }
}
