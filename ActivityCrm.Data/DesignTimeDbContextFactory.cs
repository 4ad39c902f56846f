using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace ActivityCrm.Data;

/// <summary>Used by `dotnet ef` only; migrations are generated without a running database.</summary>
public sealed class DesignTimeDbContextFactory : IDesignTimeDbContextFactory<ActivityCrmDbContext>
{
    public ActivityCrmDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<ActivityCrmDbContext>()
            .UseNpgsql("Host=localhost;Database=activitycrm_design").Options);
}
