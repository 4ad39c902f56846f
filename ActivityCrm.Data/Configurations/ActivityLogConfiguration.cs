using ActivityCrm.Data.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace ActivityCrm.Data.Configurations;

public sealed class ActivityLogConfiguration : IEntityTypeConfiguration<ActivityLog>
{
    public void Configure(EntityTypeBuilder<ActivityLog> b)
    {
        b.ToTable("lead_activity_log");
        b.HasKey(x => x.Id);
        b.Property(x => x.Id).HasDefaultValueSql("gen_random_uuid()");
        b.Property(x => x.EventType).HasMaxLength(100).IsRequired();
        b.Property(x => x.EventCategory).HasMaxLength(50).IsRequired();
        b.Property(x => x.LeadAirtableId).HasMaxLength(255);
        b.Property(x => x.Description).IsRequired();
        b.Property(x => x.Metadata).HasColumnType("jsonb");
        b.Property(x => x.Source).HasMaxLength(100).IsRequired();
        b.Property(x => x.ExecutionId).HasMaxLength(255);
        b.Property(x => x.ActorType).HasMaxLength(20).IsRequired().HasDefaultValue(ActorTypes.System);
        b.Property(x => x.ActorId).HasMaxLength(255);
        b.Property(x => x.RelatedEntityType).HasMaxLength(100);
        b.Property(x => x.RelatedEntityId).HasMaxLength(255);
        b.Property(x => x.IdempotencyKey).HasMaxLength(255);
        b.Property(x => x.CreatedAt).HasDefaultValueSql("now()");
        b.Property(x => x.RedactionReason).HasMaxLength(1000);

        b.HasGeneratedTsVectorColumn(x => x.SearchVector!, "english", x => new { x.Description, x.MessageContent })
            .HasIndex(x => x.SearchVector).HasMethod("GIN").HasDatabaseName("ix_activity_search");

        b.HasOne(x => x.Lead).WithMany().HasForeignKey(x => x.LeadId).OnDelete(DeleteBehavior.Restrict);
        b.HasOne<Client>().WithMany().HasForeignKey(x => x.ClientId).OnDelete(DeleteBehavior.Restrict);
        b.HasOne<AppUser>().WithMany().HasForeignKey(x => x.CreatedBy).OnDelete(DeleteBehavior.Restrict);
        b.HasOne<AppUser>().WithMany().HasForeignKey(x => x.RedactedBy).OnDelete(DeleteBehavior.Restrict);
        b.HasOne<ActivityType>().WithMany().HasForeignKey(x => x.EventType).OnDelete(DeleteBehavior.Restrict);

        // Shaped for the reads: timeline, browser (newest first, keyset on (timestamp, id)), filters.
        b.HasIndex(x => new { x.LeadId, x.Timestamp, x.Id }).IsDescending(false, true, true).HasDatabaseName("ix_activity_lead_time");
        b.HasIndex(x => new { x.Timestamp, x.Id }).IsDescending(true, true).HasDatabaseName("ix_activity_time");
        b.HasIndex(x => new { x.EventType, x.Timestamp }).IsDescending(false, true).HasDatabaseName("ix_activity_type_time");
        b.HasIndex(x => new { x.EventCategory, x.Timestamp }).IsDescending(false, true).HasDatabaseName("ix_activity_category_time");
        b.HasIndex(x => x.LeadAirtableId).HasDatabaseName("ix_activity_lead_airtable");
        // Idempotency is decided by activity_idempotency_keys (see ActivityIdempotencyKey), not an index here.
        b.HasIndex(x => new { x.Source, x.Timestamp }).IsDescending(false, true).HasDatabaseName("ix_activity_source_time");
        b.HasIndex(x => new { x.CorrelationId, x.Timestamp }).HasFilter("correlation_id IS NOT NULL").HasDatabaseName("ix_activity_correlation");
        b.HasIndex(x => new { x.ClientId, x.Timestamp }).IsDescending(false, true).HasDatabaseName("ix_activity_client_time");
        b.HasIndex(x => new { x.ActorType, x.Timestamp }).IsDescending(false, true).HasDatabaseName("ix_activity_actor_time");
    }
}

public sealed class ActivityIdempotencyKeyConfiguration : IEntityTypeConfiguration<ActivityIdempotencyKey>
{
    public void Configure(EntityTypeBuilder<ActivityIdempotencyKey> b)
    {
        b.ToTable("activity_idempotency_keys");
        b.HasKey(x => new { x.Source, x.IdempotencyKey });
        b.Property(x => x.Source).HasMaxLength(100);
        b.Property(x => x.IdempotencyKey).HasMaxLength(255);
        // For retention: keys of events older than the kept history can be pruned by time.
        b.HasIndex(x => x.Timestamp);
    }
}
