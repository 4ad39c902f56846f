using System.Security.Claims;
using ActivityCrm.Data;
using ActivityCrm.Data.ApiKeys;
using ActivityCrm.Data.Entities;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Identity;

namespace ActivityCrm.Web.Hosting;

/// <summary>
/// Who may do what (see docs/decisions/0007-roles.md). "Analyst and above" means Analyst plus the admin
/// roles: program managers work leads, they do not export the history.
/// </summary>
public static class Policies
{
    public const string Staff = nameof(Staff), Admin = nameof(Admin), ProgramManager = nameof(ProgramManager),
        Analyst = nameof(Analyst), SuperAdmin = nameof(SuperAdmin);
}

public static class IdentityHosting
{
    /// <summary>How often an open page (a Blazor circuit) re-checks its user; HTTP requests check every time.</summary>
    public static readonly TimeSpan CircuitRevalidationInterval = TimeSpan.FromSeconds(10);

    public static void AddActivityCrmIdentity(this WebApplicationBuilder builder)
    {
        builder.Services.AddIdentityCore<AppUser>(o =>
            {
                o.Password.RequiredLength = 10;
                o.Password.RequireNonAlphanumeric = false;
                o.Lockout.MaxFailedAccessAttempts = 5;
                o.Lockout.DefaultLockoutTimeSpan = TimeSpan.FromMinutes(15);
                o.User.RequireUniqueEmail = true;
            })
            .AddRoles<IdentityRole<Guid>>()
            .AddEntityFrameworkStores<ActivityCrmDbContext>()
            .AddSignInManager<AppSignInManager>()
            .AddDefaultTokenProviders();

        // Cookies are Secure outside Development/Testing; Security:SecureCookies=false is for a plain-HTTP trial only.
        var env = builder.Environment;
        var secure = builder.Configuration.GetValue<bool?>("Security:SecureCookies") ?? !(env.IsDevelopment() || env.IsEnvironment("Testing"));
        var securePolicy = secure ? CookieSecurePolicy.Always : CookieSecurePolicy.SameAsRequest;

        builder.Services.AddAuthentication(IdentityConstants.ApplicationScheme).AddIdentityCookies();
        builder.Services.ConfigureApplicationCookie(o =>
        {
            o.LoginPath = "/account/login";
            o.AccessDeniedPath = "/account/denied";
            o.Cookie.Name = "activitycrm.auth";
            o.Cookie.HttpOnly = true;
            o.Cookie.SameSite = SameSiteMode.Lax;
            o.Cookie.SecurePolicy = securePolicy;
            o.SlidingExpiration = true;
            // APIs answer 401/403 problems; only pages redirect to the sign-in form.
            o.Events.OnRedirectToLogin = ctx => IsApi(ctx.Request)
                ? Problem(ctx.HttpContext, 401, "Sign in first", "This API takes the session cookie of a signed-in user.")
                : Redirect(ctx);
            o.Events.OnRedirectToAccessDenied = ctx => IsApi(ctx.Request)
                ? Problem(ctx.HttpContext, 403, "Not allowed", "Your role does not give access to this API.")
                : Redirect(ctx);
            o.Events.OnValidatePrincipal = SessionValidation.ValidateAsync;
        });
        builder.Services.AddAntiforgery(o => o.Cookie.SecurePolicy = securePolicy);

        builder.Services.AddAuthorizationBuilder()
            .AddPolicy(Policies.Staff, p => p.RequireRole(Roles.All))
            .AddPolicy(Policies.SuperAdmin, p => p.RequireRole(Roles.SuperAdmin))
            .AddPolicy(Policies.Admin, p => p.RequireRole(Roles.SuperAdmin, Roles.Admin))
            .AddPolicy(Policies.ProgramManager, p => p.RequireRole(Roles.SuperAdmin, Roles.Admin, Roles.ProgramManager))
            .AddPolicy(Policies.Analyst, p => p.RequireRole(Roles.SuperAdmin, Roles.Admin, Roles.Analyst));
        builder.Services.AddCascadingAuthenticationState();
        builder.Services.AddScoped<AuthenticationStateProvider, CircuitRevalidation>();
        builder.Services.AddSingleton<UserSessionCheck>();
        builder.Services.AddSingleton<ApiKeyStore>();
    }

    private static bool IsApi(HttpRequest r) => r.Path.StartsWithSegments("/api");

    // A problem body, so callers get JSON (and the status-code pages never swap in the HTML not-found page).
    private static Task Problem(HttpContext http, int status, string title, string detail) =>
        TypedResults.Problem(statusCode: status, title: title, detail: detail).ExecuteAsync(http);

    private static Task Redirect(RedirectContext<CookieAuthenticationOptions> ctx)
    {
        ctx.Response.Redirect(ctx.RedirectUri);
        return Task.CompletedTask;
    }
}

public static class UserClaims
{
    /// <summary>The signed-in user's id (Identity puts it in the NameIdentifier claim), or null.</summary>
    public static Guid? UserId(this ClaimsPrincipal principal) =>
        Guid.TryParse(principal.FindFirstValue(ClaimTypes.NameIdentifier), out var id) ? id : null;
}

/// <summary>A disabled user cannot sign in, whatever the password.</summary>
public sealed class AppSignInManager(
    UserManager<AppUser> users, IHttpContextAccessor http, IUserClaimsPrincipalFactory<AppUser> claims,
    Microsoft.Extensions.Options.IOptions<IdentityOptions> options, ILogger<SignInManager<AppUser>> log,
    IAuthenticationSchemeProvider schemes, IUserConfirmation<AppUser> confirmation)
    : SignInManager<AppUser>(users, http, claims, options, log, schemes, confirmation)
{
    public override async Task<bool> CanSignInAsync(AppUser user) => !user.IsDisabled && await base.CanSignInAsync(user);
}
