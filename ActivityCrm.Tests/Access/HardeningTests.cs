using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ActivityCrm.Data.ApiKeys;
using ActivityCrm.Data.Entities;
using ActivityCrm.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace ActivityCrm.Tests.Access;

/// <summary>The app with a tiny rate limit: 1 request per second per key, bursts of 3.</summary>
public sealed class TightRateLimitAppFactory : AppFactory
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("RateLimiting:PermitsPerSecond", "1");
        builder.UseSetting("RateLimiting:Burst", "3");
    }
}

public sealed class RateLimitTests(TightRateLimitAppFactory app) : IClassFixture<TightRateLimitAppFactory>
{
    [Fact]
    public async Task A_key_over_its_limit_gets_429_problem_json_with_retry_after_and_nothing_is_stored()
    {
        var (_, secret) = await app.Services.GetRequiredService<ApiKeyStore>().CreateAsync("Flooder", null, null, null);
        using var client = app.CreateClient();
        client.DefaultRequestHeaders.Add("x-api-key", secret);
        var airtable = $"recRATE{Guid.NewGuid():N}"[..18];
        var statuses = new List<HttpStatusCode>();
        HttpResponseMessage? limited = null;
        for (var i = 0; i < 6 && limited is null; i++)
        {
            var r = await client.PostAsJsonAsync("/api/internal/log-activity", EventPayloads.Sms(airtable).With("idempotencyKey", $"rate-{i}"));
            statuses.Add(r.StatusCode);
            if (r.StatusCode == HttpStatusCode.TooManyRequests) limited = r;
        }

        Assert.NotNull(limited);
        Assert.True(statuses.Count(s => s == HttpStatusCode.Created) >= 3, string.Join(",", statuses));
        Assert.Equal("application/problem+json", limited!.Content.Headers.ContentType?.MediaType);
        var retryAfter = limited.Headers.RetryAfter?.Delta;
        Assert.NotNull(retryAfter);
        Assert.InRange(retryAfter!.Value.TotalSeconds, 1, 5);
        Assert.Contains("retry after", (await limited.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString(), StringComparison.OrdinalIgnoreCase);
        var stored = await app.ScalarAsync<long>("SELECT count(*) FROM lead_activity_log WHERE lead_airtable_id = @a", ("a", airtable));
        Assert.Equal(statuses.Count(s => s == HttpStatusCode.Created), stored);

        // Another key has a bucket of its own.
        using var other = app.ApiClient();
        Assert.Equal(HttpStatusCode.Created, (await other.PostAsJsonAsync("/api/internal/log-activity", EventPayloads.Sms(airtable))).StatusCode);

        // Waiting as told is enough.
        await Task.Delay(retryAfter.Value + TimeSpan.FromMilliseconds(200));
        var after = await client.PostAsJsonAsync("/api/internal/log-activity", EventPayloads.Sms(airtable).With("idempotencyKey", "rate-after"));
        Assert.Equal(HttpStatusCode.Created, after.StatusCode);
    }

    [Fact]
    public async Task The_lead_sync_endpoint_is_limited_too()
    {
        var (_, secret) = await app.Services.GetRequiredService<ApiKeyStore>().CreateAsync("Sync flooder", null, null, null);
        using var client = app.CreateClient();
        client.DefaultRequestHeaders.Add("x-api-key", secret);
        var codes = new List<HttpStatusCode>();
        for (var i = 0; i < 6; i++) codes.Add((await client.PutAsJsonAsync("/api/internal/leads/recSYNCRATE1", new { title = $"t{i}" })).StatusCode);
        Assert.Contains(HttpStatusCode.TooManyRequests, codes);
    }

    [Fact]
    public async Task Pages_and_staff_apis_are_not_rate_limited_by_the_ingestion_policy()
    {
        var (_, email) = await TestUsers.CreateAsync(app.Database.ConnectionString, Roles.Admin);
        var session = await app.SignedInAsync(email);
        for (var i = 0; i < 6; i++) Assert.Equal(HttpStatusCode.OK, (await session.GetAsync("/admin")).StatusCode);
    }
}

/// <summary>Security headers and cookie flags, in the Testing environment and as in production.</summary>
public sealed class SecurityHeaderTests(AppFactory app) : IClassFixture<AppFactory>
{
    [Theory]
    [InlineData("/account/login")]
    [InlineData("/healthz")]
    [InlineData("/not-a-page")]
    public async Task Every_response_carries_the_security_headers(string path)
    {
        var response = await app.CookieClient().GetAsync(path);
        var csp = string.Join(" ", response.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("frame-ancestors 'none'", csp);
        Assert.Matches("script-src 'self' 'nonce-[0-9a-f]{32}';", csp);
        Assert.Contains("connect-src 'self' ws: wss:", csp);
        Assert.DoesNotContain("unsafe-eval", csp);
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Equal("strict-origin-when-cross-origin", response.Headers.GetValues("Referrer-Policy").Single());
        Assert.Equal("DENY", response.Headers.GetValues("X-Frame-Options").Single());
    }

    [Fact]
    public async Task The_only_inline_script_carries_a_fresh_nonce_that_the_policy_allows()
    {
        var first = await app.CookieClient().GetAsync("/account/login");
        var second = await app.CookieClient().GetAsync("/account/login");
        string Nonce(HttpResponseMessage r) => System.Text.RegularExpressions.Regex.Match(
            string.Join(" ", r.Headers.GetValues("Content-Security-Policy")), "'nonce-([^']+)'").Groups[1].Value;

        Assert.NotEqual(Nonce(first), Nonce(second));
        var html = await first.Content.ReadAsStringAsync();
        Assert.Contains($"<script type=\"importmap\" nonce=\"{Nonce(first)}\">", html);
        Assert.DoesNotContain("unsafe-inline'; style-src", string.Join(" ", first.Headers.GetValues("Content-Security-Policy")));
    }

    [Fact]
    public async Task Session_and_antiforgery_cookies_are_http_only_and_same_site()
    {
        var client = app.CookieClient();
        var form = await client.GetAsync("/account/login");
        Assert.Contains(form.Headers.GetValues("Set-Cookie"), c => c.Contains("samesite=strict", StringComparison.OrdinalIgnoreCase) && c.Contains("httponly"));
        var login = await client.PostLoginAsync(AppFactory.AdminEmail, AppFactory.AdminPassword);
        var auth = login.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("activitycrm.auth="));
        Assert.Contains("httponly", auth, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=lax", auth, StringComparison.OrdinalIgnoreCase);
    }
}

/// <summary>The app as configured for production (cookies must be Secure there).</summary>
public sealed class ProductionAppFactory : AppFactory
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseEnvironment("Production");
    }
}

public sealed class ProductionCookieTests(ProductionAppFactory app) : IClassFixture<ProductionAppFactory>
{
    [Fact]
    public async Task In_production_the_session_and_antiforgery_cookies_are_secure()
    {
        var client = app.CreateClient(new() { AllowAutoRedirect = false, HandleCookies = false, BaseAddress = new Uri("https://localhost") });
        var form = await client.GetAsync("/account/login");
        Assert.All(form.Headers.GetValues("Set-Cookie"), c => Assert.Contains("secure", c, StringComparison.OrdinalIgnoreCase));
        var html = await form.Content.ReadAsStringAsync();
        var request = new HttpRequestMessage(HttpMethod.Post, "/account/login")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["email"] = AppFactory.AdminEmail, ["password"] = AppFactory.AdminPassword, ["returnUrl"] = "/",
                ["__RequestVerificationToken"] = SignIn.AntiforgeryToken(html),
            }),
        };
        request.Headers.Add("Cookie", string.Join("; ", form.Headers.GetValues("Set-Cookie").Select(c => c.Split(';')[0])));
        var login = await client.SendAsync(request);
        var auth = login.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("activitycrm.auth="));
        Assert.Contains("secure", auth, StringComparison.OrdinalIgnoreCase);
    }
}
