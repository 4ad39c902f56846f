using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Npgsql;

namespace ActivityCrm.Data.ApiKeys;

/// <summary>The key a request authenticated with.</summary>
public sealed record ApiKeyIdentity(Guid Id, string Name, string? SourcePrefix, Guid? ClientId);

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
