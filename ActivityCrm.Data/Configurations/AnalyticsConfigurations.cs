using ActivityCrm.Data.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace ActivityCrm.Data.Configurations;

public sealed class AnalyticsJourneyConfiguration : IEntityTypeConfiguration<AnalyticsJourney>
{
    public void Configure(EntityTypeBuilder<AnalyticsJourney> b)
    {
        b.ToTable("analytics_journeys");
        b.HasKey(x => new { x.LeadKey, x.CampaignKey });
        b.Property(x => x.LeadKey).HasMaxLength(255);
        b.Property(x => x.CampaignKey).HasMaxLength(255);
        // Panels read journeys by campaign and by the date that starts their cohort.
        b.HasIndex(x => new { x.CampaignKey, x.FirstSentAt });
        b.HasIndex(x => new { x.CampaignKey, x.EnrolledAt });
        b.HasIndex(x => new { x.ClientId, x.CampaignKey });
    }
}

public sealed class AnalyticsDailyCountConfiguration : IEntityTypeConfiguration<AnalyticsDailyCount>
{
    public void Configure(EntityTypeBuilder<AnalyticsDailyCount> b)
    {
        b.ToTable("analytics_daily_counts");
        b.Property(x => x.EventCategory).HasMaxLength(50);
        b.Property(x => x.EventType).HasMaxLength(100);
        b.Property(x => x.Source).HasMaxLength(100);
        b.Property(x => x.CampaignKey).HasMaxLength(255);
        // The refresher adds to existing rows with ON CONFLICT on this key; "no client" is one row, not many.
        b.HasIndex(x => new { x.Day, x.EventCategory, x.EventType, x.Source, x.ClientId, x.CampaignKey })
            .IsUnique().AreNullsDistinct(false).HasDatabaseName("ux_analytics_daily_counts_key");
        b.HasIndex(x => new { x.CampaignKey, x.Day });
        b.HasIndex(x => new { x.ClientId, x.Day });
    }
}

public sealed class AnalyticsStateConfiguration : IEntityTypeConfiguration<AnalyticsState>
{
    public void Configure(EntityTypeBuilder<AnalyticsState> b)
    {
        b.ToTable("analytics_state");
        b.Property(x => x.Id).ValueGeneratedNever();
        b.HasData(new AnalyticsState { Id = 1 });
    }
}
