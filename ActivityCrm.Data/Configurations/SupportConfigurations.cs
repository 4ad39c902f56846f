using ActivityCrm.Data.Activities;
using ActivityCrm.Data.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace ActivityCrm.Data.Configurations;

public sealed class ActivityTypeConfiguration : IEntityTypeConfiguration<ActivityType>
{
    public void Configure(EntityTypeBuilder<ActivityType> b)
    {
        b.ToTable("activity_types");
        b.HasKey(x => x.Name);
        b.Property(x => x.Name).HasMaxLength(100);
        b.Property(x => x.Category).HasMaxLength(50).IsRequired();
        b.Property(x => x.Label).HasMaxLength(100).IsRequired();
        b.Property(x => x.Icon).HasMaxLength(60).IsRequired();
        b.Property(x => x.Colour).HasMaxLength(30).IsRequired();
        b.Property(x => x.Description).HasMaxLength(500);
        b.HasData(EventTypeCatalog.BuiltIn);
    }
}

public sealed class ApiKeyConfiguration : IEntityTypeConfiguration<ApiKey>
{
    public void Configure(EntityTypeBuilder<ApiKey> b)
    {
        b.ToTable("api_keys");
        b.Property(x => x.Id).HasDefaultValueSql("gen_random_uuid()");
        b.Property(x => x.Name).HasMaxLength(200).IsRequired();
        b.Property(x => x.KeyId).HasMaxLength(32).IsRequired();
        b.HasIndex(x => x.KeyId).IsUnique();
        b.Property(x => x.SourcePrefix).HasMaxLength(100);
        b.Property(x => x.CreatedAt).HasDefaultValueSql("now()");
        b.HasOne<Client>().WithMany().HasForeignKey(x => x.ClientId).OnDelete(DeleteBehavior.Restrict);
        b.HasOne<AppUser>().WithMany().HasForeignKey(x => x.CreatedBy).OnDelete(DeleteBehavior.SetNull);
    }
}

public sealed class IngestionFailureConfiguration : IEntityTypeConfiguration<IngestionFailure>
{
    public void Configure(EntityTypeBuilder<IngestionFailure> b)
    {
        b.ToTable("ingestion_failures");
        b.Property(x => x.Id).HasDefaultValueSql("gen_random_uuid()");
        b.Property(x => x.ReceivedAt).HasDefaultValueSql("now()");
        b.Property(x => x.Source).HasMaxLength(100);
        b.Property(x => x.EventType).HasMaxLength(100);
        b.Property(x => x.Reason).HasMaxLength(50).IsRequired();
        b.Property(x => x.Errors).HasColumnType("jsonb");
        b.Property(x => x.Status).HasMaxLength(20).IsRequired();
        b.HasOne<ApiKey>().WithMany().HasForeignKey(x => x.ApiKeyId).OnDelete(DeleteBehavior.SetNull);
        b.HasIndex(x => new { x.Status, x.ReceivedAt }).IsDescending(false, true);
        b.HasIndex(x => new { x.Source, x.ReceivedAt }).IsDescending(false, true);
    }
}

public sealed class DataProtectionKeyConfiguration : IEntityTypeConfiguration<DataProtectionKey>
{
    public void Configure(EntityTypeBuilder<DataProtectionKey> b) => b.ToTable("data_protection_keys");
}
