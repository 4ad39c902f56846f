using ActivityCrm.Data.Leads;

namespace ActivityCrm.Tests.Leads;

/// <summary>The /leads list query and the campaign catalogue, on a database of their own.</summary>
public sealed class LeadListAndCampaignTests(LeadsDatabase db) : IClassFixture<LeadsDatabase>
{
    private async Task<LeadListPage> ListAsync(LeadListQuery query)
    {
        await using var ctx = await db.Contexts.CreateDbContextAsync();
        return await LeadList.ReadAsync(ctx, query);
    }

    [Fact]
    public async Task Search_matches_name_email_phone_and_company_and_deleted_leads_stay_hidden_unless_asked()
    {
        var tag = Guid.NewGuid().ToString("N")[..8];
        var byName = await db.LeadAsync("Quinta", $"Vexley{tag}");
        var byCompany = await db.LeadAsync(company: $"Vexley{tag} Labs");
        var byEmail = await db.LeadAsync(email: $"vexley{tag}@mail.example");
        var deleted = await db.LeadAsync("Vexley", tag);
        await db.ExecAsync("UPDATE leads SET deleted_at = now() WHERE id = @id", ("id", deleted));
        await db.ExecAsync("UPDATE leads SET phone = @p WHERE id = @id", ("p", $"+1 555 {tag}"), ("id", byName));

        var visible = await ListAsync(new LeadListQuery($"VEXLEY{tag}"));
        var withDeleted = await ListAsync(new LeadListQuery(tag, IncludeDeleted: true));
        var byPhone = await ListAsync(new LeadListQuery($"555 {tag}"));
        var wildcard = await ListAsync(new LeadListQuery("%"));

        Assert.Equal(new[] { byName, byCompany, byEmail }.Order(), visible.Items.Select(l => l.Id).Order());
        Assert.Equal(3, visible.Total);
        Assert.Contains(withDeleted.Items, l => l.Id == deleted && l.Deleted);
        Assert.Equal([byName], byPhone.Items.Select(l => l.Id));
        Assert.Empty(wildcard.Items); // a literal %, not "everything"
    }

    [Fact]
    public async Task Filters_by_status_owner_campaign_and_has_replied_combine()
    {
        var tag = Guid.NewGuid().ToString("N")[..8];
        var (owner, _) = await db.UserAsync(name: "Olive Owner");
        var campaign = await db.CampaignAsync();
        var replied = await db.LeadAsync("Rita", tag, status: "engaged", owner: owner);
        var silent = await db.LeadAsync("Sid", tag, status: "engaged");
        var removed = await db.LeadAsync("Remy", tag, status: "won", owner: owner);
        await db.EventsAsync(replied, 1, DateTimeOffset.UtcNow, TimeSpan.Zero, "INBOUND_REPLY", "SMS");
        await db.EventsAsync(silent, 3, DateTimeOffset.UtcNow, TimeSpan.FromMinutes(1));
        foreach (var lead in new[] { replied, removed }) Assert.True((await db.Actions.EnrolAsync(lead, campaign, owner, Guid.NewGuid().ToString())).Succeeded);
        Assert.True((await db.Actions.RemoveFromCampaignAsync(removed, campaign, owner, Guid.NewGuid().ToString())).Succeeded);

        async Task<List<Guid>> Ids(LeadListQuery q) => (await ListAsync(q with { Search = tag })).Items.Select(l => l.Id).ToList();

        Assert.Equal([replied], await Ids(new LeadListQuery(HasReplied: true)));
        Assert.Equal(new[] { silent, removed }.Order(), (await Ids(new LeadListQuery(HasReplied: false))).Order());
        Assert.Equal([replied], await Ids(new LeadListQuery(CampaignId: campaign)));
        Assert.Equal(new[] { replied, removed }.Order(), (await Ids(new LeadListQuery(OwnerId: owner))).Order());
        Assert.Equal([silent], await Ids(new LeadListQuery(Unowned: true)));
        Assert.Equal([removed], await Ids(new LeadListQuery(Statuses: ["won", "lost"])));
        Assert.Equal([replied], await Ids(new LeadListQuery(Statuses: ["engaged"], OwnerId: owner, HasReplied: true)));
        Assert.Equal("Olive Owner", (await ListAsync(new LeadListQuery(tag, OwnerId: owner))).Items[0].OwnerName);
    }

    [Fact]
    public async Task Sorting_and_paging_walk_the_list_in_order_with_a_total()
    {
        var tag = Guid.NewGuid().ToString("N")[..8];
        (string? Band, int? Score)[] bands = [("cold", 10), ("hot", 90), ("warm", 50), ("hot", 75), (null, null)];
        var names = new[] { "Cara", "Abe", "Eve", "Bea", "Dov" };
        for (var i = 0; i < names.Length; i++) await db.LeadAsync(names[i], tag, band: bands[i].Band, score: bands[i].Score);

        var byName = await ListAsync(new LeadListQuery(tag, Sort: LeadSort.Name, Descending: false, Take: 2));
        var second = await ListAsync(new LeadListQuery(tag, Sort: LeadSort.Name, Descending: false, Skip: 2, Take: 2));
        var byBand = await ListAsync(new LeadListQuery(tag, Sort: LeadSort.ScoreBand, Descending: true));

        Assert.Equal(5, byName.Total);
        Assert.Equal(["Abe", "Bea"], byName.Items.Select(l => l.Name!.Split(' ')[0]));
        Assert.Equal(["Cara", "Dov"], second.Items.Select(l => l.Name!.Split(' ')[0]));
        Assert.Equal(["Abe", "Bea", "Eve", "Cara", "Dov"], byBand.Items.Select(l => l.Name!.Split(' ')[0]));
    }

    [Fact]
    public async Task An_erased_lead_is_listed_as_Erased_lead()
    {
        var tag = Guid.NewGuid().ToString("N")[..8];
        var lead = await db.LeadAsync("Forget", $"Me{tag}", company: $"Erasure{tag}");
        await db.ExecAsync("UPDATE leads SET erased_at = now() WHERE id = @id", ("id", lead));

        var item = Assert.Single((await ListAsync(new LeadListQuery($"Erasure{tag}"))).Items);

        Assert.Equal(LeadNames.Erased, item.DisplayName);
    }

    [Fact]
    public async Task Campaign_names_are_unique_ignoring_case_and_archiving_stops_new_enrolments()
    {
        var name = $"Re-engagement {Guid.NewGuid():N}"[..24];
        var (user, _) = await db.UserAsync();
        var lead = await db.LeadAsync();

        var created = await db.Campaigns.CreateAsync($"  {name} ", "Winter push");
        var duplicate = await db.Campaigns.CreateAsync(name.ToUpperInvariant(), null);
        var empty = await db.Campaigns.CreateAsync("   ", null);
        Assert.True(created.Succeeded, created.Message);
        Assert.Equal(("name", "name"), (duplicate.Field, empty.Field));
        Assert.False(duplicate.Succeeded || empty.Succeeded);

        var id = created.Id!.Value;
        Assert.True((await db.Actions.EnrolAsync(lead, id, user, Guid.NewGuid().ToString())).Succeeded);
        var archived = await db.Campaigns.ArchiveAsync(id);
        var again = await db.Campaigns.ArchiveAsync(id);
        var listed = (await db.Campaigns.ListAsync()).Single(c => c.Id == id);
        var other = await db.LeadAsync();
        var refused = await db.Actions.EnrolAsync(other, id, user, Guid.NewGuid().ToString());

        Assert.True(archived.Succeeded);
        Assert.False(again.Succeeded);
        Assert.Equal((name, "Winter push", 1, 1, true), (listed.Name, listed.Description, listed.Enrolled, listed.EverEnrolled, listed.Archived));
        Assert.DoesNotContain(await db.Campaigns.ListAsync(includeArchived: false), c => c.Id == id);
        Assert.False(refused.Succeeded);
        Assert.Contains("archived", refused.Message);
    }
}
