using ActivityCrm.Data.Entities;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Identity.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;

namespace ActivityCrm.Data;

public class ActivityCrmDbContext(DbContextOptions<ActivityCrmDbContext> options)
    : IdentityDbContext<AppUser, IdentityRole<Guid>, Guid>(options)
{
    public DbSet<ActivityLog> Activities => Set<ActivityLog>();
    public DbSet<ActivityIdempotencyKey> ActivityIdempotencyKeys => Set<ActivityIdempotencyKey>();
    public DbSet<Lead> Leads => Set<Lead>();
    public DbSet<Client> Clients => Set<Client>();
    public DbSet<Campaign> Campaigns => Set<Campaign>();
    public DbSet<LeadCampaign> LeadCampaigns => Set<LeadCampaign>();
    public DbSet<LeadNote> LeadNotes => Set<LeadNote>();
    public DbSet<ActivityType> ActivityTypes => Set<ActivityType>();
    public DbSet<ApiKey> ApiKeys => Set<ApiKey>();
    public DbSet<IngestionFailure> IngestionFailures => Set<IngestionFailure>();
    public DbSet<DataProtectionKey> DataProtectionKeys => Set<DataProtectionKey>();
    public DbSet<AlertIncident> AlertIncidents => Set<AlertIncident>();

    protected override void OnModelCreating(ModelBuilder builder)
    {
        base.OnModelCreating(builder);
        builder.HasPostgresExtension("pg_trgm");
        builder.HasPostgresExtension("btree_gin");

        builder.Entity<AppUser>(b =>
        {
            b.ToTable("users");
            b.Property(x => x.DisplayName).HasMaxLength(200);
            b.Property(x => x.CreatedAt).HasDefaultValueSql("now()");
        });
        builder.Entity<IdentityRole<Guid>>().ToTable("roles");
        builder.Entity<IdentityUserRole<Guid>>().ToTable("user_roles");
        builder.Entity<IdentityUserClaim<Guid>>().ToTable("user_claims");
        builder.Entity<IdentityUserLogin<Guid>>().ToTable("user_logins");
        builder.Entity<IdentityUserToken<Guid>>().ToTable("user_tokens");
        builder.Entity<IdentityRoleClaim<Guid>>().ToTable("role_claims");

        builder.ApplyConfigurationsFromAssembly(typeof(ActivityCrmDbContext).Assembly);
        SnakeCase.Apply(builder);
    }
}
