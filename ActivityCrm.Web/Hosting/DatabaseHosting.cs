using ActivityCrm.Data;
using ActivityCrm.Data.Activities;
using ActivityCrm.Data.Postgres;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace ActivityCrm.Web.Hosting;

public static class DatabaseHosting
{
    public const string ConnectionStringName = "ActivityCrm";

    /// <summary>
    /// With ConnectionStrings:ActivityCrm set, uses that server. Without it, starts the app's own private
    /// PostgreSQL cluster (Database:DataDirectory, default ./.data) so `dotnet run` needs nothing else.
    /// </summary>
    public static async Task AddActivityCrmDatabaseAsync(this WebApplicationBuilder builder)
    {
        if (!string.IsNullOrWhiteSpace(builder.Configuration.GetConnectionString(ConnectionStringName))) return;

        var dataDir = builder.Configuration["Database:DataDirectory"] is { Length: > 0 } configured
            ? Path.GetFullPath(configured, builder.Environment.ContentRootPath)
            : Path.Combine(builder.Environment.ContentRootPath, ".data");
        Console.WriteLine($"No ConnectionStrings:{ConnectionStringName} configured: starting the embedded PostgreSQL in {dataDir} ...");
        var pg = await EmbeddedPostgres.StartAsync(dataDir);
        await pg.EnsureDatabaseAsync("activitycrm");
        builder.Configuration[$"ConnectionStrings:{ConnectionStringName}"] = pg.ConnectionString("activitycrm");
        builder.Services.AddSingleton(new EmbeddedDatabase(pg));
        builder.Services.AddHostedService<EmbeddedDatabaseShutdown>();
    }

    public static void AddActivityCrmData(this WebApplicationBuilder builder)
    {
        var cs = builder.Configuration.GetConnectionString(ConnectionStringName)!;
        var dsb = new NpgsqlDataSourceBuilder(cs);
        dsb.ConnectionStringBuilder.ApplicationName ??= "ActivityCrm";
        var dataSource = dsb.Build();
        builder.Services.AddSingleton(dataSource);
        builder.Services.AddDbContextFactory<ActivityCrmDbContext>(o => o.UseNpgsql(dataSource));
        // Identity's stores want a scoped context; pages and services use the factory (one context per operation).
        builder.Services.AddScoped(sp => sp.GetRequiredService<IDbContextFactory<ActivityCrmDbContext>>().CreateDbContext());
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<ActivityWriter>();
        builder.Services.AddSingleton<ActivityTypeCache>();
    }

    /// <summary>Applies migrations, then bootstraps the first admin and API key, then (when asked) demo data.</summary>
    public static async Task PrepareDatabaseAsync(this WebApplication app)
    {
        // EF logs its probe of a not-yet-existing __EFMigrationsHistory as an error on every fresh database
        // (npgsql/efcore.pg#3407); the migration context logs nothing, and a real failure still throws.
        var options = new DbContextOptionsBuilder<ActivityCrmDbContext>()
            .UseNpgsql(app.Services.GetRequiredService<NpgsqlDataSource>())
            .UseLoggerFactory(Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance).Options;
        await using (var db = new ActivityCrmDbContext(options))
            await db.Database.MigrateAsync();
        // Extensions created by the migration are only visible to connections opened after it.
        NpgsqlConnection.ClearAllPools();

        await app.PreparePartitionsAsync();
        await app.Services.GetRequiredService<ActivityTypeCache>().ReloadAsync(force: true);
        await app.Services.EnsureSharedKeyRingAsync();
        await Bootstrap.RunAsync(app);
    }
}

/// <summary>The app-owned cluster, present only when no connection string was configured.</summary>
public sealed record EmbeddedDatabase(EmbeddedPostgres Server);

internal sealed class EmbeddedDatabaseShutdown(EmbeddedDatabase db, ILogger<EmbeddedDatabaseShutdown> log) : IHostedService
{
    public Task StartAsync(CancellationToken ct) => Task.CompletedTask;

    public async Task StopAsync(CancellationToken ct)
    {
        log.LogInformation("Stopping the embedded PostgreSQL");
        await db.Server.StopAsync();
    }
}
