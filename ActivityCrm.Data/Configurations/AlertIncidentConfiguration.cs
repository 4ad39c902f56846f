using ActivityCrm.Data.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace ActivityCrm.Data.Configurations;

public sealed class AlertIncidentConfiguration : IEntityTypeConfiguration<AlertIncident>
{
    public void Configure(EntityTypeBuilder<AlertIncident> b)
    {
        b.ToTable("alert_state");
        b.Property(x => x.Id).HasDefaultValueSql("gen_random_uuid()");
        b.Property(x => x.Key).HasMaxLength(300).IsRequired();
        b.Property(x => x.Title).HasMaxLength(300).IsRequired();
        b.Property(x => x.Detail).IsRequired();
        b.Property(x => x.Delivery).HasMaxLength(500);
        b.Property(x => x.Instance).HasMaxLength(200);
        // The de-duplication itself: one open incident per condition, whichever instance tries to open it.
        b.HasIndex(x => x.Key).IsUnique().HasFilter("resolved_at IS NULL").HasDatabaseName("ux_alert_state_open_key");
        b.HasIndex(x => x.OpenedAt).IsDescending().HasDatabaseName("ix_alert_state_opened");
    }
}
