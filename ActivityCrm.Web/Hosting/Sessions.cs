using System.Security.Claims;
using ActivityCrm.Data.Entities;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Components.Server;
using ActivityCrm.Web.Features.Ingestion;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;
using Npgsql;

namespace ActivityCrm.Web.Hosting;

public enum SessionState { Valid, Ended, RolesChanged }

/// <summary>
/// Is a signed-in session still good? One primary-key lookup: the user exists, is not disabled, and has
/// the security stamp the cookie was issued with (a password change or reset, or disabling, renews it);
/// and whether the roles in the cookie are still the user's roles.
/// </summary>
public sealed class UserSessionCheck(NpgsqlDataSource dataSource, IOptions<IdentityOptions> options)
{
    public async Task<SessionState> CheckAsync(ClaimsPrincipal principal, CancellationToken ct = default)
    {
        if (principal.UserId() is not { } id) return SessionState.Ended;
        await using var cmd = dataSource.CreateCommand("""
            SELECT u.security_stamp, u.is_disabled,
                   coalesce(array_agg(r.name ORDER BY r.name) FILTER (WHERE r.name IS NOT NULL), '{}')
            FROM users u
            LEFT JOIN user_roles ur ON ur.user_id = u.id
            LEFT JOIN roles r ON r.id = ur.role_id
            WHERE u.id = @id
            GROUP BY u.id
            """);
        cmd.Parameters.AddWithValue("id", id);
        await using var r = await cmd.ExecuteReaderAsync(ct);
        if (!await r.ReadAsync(ct)) return SessionState.Ended;
        var stamp = r.IsDBNull(0) ? null : r.GetString(0);
        if (r.GetBoolean(1) || stamp != principal.FindFirstValue(options.Value.ClaimsIdentity.SecurityStampClaimType))
            return SessionState.Ended;
        var roles = r.GetFieldValue<string[]>(2);
        var claimed = principal.FindAll(options.Value.ClaimsIdentity.RoleClaimType).Select(c => c.Value).Order(StringComparer.Ordinal);
        return roles.SequenceEqual(claimed) ? SessionState.Valid : SessionState.RolesChanged;
    }
}

/// <summary>
/// Every cookie-authenticated request checks its session (instead of Identity's 30-minute stamp interval):
/// a disabled user or a reset password ends the session on the next request; changed roles are re-read.
/// </summary>
internal static class SessionValidation
{
    public static async Task ValidateAsync(CookieValidatePrincipalContext ctx)
    {
        if (ctx.Principal is not { } principal) return;
        var services = ctx.HttpContext.RequestServices;
        SessionState state;
        try
        {
            state = await services.GetRequiredService<UserSessionCheck>().CheckAsync(principal, ctx.HttpContext.RequestAborted);
        }
        catch (Exception e) when (DatabaseErrors.IsUnavailable(e))
        {
            // The cookie itself is genuine; while the database is away nobody can change a user either. Keep the
            // session, so an outage answers 503 where data is needed instead of signing everyone out.
            return;
        }
        if (state == SessionState.Valid) return;

        var signIn = services.GetRequiredService<SignInManager<AppUser>>();
        if (state == SessionState.RolesChanged && await signIn.UserManager.GetUserAsync(principal) is { } user)
        {
            ctx.ReplacePrincipal(await signIn.CreateUserPrincipalAsync(user));
            ctx.ShouldRenew = true;
            return;
        }
        ctx.RejectPrincipal();
        await ctx.HttpContext.SignOutAsync(IdentityConstants.ApplicationScheme);
    }
}

/// <summary>
/// An open page keeps its circuit for hours without a new HTTP request, so the circuit re-checks its user
/// every few seconds. When the check fails the page becomes anonymous and the router sends the browser to
/// the sign-in page with a full load, where the cookie is checked again (changed roles come back refreshed).
/// </summary>
internal sealed class CircuitRevalidation(ILoggerFactory loggers, UserSessionCheck check)
    : RevalidatingServerAuthenticationStateProvider(loggers)
{
    protected override TimeSpan RevalidationInterval => IdentityHosting.CircuitRevalidationInterval;

    protected override async Task<bool> ValidateAuthenticationStateAsync(AuthenticationState state, CancellationToken ct)
    {
        if (state.User.Identity?.IsAuthenticated != true) return true;
        try
        {
            return await check.CheckAsync(state.User, ct) == SessionState.Valid;
        }
        catch (Exception e) when (DatabaseErrors.IsUnavailable(e))
        {
            return true; // as for requests: an outage is not a reason to sign anyone out
        }
    }
}
