using System.Net;
using System.Reflection;
using System.Text;
using System.Text.RegularExpressions;
using ActivityCrm.Data.Entities;
using ActivityCrm.Tests.Infrastructure;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace ActivityCrm.Tests.Access;

/// <summary>
/// Who may open what, for every page and endpoint the app has. The routes are discovered from the running
/// app (its endpoint data sources, which include every Razor page) and from the Web assembly's @page
/// components; each is requested anonymously, with an API key, and signed in as each role, and the answer
/// is compared with the one rule table below. A route without a rule fails the test, naming it.
/// </summary>
public sealed partial class AccessMatrixTests(AppFactory app) : IClassFixture<AppFactory>
{
    public enum Access { Anonymous, Staff, ProgramManager, Analyst, Admin, SuperAdmin, ApiKey }

    /// <summary>THE rule table: "METHOD /route" (as the route is written, case-insensitive) → who may.
    /// Rules for routes another branch adds are listed ahead; a rule for a route not in this build is ignored.</summary>
    private static readonly Dictionary<string, Access> Rules = new(StringComparer.OrdinalIgnoreCase)
    {
        // Anonymous: sign-in, health, the API description, and the pages an error lands on.
        ["GET /account/login"] = Access.Anonymous,
        ["POST /account/login"] = Access.Anonymous,
        ["POST /account/logout"] = Access.Anonymous,
        ["GET /account/denied"] = Access.Anonymous,
        ["GET /error"] = Access.Anonymous,
        ["GET /not-found"] = Access.Anonymous,
        ["GET /healthz"] = Access.Anonymous,
        ["GET /readyz"] = Access.Anonymous,
        ["GET /openapi/{documentName}.json"] = Access.Anonymous,

        // Machine endpoints: an API key, never a cookie.
        ["POST /api/internal/log-activity"] = Access.ApiKey,
        ["POST /api/internal/log-activity/batch"] = Access.ApiKey,
        ["PUT /api/internal/leads/{airtableRecordId}"] = Access.ApiKey,

        // Any signed-in staff member.
        ["GET /"] = Access.Staff,
        ["GET /account/password"] = Access.Staff,

        // Admin and above: activity browser, health, dead letters, settings, redaction, integrity.
        ["GET /admin"] = Access.Admin,
        ["GET /admin/activity-logs"] = Access.Admin,
        ["GET /admin/activity-logs/{id:guid}"] = Access.Admin,
        ["POST /api/admin/activity-logs/{id:guid}/redact"] = Access.Admin,
        ["GET /admin/integrity"] = Access.Admin,
        ["GET /admin/health"] = Access.Admin,
        ["GET /admin/dead-letters"] = Access.Admin,
        ["GET /admin/event-types"] = Access.Admin,
        ["GET /admin/imports"] = Access.Admin,
        ["GET /admin/settings"] = Access.Admin,
        ["GET /api/admin/dead-letters"] = Access.Admin,
        ["GET /api/admin/dead-letters/{id:guid}"] = Access.Admin,
        ["POST /api/admin/dead-letters/discard"] = Access.Admin,
        ["POST /api/admin/dead-letters/replay"] = Access.Admin,

        // Program managers and above: leads, lead pages, timelines, lead actions.
        ["GET /leads"] = Access.ProgramManager,
        ["GET /leads/{id}"] = Access.ProgramManager,
        ["GET /api/leads/{id}/activity"] = Access.ProgramManager,
        ["GET /campaigns"] = Access.ProgramManager,

        // Analysts and above: read and export APIs, CSV, analytics.
        ["GET /api/admin/activity-logs"] = Access.Analyst,
        ["GET /api/admin/activity-logs/export.csv"] = Access.Analyst,
        ["GET /analytics"] = Access.Analyst,
        ["GET /api/analytics/bookings.csv"] = Access.Analyst,
        ["GET /api/analytics/events-per-day.csv"] = Access.Analyst,
        ["GET /api/analytics/failure-rate.csv"] = Access.Analyst,
        ["GET /api/analytics/funnel.csv"] = Access.Analyst,
        ["GET /api/analytics/reply-rate.csv"] = Access.Analyst,
        ["GET /api/analytics/reply-time.csv"] = Access.Analyst,
        ["GET /api/analytics/top-sources.csv"] = Access.Analyst,

        // Super admins: users, roles, API keys, erasure.
        ["GET /admin/users"] = Access.SuperAdmin,
        ["GET /admin/api-keys"] = Access.SuperAdmin,
        ["GET /leads/{id:guid}/erase"] = Access.SuperAdmin,
    };

    private static readonly string[] Identities = ["anonymous", "api-key", .. Roles.All];

    private static bool Allows(Access access, string identity) => access switch
    {
        Access.Anonymous => true,
        Access.ApiKey => identity == "api-key",
        Access.Staff => Roles.All.Contains(identity),
        Access.ProgramManager => identity is Roles.SuperAdmin or Roles.Admin or Roles.ProgramManager,
        Access.Analyst => identity is Roles.SuperAdmin or Roles.Admin or Roles.Analyst,
        Access.Admin => identity is Roles.SuperAdmin or Roles.Admin,
        Access.SuperAdmin => identity is Roles.SuperAdmin,
        _ => false,
    };

    public sealed record Route(string Method, string Pattern, Endpoint? Endpoint)
    {
        public string Key => $"{Method} {Pattern}";
    }

    /// <summary>Every route of the build: endpoints (pages are endpoints too), less static files and framework plumbing.</summary>
    private List<Route> DiscoverRoutes()
    {
        var endpoints = app.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>();
        var routes = new List<Route>();
        foreach (var e in endpoints)
        {
            var pattern = "/" + (e.RoutePattern.RawText ?? "").TrimStart('/');
            if (IsFramework(pattern) || IsStaticAsset(e)) continue;
            var methods = e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? ["GET"];
            // A page answers GET (and POST for its forms); one request per endpoint, the first of these it takes.
            var method = new[] { "GET", "POST", "PUT", "PATCH", "DELETE" }.FirstOrDefault(methods.Contains) ?? methods[0];
            routes.Add(new(method, pattern.Length > 1 ? pattern.TrimEnd('/') : pattern, e));
        }
        return routes.DistinctBy(r => r.Key.ToLowerInvariant()).OrderBy(r => r.Pattern).ThenBy(r => r.Method).ToList();
    }

    private static bool IsFramework(string pattern) =>
        pattern.StartsWith("/_framework", StringComparison.Ordinal) || pattern.StartsWith("/_blazor", StringComparison.Ordinal) ||
        pattern.StartsWith("/_content", StringComparison.Ordinal) ||
        pattern.Contains(":file}", StringComparison.Ordinal); // the static-file fallback: files, never pages

    private static bool IsStaticAsset(Endpoint e) =>
        e.Metadata.Any(m => m.GetType().FullName?.Contains("StaticAsset", StringComparison.Ordinal) == true) ||
        e.DisplayName?.Contains("StaticAsset", StringComparison.Ordinal) == true;

    [Fact]
    public void Every_page_and_endpoint_has_a_rule_and_declares_its_authorization()
    {
        var routes = DiscoverRoutes();
        var missing = routes.Where(r => !Rules.ContainsKey(r.Key)).Select(r => $"{r.Key}    ({r.Endpoint!.DisplayName})").ToList();
        Assert.True(missing.Count == 0,
            "These routes have no rule in AccessMatrixTests.Rules (add one saying who may open them):\n  " + string.Join("\n  ", missing));

        var undeclared = routes.Where(r => r.Endpoint!.Metadata.GetMetadata<IAllowAnonymous>() is null &&
                                           !r.Endpoint.Metadata.GetOrderedMetadata<IAuthorizeData>().Any())
            .Select(r => r.Key).ToList();
        Assert.True(undeclared.Count == 0,
            "These routes declare no authorization (give each [Authorize(Policy = ...)], RequireAuthorization or AllowAnonymous):\n  " + string.Join("\n  ", undeclared));
    }

    [Fact]
    public void Every_routable_component_in_the_web_assembly_is_among_the_discovered_routes()
    {
        var discovered = DiscoverRoutes().Where(r => r.Method == "GET").Select(r => r.Pattern.ToLowerInvariant()).ToHashSet();
        var pages = typeof(Program).Assembly.GetTypes()
            .Where(t => typeof(IComponent).IsAssignableFrom(t))
            .SelectMany(t => t.GetCustomAttributes<RouteAttribute>().Select(a => (Type: t, Template: "/" + a.Template.Trim('/'))))
            .ToList();
        Assert.NotEmpty(pages);
        var notMapped = pages.Where(p => !discovered.Contains(p.Template.ToLowerInvariant())).Select(p => $"{p.Template} ({p.Type.Name})").ToList();
        Assert.True(notMapped.Count == 0, "Pages the endpoint discovery did not see:\n  " + string.Join("\n  ", notMapped));
    }

    [Fact]
    public async Task Each_route_answers_each_identity_as_the_rule_table_says()
    {
        // Sign-out last: it ends the session the other requests use.
        var routes = DiscoverRoutes().Where(r => Rules.ContainsKey(r.Key)).OrderBy(r => r.Key.Equals("POST /account/logout", StringComparison.OrdinalIgnoreCase)).ToList();
        var clients = new Dictionary<string, HttpClient> { ["anonymous"] = app.CookieClient(), ["api-key"] = app.CookieClient() };
        clients["api-key"].DefaultRequestHeaders.Add("x-api-key", AppFactory.ApiKey);
        foreach (var role in Roles.All)
        {
            var (_, email) = await TestUsers.CreateAsync(app.Database.ConnectionString, role);
            var client = await app.SignedInAsync(email);
            clients[role] = client;
        }

        var wrong = new StringBuilder();
        var checkedCount = 0;
        foreach (var route in routes)
        {
            var access = Rules[route.Key];
            foreach (var identity in Identities)
            {
                var response = await clients[identity].SendAsync(Request(route));
                checkedCount++;
                var status = (int)response.StatusCode;
                if (status >= 500)
                {
                    wrong.AppendLine($"{route.Key} as {identity}: {status} (a server error, whatever the rule)");
                    continue;
                }
                var denied = IsDenied(response);
                var expectAllowed = Allows(access, identity);
                if (denied == expectAllowed)
                    wrong.AppendLine($"{route.Key} as {identity}: expected {(expectAllowed ? "allowed" : "denied")} ({access}), got {status} {response.Headers.Location}");
            }
        }
        Assert.True(wrong.Length == 0, $"Access differs from the rule table ({checkedCount} requests):\n{wrong}");
        Assert.True(routes.Count >= 20, $"only {routes.Count} routes were checked");
    }

    /// <summary>Denied: 401/403, or the cookie handler's redirect to sign in / to the not-allowed page (both carry the
    /// ReturnUrl; sign-out's own redirect to the form does not).</summary>
    private static bool IsDenied(HttpResponseMessage r) =>
        r.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden ||
        (r.StatusCode == HttpStatusCode.Redirect && r.Headers.Location is { } to &&
         (to.OriginalString.Contains("/account/login?ReturnUrl=", StringComparison.OrdinalIgnoreCase) ||
          to.OriginalString.Contains("/account/denied", StringComparison.OrdinalIgnoreCase)));

    private static HttpRequestMessage Request(Route route)
    {
        var url = Parameter().Replace(route.Pattern, m =>
        {
            var spec = m.Groups[1].Value.ToLowerInvariant();
            if (spec.Contains(":guid")) return Guid.NewGuid().ToString();
            if (spec.Contains(":int") || spec.Contains(":long")) return "1";
            if (spec.StartsWith("documentname")) return "v1";
            return "recMATRIX0001";
        });
        var request = new HttpRequestMessage(new HttpMethod(route.Method), url);
        if (route.Method is "POST" or "PUT" or "PATCH")
            request.Content = new StringContent("{}", Encoding.UTF8, "application/json");
        return request;
    }

    [GeneratedRegex(@"\{\**([^}]+)\}")]
    private static partial Regex Parameter();
}
