using System.Security.Cryptography.X509Certificates;
using System.Xml.Linq;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.Repositories;
using Npgsql;

namespace ActivityCrm.Web.Hosting;

/// <summary>
/// Data-protection keys (they sign the sign-in cookie, antiforgery tokens and Blazor's circuit ids) live in the
/// database, table data_protection_keys, under one application name, so every instance behind a load balancer
/// reads the same key ring: a cookie issued by one instance signs the user in on any other.
/// </summary>
public static class SharedDataProtection
{
    public const string DefaultApplicationName = "ActivityCrm";

    public static void AddSharedDataProtection(this WebApplicationBuilder builder)
    {
        var config = builder.Configuration;
        var dp = builder.Services.AddDataProtection()
            .SetApplicationName(config["DataProtection:ApplicationName"] is { Length: > 0 } name ? name : DefaultApplicationName);
        // Keys are stored as the key manager writes them. To encrypt them at rest, give every instance the same certificate.
        if (config["DataProtection:CertificatePath"] is { Length: > 0 } path)
            dp.ProtectKeysWithCertificate(X509CertificateLoader.LoadPkcs12FromFile(path, config["DataProtection:CertificatePassword"]));
        builder.Services.AddSingleton<DatabaseXmlRepository>();
        builder.Services.AddOptions<KeyManagementOptions>().Configure<DatabaseXmlRepository>((o, repository) => o.XmlRepository = repository);
    }

    /// <summary>
    /// Loads (on an empty table: creates) the key ring while holding a PostgreSQL advisory lock, so instances
    /// starting together on a new database agree on one first key instead of each creating its own.
    /// </summary>
    public static async Task EnsureSharedKeyRingAsync(this IServiceProvider services, CancellationToken ct = default)
    {
        await using var conn = await services.GetRequiredService<NpgsqlDataSource>().OpenConnectionAsync(ct);
        await using (var take = new NpgsqlCommand("SELECT pg_advisory_lock(hashtextextended('activitycrm:data-protection', 0))", conn))
            await take.ExecuteNonQueryAsync(ct);
        try
        {
            services.GetRequiredService<IDataProtectionProvider>().CreateProtector("ActivityCrm.KeyRing").Protect([1]);
        }
        finally
        {
            await using var release = new NpgsqlCommand("SELECT pg_advisory_unlock(hashtextextended('activitycrm:data-protection', 0))", conn);
            await release.ExecuteNonQueryAsync(CancellationToken.None);
        }
    }
}

/// <summary>The key ring's storage: rows of data_protection_keys (the key manager calls it rarely, synchronously).</summary>
public sealed class DatabaseXmlRepository(NpgsqlDataSource dataSource) : IXmlRepository
{
    public IReadOnlyCollection<XElement> GetAllElements()
    {
        using var cmd = dataSource.CreateCommand("SELECT xml FROM data_protection_keys ORDER BY id");
        using var reader = cmd.ExecuteReader();
        var elements = new List<XElement>();
        while (reader.Read()) elements.Add(XElement.Parse(reader.GetString(0)));
        return elements;
    }

    public void StoreElement(XElement element, string friendlyName)
    {
        using var cmd = dataSource.CreateCommand("INSERT INTO data_protection_keys (friendly_name, xml) VALUES (@name, @xml)");
        cmd.Parameters.AddWithValue("name", friendlyName);
        cmd.Parameters.AddWithValue("xml", element.ToString(SaveOptions.DisableFormatting));
        cmd.ExecuteNonQuery();
    }
}
