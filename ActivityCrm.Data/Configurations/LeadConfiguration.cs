using ActivityCrm.Data.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace ActivityCrm.Data.Configurations;

public sealed class LeadConfiguration : IEntityTypeConfiguration<Lead>
{
    public void Configure(EntityTypeBuilder<Lead> b)
    {
        b.ToTable("leads");
        b.Property(x => x.Id).HasDefaultValueSql("gen_random_uuid()");
        b.Property(x => x.AirtableRecordId).HasMaxLength(255);
        b.HasIndex(x => x.AirtableRecordId).IsUnique();
        foreach (var p in new[] { nameof(Lead.FirstName), nameof(Lead.LastName), nameof(Lead.Company), nameof(Lead.Title) })
            b.Property(p).HasMaxLength(200);
        b.Property(x => x.Email).HasMaxLength(320);
        b.Property(x => x.Phone).HasMaxLength(50);
        b.Property(x => x.Status).HasMaxLength(50).IsRequired();
        b.Property(x => x.IcpBand).HasMaxLength(20);
        b.Property(x => x.FullName).HasComputedColumnSql("btrim(coalesce(first_name, '') || ' ' || coalesce(last_name, ''))", stored: true);
        b.Property(x => x.CreatedAt).HasDefaultValueSql("now()");
        b.Property(x => x.UpdatedAt).HasDefaultValueSql("now()");
        b.HasOne(x => x.Owner).WithMany().HasForeignKey(x => x.OwnerId).OnDelete(DeleteBehavior.SetNull);
        b.HasOne(x => x.Client).WithMany().HasForeignKey(x => x.ClientId).OnDelete(DeleteBehavior.Restrict);
        b.HasMany(x => x.Campaigns).WithOne().HasForeignKey(x => x.LeadId).OnDelete(DeleteBehavior.Cascade);
        b.HasIndex(x => x.FullName).HasMethod("gin").HasOperators("gin_trgm_ops").HasDatabaseName("ix_leads_full_name_trgm");
        b.HasIndex(x => x.Email).HasMethod("gin").HasOperators("gin_trgm_ops").HasDatabaseName("ix_leads_email_trgm");
        b.HasIndex(x => new { x.Status, x.LastActivityAt });
        b.HasIndex(x => x.OwnerId);
        b.HasIndex(x => x.LastActivityAt).IsDescending();
    }
}

public sealed class ClientConfiguration : IEntityTypeConfiguration<Client>
{
    public void Configure(EntityTypeBuilder<Client> b)
    {
        b.ToTable("clients");
        b.Property(x => x.Id).HasDefaultValueSql("gen_random_uuid()");
        b.Property(x => x.Name).HasMaxLength(200).IsRequired();
        b.HasIndex(x => x.Name).IsUnique();
        b.Property(x => x.CreatedAt).HasDefaultValueSql("now()");
    }
}

public sealed class CampaignConfiguration : IEntityTypeConfiguration<Campaign>
{
    public void Configure(EntityTypeBuilder<Campaign> b)
    {
        b.ToTable("campaigns");
        b.Property(x => x.Id).HasDefaultValueSql("gen_random_uuid()");
        b.Property(x => x.Name).HasMaxLength(200).IsRequired();
        b.HasIndex(x => x.Name).IsUnique();
        b.Property(x => x.CreatedAt).HasDefaultValueSql("now()");
        b.HasOne<Client>().WithMany().HasForeignKey(x => x.ClientId).OnDelete(DeleteBehavior.Restrict);
    }
}

public sealed class LeadCampaignConfiguration : IEntityTypeConfiguration<LeadCampaign>
{
    public void Configure(EntityTypeBuilder<LeadCampaign> b)
    {
        b.ToTable("lead_campaigns");
        b.Property(x => x.Id).HasDefaultValueSql("gen_random_uuid()");
        b.HasOne(x => x.Campaign).WithMany().HasForeignKey(x => x.CampaignId).OnDelete(DeleteBehavior.Restrict);
        // One active enrolment per lead and campaign; removed rows stay as history.
        b.HasIndex(x => new { x.LeadId, x.CampaignId }).IsUnique().HasFilter("removed_at IS NULL").HasDatabaseName("ux_lead_campaigns_active");
        b.HasIndex(x => x.CampaignId);
    }
}

public sealed class LeadNoteConfiguration : IEntityTypeConfiguration<LeadNote>
{
    public void Configure(EntityTypeBuilder<LeadNote> b)
    {
        b.ToTable("lead_notes");
        b.Property(x => x.Id).HasDefaultValueSql("gen_random_uuid()");
        b.Property(x => x.Body).HasMaxLength(10_000).IsRequired();
        b.Property(x => x.CreatedAt).HasDefaultValueSql("now()");
        b.HasOne<Lead>().WithMany().HasForeignKey(x => x.LeadId).OnDelete(DeleteBehavior.Cascade);
        b.HasOne<AppUser>().WithMany().HasForeignKey(x => x.CreatedBy).OnDelete(DeleteBehavior.SetNull);
        b.HasIndex(x => new { x.LeadId, x.CreatedAt });
    }
}
