using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Npgsql;

namespace ActivityCrm.Data.ApiKeys;

/// <summary>The key a request authenticated with.</summary>
public sealed record ApiKeyIdentity(Guid Id, string Name, string? SourcePrefix, Guid? ClientId);

/// <summary>A client a key can be bound to.</summary>
public sealed record ClientOption(Guid Id, string Name);

/// <summary>A key as the API keys page lists it (never its secret, which is not stored).</summary>
public sealed record ApiKeyListItem(Guid Id, string Name, string KeyId, string? SourcePrefix, Guid? ClientId, string? ClientName,
    DateTimeOffset CreatedAt, string? CreatedByName, DateTimeOffset? LastUsedAt, DateTimeOffset? RevokedAt)
{
    public bool Revoked => RevokedAt is not null;
    /// <summary>What the holder of the key sees at its start, to recognise it ("acrm_3f9a0c12b4d1_…").</summary>
    public string Hint => KeyId.Length == 12 ? $"acrm_{KeyId}_…" : "configured key";
}

/// <summary>
/// Ingestion keys look like acrm_&lt;keyid&gt;_&lt;secret&gt;. The key id finds the row; only a SHA-256 of the
/// whole key is stored, compared in constant time. (Configured keys of another shape are found by a
/// hash-derived id.) A high-entropy secret needs no slow hash: SHA-256 cannot be brute-forced at 190 bits.
/// </summary>
public sealed partial class ApiKeyStore(NpgsqlDataSource dataSource, TimeProvider clock)
{
    public const int MinimumLength = 16;

    public static byte[] Hash(string key) => SHA256.HashData(Encoding.UTF8.GetBytes(key));

    public static string KeyIdOf(string key) =>
        GeneratedShape().Match(key) is { Success: true } m ? m.Groups[1].Value : Convert.ToHexString(Hash(key))[..16].ToLowerInvariant();

    public static string Generate(out string keyId)
    {
        keyId = Convert.ToHexString(RandomNumberGenerator.GetBytes(6)).ToLowerInvariant();
        var secret = Base64Url(RandomNumberGenerator.GetBytes(24));
        return $"acrm_{keyId}_{secret}";
    }

    /// <summary>Creates a key and returns its secret, which is not stored and cannot be shown again.</summary>
    public async Task<(Guid Id, string Secret)> CreateAsync(string name, string? sourcePrefix, Guid? clientId, Guid? createdBy,
        string? secret = null, CancellationToken ct = default)
    {
        if (secret is not null && secret.Length < MinimumLength)
            throw new ArgumentException($"An API key must be at least {MinimumLength} characters long.", nameof(secret));
        secret ??= Generate(out _);
        await using var cmd = dataSource.CreateCommand("""
            INSERT INTO api_keys (name, key_id, secret_hash, source_prefix, client_id, created_by)
            VALUES (@name, @keyId, @hash, @prefix, @client, @by) RETURNING id
            """);
        cmd.Parameters.AddWithValue("name", name);
        cmd.Parameters.AddWithValue("keyId", KeyIdOf(secret));
        cmd.Parameters.AddWithValue("hash", Hash(secret));
        cmd.Parameters.AddWithValue("prefix", (object?)sourcePrefix ?? DBNull.Value);
        cmd.Parameters.AddWithValue("client", (object?)clientId ?? DBNull.Value);
        cmd.Parameters.AddWithValue("by", (object?)createdBy ?? DBNull.Value);
        return ((Guid)(await cmd.ExecuteScalarAsync(ct))!, secret);
    }

    /// <summary>Problems with a new key's fields, by field name (empty when it can be created).</summary>
    public static Dictionary<string, string[]> Validate(string? name, string? sourcePrefix)
    {
        var errors = new Dictionary<string, string[]>();
        if (string.IsNullOrWhiteSpace(name)) errors["name"] = ["Give the key a name that says who uses it (e.g. n8n production)."];
        else if (name.Trim().Length > 200) errors["name"] = ["The name must be at most 200 characters."];
        if (sourcePrefix is { Length: > 0 } p && (p.Length > 100 || p.Any(c => char.IsWhiteSpace(c) || char.IsControl(c))))
            errors["sourcePrefix"] = ["The source prefix must be at most 100 characters, without spaces (e.g. n8n:)."];
        return errors;
    }

    public async Task<IReadOnlyList<ApiKeyListItem>> ListAsync(CancellationToken ct = default)
    {
        await using var cmd = dataSource.CreateCommand("""
            SELECT k.id, k.name, k.key_id, k.source_prefix, k.client_id, c.name, k.created_at,
                   coalesce(nullif(u.display_name, ''), u.email), k.last_used_at, k.revoked_at
            FROM api_keys k
            LEFT JOIN clients c ON c.id = k.client_id
            LEFT JOIN users u ON u.id = k.created_by
            ORDER BY k.revoked_at IS NOT NULL, k.created_at DESC
            """);
        var list = new List<ApiKeyListItem>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
            list.Add(new(r.GetGuid(0), r.GetString(1), r.GetString(2), r.IsDBNull(3) ? null : r.GetString(3), r.IsDBNull(4) ? null : r.GetGuid(4),
                r.IsDBNull(5) ? null : r.GetString(5), r.GetFieldValue<DateTimeOffset>(6), r.IsDBNull(7) ? null : r.GetString(7),
                r.IsDBNull(8) ? null : r.GetFieldValue<DateTimeOffset>(8), r.IsDBNull(9) ? null : r.GetFieldValue<DateTimeOffset>(9)));
        return list;
    }

    public async Task<IReadOnlyList<ClientOption>> ClientsAsync(CancellationToken ct = default)
    {
        await using var cmd = dataSource.CreateCommand("SELECT id, name FROM clients ORDER BY name");
        var list = new List<ClientOption>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct)) list.Add(new(r.GetGuid(0), r.GetString(1)));
        return list;
    }

    /// <summary>Revokes a key; the next request with it is refused (every request reads revoked_at). False if it
    /// was unknown or already revoked.</summary>
    public async Task<bool> RevokeAsync(Guid id, CancellationToken ct = default)
    {
        await using var cmd = dataSource.CreateCommand("UPDATE api_keys SET revoked_at = now() WHERE id = @id AND revoked_at IS NULL");
        cmd.Parameters.AddWithValue("id", id);
        return await cmd.ExecuteNonQueryAsync(ct) == 1;
    }

    /// <summary>The key's identity, or null for an unknown, wrong or revoked key.</summary>
    public async Task<ApiKeyIdentity?> AuthenticateAsync(string? presented, CancellationToken ct = default)
    {
        if (string.IsNullOrEmpty(presented) || presented.Length > 200) return null;
        await using var cmd = dataSource.CreateCommand(
            "SELECT id, name, secret_hash, source_prefix, client_id, last_used_at FROM api_keys WHERE key_id = @id AND revoked_at IS NULL");
        cmd.Parameters.AddWithValue("id", KeyIdOf(presented));
        ApiKeyIdentity? identity = null;
        DateTimeOffset? lastUsed = null;
        await using (var r = await cmd.ExecuteReaderAsync(ct))
        {
            if (await r.ReadAsync(ct) && CryptographicOperations.FixedTimeEquals(r.GetFieldValue<byte[]>(2), Hash(presented)))
            {
                identity = new(r.GetGuid(0), r.GetString(1), r.IsDBNull(3) ? null : r.GetString(3), r.IsDBNull(4) ? null : r.GetGuid(4));
                lastUsed = r.IsDBNull(5) ? null : r.GetFieldValue<DateTimeOffset>(5);
            }
        }
        // "Last used" to the minute is enough; writing it on every request would double the ingestion writes.
        if (identity is not null && (lastUsed is null || clock.GetUtcNow() - lastUsed > TimeSpan.FromMinutes(1)))
        {
            await using var touch = dataSource.CreateCommand("UPDATE api_keys SET last_used_at = now() WHERE id = @id");
            touch.Parameters.AddWithValue("id", identity.Id);
            await touch.ExecuteNonQueryAsync(ct);
        }
        return identity;
    }

    /// <summary>
    /// The identity of an unrevoked key known only by its id and hash: a request kept while the database was
    /// down (the secret itself is never kept). Null when no such key exists (any more).
    /// </summary>
    public async Task<ApiKeyIdentity?> FindByHashAsync(string keyId, byte[] hash, CancellationToken ct = default)
    {
        await using var cmd = dataSource.CreateCommand(
            "SELECT id, name, secret_hash, source_prefix, client_id FROM api_keys WHERE key_id = @id AND revoked_at IS NULL");
        cmd.Parameters.AddWithValue("id", keyId);
        await using var r = await cmd.ExecuteReaderAsync(ct);
        return await r.ReadAsync(ct) && CryptographicOperations.FixedTimeEquals(r.GetFieldValue<byte[]>(2), hash)
            ? new(r.GetGuid(0), r.GetString(1), r.IsDBNull(3) ? null : r.GetString(3), r.IsDBNull(4) ? null : r.GetGuid(4))
            : null;
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    [GeneratedRegex("^acrm_([0-9a-f]{12})_[A-Za-z0-9_-]+$")]
    private static partial Regex GeneratedShape();
}
