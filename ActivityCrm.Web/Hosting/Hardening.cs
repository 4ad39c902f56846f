using System.Globalization;
using System.Threading.RateLimiting;
using ActivityCrm.Data.ApiKeys;
using ActivityCrm.Web.Features.Ingestion;

namespace ActivityCrm.Web.Hosting;

public sealed class RateLimitOptions
{
    public bool Enabled { get; set; } = true;
    /// <summary>Requests per second each API key may send, on average (a batch of 1,000 events is one request).</summary>
    public int PermitsPerSecond { get; set; } = 100;
    /// <summary>Requests a key may send at once above the average (a workflow that wakes up with a backlog).</summary>
    public int Burst { get; set; } = 1000;
}

/// <summary>
/// Rate limits per API key on the machine endpoints (429 problem+json with Retry-After), and the security
/// headers every response carries, with a CSP that Blazor Server and Radzen work under.
/// </summary>
public static class Hardening
{
    public const string IngestionPolicy = "ingestion";

    // Radzen sets inline style attributes, so style-src needs 'unsafe-inline'; scripts are only our own files
    // plus the import map Blazor writes inline, which carries this response's nonce. Blazor's circuit is a
    // WebSocket to this origin (connect-src ws:/wss:).
    public static string ContentSecurityPolicy(string nonce) =>
        $"default-src 'self'; script-src 'self' 'nonce-{nonce}'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; " +
        "connect-src 'self' ws: wss:; frame-ancestors 'none'; base-uri 'self'; form-action 'self'; object-src 'none'";

    /// <summary>This response's CSP nonce, for the one inline script we render (App.razor's import map).</summary>
    public static string CspNonce(HttpContext http) => http.Items[NonceKey] as string ?? "";

    private const string NonceKey = "activitycrm.csp-nonce";

    public static void AddActivityCrmHardening(this WebApplicationBuilder builder)
    {
        var limits = builder.Configuration.GetSection("RateLimiting").Get<RateLimitOptions>() ?? new RateLimitOptions();
        builder.Services.AddRateLimiter(o =>
        {
            o.AddPolicy(IngestionPolicy, http =>
            {
                if (!limits.Enabled) return RateLimitPartition.GetNoLimiter("off");
                // Partitioned by the key's public id (no database lookup before the limiter); requests without a
                // usable key share a bucket per client address, so guessing keys is throttled too.
                var presented = http.Request.Headers[ApiKeyFilter.Header].FirstOrDefault();
                var partition = presented is { Length: >= ApiKeyStore.MinimumLength and <= 200 }
                    ? "key:" + ApiKeyStore.KeyIdOf(presented)
                    : "addr:" + http.Connection.RemoteIpAddress;
                return RateLimitPartition.GetTokenBucketLimiter(partition, _ => new TokenBucketRateLimiterOptions
                {
                    TokenLimit = Math.Max(1, limits.Burst), TokensPerPeriod = Math.Max(1, limits.PermitsPerSecond),
                    ReplenishmentPeriod = TimeSpan.FromSeconds(1), QueueLimit = 0, AutoReplenishment = true,
                });
            });
            o.OnRejected = (ctx, ct) =>
            {
                var retryAfter = ctx.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)) : 1;
                ctx.HttpContext.Response.Headers.RetryAfter = retryAfter.ToString(CultureInfo.InvariantCulture);
                return new ValueTask(TypedResults.Problem(statusCode: StatusCodes.Status429TooManyRequests, title: "Too many requests",
                    detail: $"This API key sent more than {limits.PermitsPerSecond} requests per second (bursts up to {limits.Burst}). " +
                            $"Nothing was stored; retry after {retryAfter} s, or send events in batches.").ExecuteAsync(ctx.HttpContext));
            };
        });
    }

    public static void UseActivityCrmHardening(this WebApplication app)
    {
        app.Use((http, next) =>
        {
            // Hex, not base64: '+' and '/' would be HTML-encoded in the attribute, and hex is valid nonce syntax.
            var nonce = Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16)).ToLowerInvariant();
            http.Items[NonceKey] = nonce;
            // At the last moment, so error pages (whose handler clears the headers) carry them too.
            http.Response.OnStarting(() =>
            {
                var headers = http.Response.Headers;
                headers.ContentSecurityPolicy = ContentSecurityPolicy(nonce);
                headers.XContentTypeOptions = "nosniff";
                headers.XFrameOptions = "DENY";
                headers["Referrer-Policy"] = "strict-origin-when-cross-origin";
                headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=(), payment=()";
                return Task.CompletedTask;
            });
            return next(http);
        });
        app.UseRateLimiter();
    }
}
