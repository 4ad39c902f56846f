using ActivityCrm.Data;
using ActivityCrm.Data.Entities;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace ActivityCrm.Tests.Infrastructure;

/// <summary>Creates users with roles straight through ASP.NET Core Identity on a test database.</summary>
public static class TestUsers
{
    public const string Password = "Test-Password-123";

    public static async Task<(Guid Id, string Email)> CreateAsync(string connectionString, string role, string? email = null, string? displayName = null)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddDbContext<ActivityCrmDbContext>(o => o.UseNpgsql(connectionString));
        services.AddIdentityCore<AppUser>(o => { o.Password.RequireNonAlphanumeric = false; o.Password.RequiredLength = 10; })
            .AddRoles<IdentityRole<Guid>>().AddEntityFrameworkStores<ActivityCrmDbContext>();
        await using var sp = services.BuildServiceProvider();
        await using var scope = sp.CreateAsyncScope();
        var roles = scope.ServiceProvider.GetRequiredService<RoleManager<IdentityRole<Guid>>>();
        if (!await roles.RoleExistsAsync(role)) await roles.CreateAsync(new IdentityRole<Guid>(role));
        var users = scope.ServiceProvider.GetRequiredService<UserManager<AppUser>>();
        email ??= $"{role.ToLowerInvariant()}-{Guid.NewGuid():N}"[..20] + "@tests.local";
        var user = new AppUser { UserName = email, Email = email, EmailConfirmed = true, DisplayName = displayName ?? $"{role} Tester" };
        var result = await users.CreateAsync(user, Password);
        if (!result.Succeeded) throw new InvalidOperationException(string.Join("; ", result.Errors.Select(e => e.Description)));
        await users.AddToRoleAsync(user, role);
        return (user.Id, email);
    }
}
