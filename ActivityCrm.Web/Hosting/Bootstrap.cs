using ActivityCrm.Data;
using ActivityCrm.Data.ApiKeys;
using ActivityCrm.Data.Demo;
using ActivityCrm.Data.Entities;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace ActivityCrm.Web.Hosting;

/// <summary>
/// First run: roles, the first admin (Bootstrap:AdminEmail/AdminPassword or generated), the first API
/// key (Bootstrap:ApiKey or generated) and, on the embedded database or with --seed-demo, demo data.
/// Generated secrets are printed once (and, on the embedded database, kept in .data/first-run.txt).
/// </summary>
public static class Bootstrap
{
    public static async Task RunAsync(WebApplication app)
    {
        var config = app.Configuration;
        var log = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Bootstrap");
        var embedded = app.Services.GetService<EmbeddedDatabase>();
        var notes = new List<string>();

        await using var scope = app.Services.CreateAsyncScope();
        var roles = scope.ServiceProvider.GetRequiredService<RoleManager<IdentityRole<Guid>>>();
        foreach (var role in Roles.All)
            if (!await roles.RoleExistsAsync(role))
                await roles.CreateAsync(new IdentityRole<Guid>(role));

        var users = scope.ServiceProvider.GetRequiredService<UserManager<AppUser>>();
        string? adminEmail = null, adminPassword = null;
        var configuredEmail = config["Bootstrap:AdminEmail"];
        // A deployment that names its admin gets it, also on a database that already has (e.g. demo) users.
        var needsAdmin = (await users.GetUsersInRoleAsync(Roles.SuperAdmin)).Count == 0
                         || (configuredEmail is { Length: > 0 } && await users.FindByEmailAsync(configuredEmail) is null);
        if (needsAdmin)
        {
            adminEmail = configuredEmail is { Length: > 0 } e ? e : "admin@activitycrm.local";
            var configuredPassword = config["Bootstrap:AdminPassword"];
            adminPassword = configuredPassword is { Length: > 0 } p ? p : Features.Account.PasswordRules.Generate(users.Options.Password);
            var admin = new AppUser { UserName = adminEmail, Email = adminEmail, EmailConfirmed = true, DisplayName = "Administrator" };
            var created = await users.CreateAsync(admin, adminPassword);
            if (!created.Succeeded)
                throw new InvalidOperationException("Could not create the first admin: " + string.Join("; ", created.Errors.Select(x => x.Description)));
            await users.AddToRoleAsync(admin, Roles.SuperAdmin);
            notes.Add($"Admin sign-in:  {adminEmail} / {(configuredPassword is { Length: > 0 } ? "(the configured Bootstrap:AdminPassword)" : adminPassword)}");
            if (configuredPassword is not { Length: > 0 }) log.LogWarning("Created the first admin {Email} with a generated password (printed once on the console)", adminEmail);
        }

        var dataSource = app.Services.GetRequiredService<NpgsqlDataSource>();
        var keys = app.Services.GetRequiredService<ApiKeyStore>();
        string? apiKey = null;
        var configuredKey = config["Bootstrap:ApiKey"];
        await using (var count = dataSource.CreateCommand("SELECT count(*) FROM api_keys"))
        {
            if ((long)(await count.ExecuteScalarAsync())! == 0)
            {
                (_, apiKey) = await keys.CreateAsync("Bootstrap key", null, null, null, configuredKey is { Length: > 0 } ? configuredKey : null);
                notes.Add($"API key:        {(configuredKey is { Length: > 0 } ? "(the configured Bootstrap:ApiKey)" : apiKey)}");
            }
            else if (configuredKey is { Length: > 0 } && await keys.AuthenticateAsync(configuredKey) is null)
            {
                // A key set in configuration is expected to work, also on an existing database.
                await keys.CreateAsync("Bootstrap key (configuration)", null, null, null, configuredKey);
            }
        }

        var seedAsked = Environment.GetCommandLineArgs().Contains("--seed-demo") || config.GetValue<bool>("Seed:Demo");
        var seedByDefault = embedded is not null && config.GetValue("Seed:DemoOnEmbedded", true);
        if (seedAsked || seedByDefault)
        {
            await using var db = await app.Services.GetRequiredService<IDbContextFactory<ActivityCrmDbContext>>().CreateDbContextAsync();
            if (!await db.Leads.AnyAsync())
            {
                log.LogInformation("Seeding demo data ...");
                var stats = await DemoData.SeedAsync(dataSource, new DemoDataOptions(), TimeProvider.System);
                notes.Add($"Demo data:      {stats.Leads:N0} leads, {stats.Events:N0} events over the last {stats.Days} days");
            }
        }

        // A configured key is a secret someone chose to keep out of the log: the example only names it.
        var keyForCurl = configuredKey is { Length: > 0 } ? "<the configured Bootstrap:ApiKey>" : apiKey ?? "<your API key>";
        if (embedded is not null && notes.Count > 0)
        {
            var file = Path.Combine(embedded.Server.DataDirectory, "first-run.txt");
            await File.WriteAllLinesAsync(file, notes);
            if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            notes.Add($"(kept in {file})");
        }
        else if (embedded is not null)
        {
            notes.Add($"First-run credentials are in {Path.Combine(embedded.Server.DataDirectory, "first-run.txt")}");
        }

        app.Lifetime.ApplicationStarted.Register(() =>
        {
            var url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault() ?? "http://localhost:5000";
            url = url.Replace("://[::]", "://localhost").Replace("://0.0.0.0", "://localhost").Replace("://+", "://localhost");
            var lines = new List<string> { "", "ActivityCrm is running.", $"Open:           {url}" };
            lines.AddRange(notes);
            lines.Add("Try it:");
            lines.Add($"  curl -s -X POST {url}/api/internal/log-activity -H 'x-api-key: {keyForCurl}' -H 'content-type: application/json' \\");
            lines.Add("    -d '{\"eventType\":\"MESSAGE_SENT\",\"eventCategory\":\"SMS\",\"leadAirtableId\":\"recDEMO00001\",\"description\":\"SMS sent: hello\",\"source\":\"n8n:demo\",\"executionId\":\"1\"}'");
            lines.Add("");
            Console.WriteLine(string.Join(Environment.NewLine, lines));
        });
    }
}
