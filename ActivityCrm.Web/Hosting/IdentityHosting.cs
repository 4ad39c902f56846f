using ActivityCrm.Data;
using ActivityCrm.Data.ApiKeys;
using ActivityCrm.Data.Entities;
using Microsoft.AspNetCore.Identity;

namespace ActivityCrm.Web.Hosting;

public static class Policies
{
    public const string Staff = nameof(Staff), Admin = nameof(Admin), ProgramManager = nameof(ProgramManager),
        Analyst = nameof(Analyst), SuperAdmin = nameof(SuperAdmin);
}

public static class IdentityHosting
{
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
            .AddSignInManager()
            .AddDefaultTokenProviders();

        builder.Services.AddAuthentication(IdentityConstants.ApplicationScheme).AddIdentityCookies();
        builder.Services.ConfigureApplicationCookie(o =>
        {
            o.LoginPath = "/account/login";
            o.AccessDeniedPath = "/account/denied";
            o.Cookie.Name = "activitycrm.auth";
            o.Cookie.HttpOnly = true;
            o.Cookie.SameSite = SameSiteMode.Lax;
            o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            o.SlidingExpiration = true;
            // APIs answer 401/403; only pages redirect to the sign-in form.
            o.Events.OnRedirectToLogin = ctx => IsApi(ctx.Request) ? Status(ctx.Response, 401) : Redirect(ctx);
            o.Events.OnRedirectToAccessDenied = ctx => IsApi(ctx.Request) ? Status(ctx.Response, 403) : Redirect(ctx);
        });

        builder.Services.AddAuthorizationBuilder()
            .AddPolicy(Policies.Staff, p => p.RequireRole(Roles.All))
            .AddPolicy(Policies.SuperAdmin, p => p.RequireRole(Roles.SuperAdmin))
            .AddPolicy(Policies.Admin, p => p.RequireRole(Roles.SuperAdmin, Roles.Admin))
            .AddPolicy(Policies.ProgramManager, p => p.RequireRole(Roles.SuperAdmin, Roles.Admin, Roles.ProgramManager))
            .AddPolicy(Policies.Analyst, p => p.RequireRole(Roles.SuperAdmin, Roles.Admin, Roles.Analyst));
        builder.Services.AddCascadingAuthenticationState();
        builder.Services.AddSingleton<ApiKeyStore>();
    }

    private static bool IsApi(HttpRequest r) => r.Path.StartsWithSegments("/api");

    // A problem body, so callers get JSON (and the status-code pages never swap in the HTML not-found page).
    private static Task Status(HttpResponse response, int status) =>
        TypedResults.Problem(statusCode: status, title: status == 401 ? "Sign in first" : "Your role does not allow this",
            detail: status == 401 ? "This API needs a signed-in session (the app's cookie)." : null).ExecuteAsync(response.HttpContext);

    private static Task Redirect(Microsoft.AspNetCore.Authentication.RedirectContext<Microsoft.AspNetCore.Authentication.Cookies.CookieAuthenticationOptions> ctx)
    {
        ctx.Response.Redirect(ctx.RedirectUri);
        return Task.CompletedTask;
    }
}
