using ActivityCrm.Data.Entities;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;

namespace ActivityCrm.Web.Features.Account;

/// <summary>Sign-in and sign-out are plain form posts (full page loads), so a circuit never outlives its user.</summary>
public static class AccountEndpoints
{
    public static void MapAccountEndpoints(this WebApplication app)
    {
        var group = app.MapGroup("/account").ExcludeFromDescription();
        group.MapPost("/login", LoginAsync).AllowAnonymous();
        // Signing out without a session is harmless (an expired cookie still gets the user to the form).
        group.MapPost("/logout", LogoutAsync).AllowAnonymous().WithMetadata(new RequireAntiforgeryTokenAttribute());
    }

    private static async Task<IResult> LoginAsync([FromForm] string email, [FromForm] string password, [FromForm] string? returnUrl,
        SignInManager<AppUser> signIn, UserManager<AppUser> users)
    {
        var target = IsLocal(returnUrl) ? returnUrl! : "/";
        var user = await users.FindByEmailAsync(email);
        if (user is null) return Back("failed");
        var result = await signIn.PasswordSignInAsync(user, password, isPersistent: true, lockoutOnFailure: true);
        if (result.Succeeded) return Results.LocalRedirect(target);
        if (result.IsLockedOut) return Back("locked");
        if (result.IsNotAllowed)
        {
            // Disabled (see AppSignInManager). Say so only to someone who knows the password, and count a wrong one.
            if (await users.CheckPasswordAsync(user, password)) return Back("disabled");
            await users.AccessFailedAsync(user);
        }
        return Back("failed");

        IResult Back(string error) =>
            Results.Redirect($"/account/login?error={error}&email={Uri.EscapeDataString(email)}&returnUrl={Uri.EscapeDataString(target)}");
    }

    private static async Task<IResult> LogoutAsync(HttpContext http, SignInManager<AppUser> signIn)
    {
        // The form carries an antiforgery token; without one (another site's form) nobody is signed out.
        if (http.Features.Get<IAntiforgeryValidationFeature>() is { IsValid: false })
            return TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Sign out from the app's own button");
        await signIn.SignOutAsync();
        return Results.LocalRedirect("/account/login");
    }

    private static bool IsLocal(string? url) =>
        !string.IsNullOrEmpty(url) && url.StartsWith('/') && !url.StartsWith("//") && !url.StartsWith("/\\");
}
