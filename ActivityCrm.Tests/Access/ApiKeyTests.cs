using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ActivityCrm.Data.ApiKeys;
using ActivityCrm.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace ActivityCrm.Tests.Access;

/// <summary>Ingestion keys: only a hash is stored, revocation is immediate, a key bound to a client stamps its events.</summary>
public sealed class ApiKeyTests(AppFactory app) : IClassFixture<AppFactory>
{
    private ApiKeyStore Keys => app.Services.GetRequiredService<ApiKeyStore>();

    private HttpClient KeyClient(string key)
    {
        var client = app.CreateClient();
        client.DefaultRequestHeaders.Add("x-api-key", key);
        return client;
    }

    [Fact]
    public async Task A_new_key_is_stored_only_as_a_hash_and_its_secret_appears_nowhere_in_the_database()
    {
        var (id, secret) = await Keys.CreateAsync("Hash check", "n8n:", null, null);

        Assert.Matches("^acrm_[0-9a-f]{12}_[A-Za-z0-9_-]{32}$", secret);
        var row = await app.ScalarAsync<string>("SELECT row_to_json(k)::text FROM api_keys k WHERE id = @id", ("id", id));
        Assert.DoesNotContain(secret, row);
        Assert.DoesNotContain(secret.Split('_')[2], row);
        Assert.Equal(Convert.ToHexString(ApiKeyStore.Hash(secret)).ToLowerInvariant(),
            await app.ScalarAsync<string>("SELECT encode(secret_hash, 'hex') FROM api_keys WHERE id = @id", ("id", id)));
        var everything = await app.ScalarAsync<long>("""
            SELECT count(*) FROM (SELECT row_to_json(k)::text t FROM api_keys k UNION ALL SELECT row_to_json(f)::text FROM ingestion_failures f) x
            WHERE strpos(t, @s) > 0
            """, ("s", secret));
        Assert.Equal(0, everything);
    }

    [Fact]
    public async Task A_revoked_key_is_refused_on_the_very_next_request()
    {
        var (id, secret) = await Keys.CreateAsync("Revocation check", null, null, null);
        var lead = await app.CreateLeadAsync();
        using var client = KeyClient(secret);
        Assert.Equal(HttpStatusCode.Created, (await client.PostAsJsonAsync("/api/internal/log-activity", EventPayloads.Sms(lead.AirtableId))).StatusCode);

        Assert.True(await Keys.RevokeAsync(id));

        var refused = await client.PostAsJsonAsync("/api/internal/log-activity", EventPayloads.Sms(lead.AirtableId));
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.PutAsJsonAsync($"/api/internal/leads/{lead.AirtableId}", new { title = "x" })).StatusCode);
        Assert.False(await Keys.RevokeAsync(id));
        Assert.True((await Keys.ListAsync()).Single(k => k.Id == id).Revoked);
    }

    [Fact]
    public async Task A_wrong_secret_with_a_real_key_id_is_refused()
    {
        var (_, secret) = await Keys.CreateAsync("Wrong secret check", null, null, null);
        using var client = KeyClient(secret[..^4] + "AAAA");
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.PostAsJsonAsync("/api/internal/log-activity", EventPayloads.Sms("recX"))).StatusCode);
    }

    [Fact]
    public async Task Events_ingested_with_a_key_bound_to_a_client_belong_to_that_client()
    {
        var clientId = await app.ScalarAsync<Guid>("INSERT INTO clients (name) VALUES (@n) RETURNING id", ("n", $"Client {Guid.NewGuid():N}"));
        var (_, secret) = await Keys.CreateAsync("Client-bound", "n8n:", clientId, null);
        using var client = KeyClient(secret);
        var orphanAirtable = $"recCLIENT{Guid.NewGuid():N}"[..20];

        var response = await client.PostAsJsonAsync("/api/internal/log-activity", EventPayloads.Sms(orphanAirtable));

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var id = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("activityId").GetGuid();
        Assert.Equal(clientId, await app.ScalarAsync<Guid>("SELECT client_id FROM lead_activity_log WHERE id = @id", ("id", id)));
        var listed = (await Keys.ListAsync()).Single(k => k.ClientId == clientId);
        Assert.NotNull(listed.ClientName);
        Assert.NotNull(listed.LastUsedAt);
    }

    [Fact]
    public async Task A_key_with_a_source_prefix_cannot_write_other_sources()
    {
        var (_, secret) = await Keys.CreateAsync("Prefixed", "n8n:", null, null);
        using var client = KeyClient(secret);
        var response = await client.PostAsJsonAsync("/api/internal/log-activity", EventPayloads.Sms("recPREFIX1").With("source", "ui:note-add"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("n8n:", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public void A_new_key_needs_a_name_and_a_prefix_without_spaces()
    {
        Assert.Contains("name", ApiKeyStore.Validate("", null).Keys);
        Assert.Contains("sourcePrefix", ApiKeyStore.Validate("ok", "n8n: prod").Keys);
        Assert.Empty(ApiKeyStore.Validate("n8n production", "n8n:"));
    }
}
