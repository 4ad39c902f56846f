using System.Net.Mail;
using ActivityCrm.Data;
using ActivityCrm.Data.Entities;
using ActivityCrm.Web.Features.Account;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;

namespace ActivityCrm.Web.Features.Users;

public sealed record UserListItem(Guid Id, string Email, string DisplayName, IReadOnlyList<string> Roles, bool IsDisabled,
    DateTimeOffset? LockoutEnd, DateTimeOffset CreatedAt)
{
    public bool IsLockedOut(DateTimeOffset now) => LockoutEnd > now;
}

/// <summary>The outcome of a change on the users page: done (with a generated password to show once), or why not.</summary>
public sealed record UserChange(bool Ok, string? Error = null, string? Password = null)
{
    public static readonly UserChange Done = new(true);
    public static UserChange Refused(string error) => new(false, error);
}

/// <summary>
/// What the users page does, through ASP.NET Core Identity (hashing, stamps, lockout). A SuperAdmin-only
/// service; each operation gets a scope of its own, so a page never holds a DbContext for its lifetime.
/// A SuperAdmin cannot take their own SuperAdmin role or disable themselves (someone must be left to undo it).
/// </summary>
public sealed class UserAdministration(IServiceScopeFactory scopes, IDbContextFactory<ActivityCrmDbContext> contexts, ILogger<UserAdministration> log)
{
    public async Task<IReadOnlyList<UserListItem>> ListAsync(CancellationToken ct = default)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        var roles = await (from ur in db.UserRoles join r in db.Roles on ur.RoleId equals r.Id select new { ur.UserId, r.Name })
            .ToListAsync(ct);
        var byUser = roles.ToLookup(x => x.UserId, x => x.Name!);
        var users = await db.Users.OrderBy(u => u.Email)
            .Select(u => new { u.Id, u.Email, u.DisplayName, u.IsDisabled, u.LockoutEnd, u.CreatedAt }).ToListAsync(ct);
        return users.Select(u => new UserListItem(u.Id, u.Email ?? "", u.DisplayName, Order(byUser[u.Id]), u.IsDisabled, u.LockoutEnd, u.CreatedAt))
            .ToList();
    }

    /// <summary>Creates a user; without a password one is generated and returned (to show once).</summary>
    public async Task<UserChange> CreateAsync(string? email, string? displayName, IReadOnlyCollection<string> roles, string? password)
    {
        email = email?.Trim();
        if (string.IsNullOrEmpty(email) || !MailAddress.TryCreate(email, out var address) || address.Address != email)
            return UserChange.Refused("Enter a valid email address.");
        if (RoleProblem(roles) is { } problem) return UserChange.Refused(problem);

        await using var scope = scopes.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<AppUser>>();
        var generated = string.IsNullOrEmpty(password);
        if (generated) password = PasswordRules.Generate(users.Options.Password);
        var user = new AppUser
        {
            UserName = email, Email = email, EmailConfirmed = true,
            DisplayName = string.IsNullOrWhiteSpace(displayName) ? email.Split('@')[0] : displayName.Trim(),
        };
        var created = await users.CreateAsync(user, password!);
        if (!created.Succeeded) return UserChange.Refused(Describe(created));
        var added = await users.AddToRolesAsync(user, roles);
        if (!added.Succeeded) return UserChange.Refused(Describe(added));
        log.LogInformation("User {UserId} created with roles {Roles}", user.Id, string.Join(",", roles));
        return new(true, Password: generated ? password : null);
    }

    public async Task<UserChange> SetRolesAsync(Guid actorId, Guid userId, IReadOnlyCollection<string> roles)
    {
        if (RoleProblem(roles) is { } problem) return UserChange.Refused(problem);
        if (actorId == userId && !roles.Contains(Roles.SuperAdmin))
            return UserChange.Refused("You cannot remove your own SuperAdmin role. Ask another super admin.");
        await using var scope = scopes.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<AppUser>>();
        if (await users.FindByIdAsync(userId.ToString()) is not { } user) return UserChange.Refused("That user no longer exists.");
        var current = await users.GetRolesAsync(user);
        var removed = await users.RemoveFromRolesAsync(user, current.Except(roles).ToList());
        if (!removed.Succeeded) return UserChange.Refused(Describe(removed));
        var added = await users.AddToRolesAsync(user, roles.Except(current).ToList());
        if (!added.Succeeded) return UserChange.Refused(Describe(added));
        // Open sessions pick the new roles up on their next request (see SessionValidation).
        log.LogInformation("Roles of user {UserId} set to {Roles} by {ActorId}", userId, string.Join(",", roles), actorId);
        return UserChange.Done;
    }

    public async Task<UserChange> SetDisabledAsync(Guid actorId, Guid userId, bool disabled)
    {
        if (actorId == userId && disabled) return UserChange.Refused("You cannot disable yourself.");
        await using var scope = scopes.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<AppUser>>();
        if (await users.FindByIdAsync(userId.ToString()) is not { } user) return UserChange.Refused("That user no longer exists.");
        user.IsDisabled = disabled;
        var updated = await users.UpdateAsync(user);
        if (!updated.Succeeded) return UserChange.Refused(Describe(updated));
        // A new stamp ends every open session of the user on its next request or circuit check.
        if (disabled) await users.UpdateSecurityStampAsync(user);
        log.LogInformation("User {UserId} {State} by {ActorId}", userId, disabled ? "disabled" : "enabled", actorId);
        return UserChange.Done;
    }

    /// <summary>Sets a generated password (returned, to show once), ends the user's sessions and lifts a lockout.</summary>
    public async Task<UserChange> ResetPasswordAsync(Guid actorId, Guid userId)
    {
        if (actorId == userId) return UserChange.Refused("Use “Change password” in the account menu for your own password.");
        await using var scope = scopes.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<AppUser>>();
        if (await users.FindByIdAsync(userId.ToString()) is not { } user) return UserChange.Refused("That user no longer exists.");
        var password = PasswordRules.Generate(users.Options.Password);
        var token = await users.GeneratePasswordResetTokenAsync(user);
        var reset = await users.ResetPasswordAsync(user, token, password); // also renews the security stamp
        if (!reset.Succeeded) return UserChange.Refused(Describe(reset));
        await users.SetLockoutEndDateAsync(user, null);
        await users.ResetAccessFailedCountAsync(user);
        log.LogInformation("Password of user {UserId} reset by {ActorId}", userId, actorId);
        return new(true, Password: password);
    }

    public async Task<UserChange> UnlockAsync(Guid userId)
    {
        await using var scope = scopes.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<AppUser>>();
        if (await users.FindByIdAsync(userId.ToString()) is not { } user) return UserChange.Refused("That user no longer exists.");
        await users.SetLockoutEndDateAsync(user, null);
        await users.ResetAccessFailedCountAsync(user);
        return UserChange.Done;
    }

    /// <summary>Roles in the order of <see cref="Roles.All"/> (most powerful first).</summary>
    public static IReadOnlyList<string> Order(IEnumerable<string> roles) =>
        roles.OrderBy(r => Roles.All.ToList().IndexOf(r) is var i && i < 0 ? int.MaxValue : i).ThenBy(r => r).ToList();

    private static string? RoleProblem(IReadOnlyCollection<string> roles) =>
        roles.Count == 0 ? "Give the user at least one role."
        : roles.FirstOrDefault(r => !Roles.All.Contains(r)) is { } unknown ? $"Unknown role '{unknown}'."
        : null;

    private static string Describe(IdentityResult result) => string.Join(" ", result.Errors.Select(e => e.Description));
}
