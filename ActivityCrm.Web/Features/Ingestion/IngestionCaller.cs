using ActivityCrm.Data.ApiKeys;

namespace ActivityCrm.Web.Features.Ingestion;

/// <summary>
/// Who an event comes from: an API key over HTTP, or an admin's replay or import running in-process
/// (which no HTTP rate limit applies to). The key decides the allowed sources and the default client.
/// </summary>
public sealed record IngestionCaller(Guid? ApiKeyId, string? SourcePrefix, Guid? ClientId)
{
    public static IngestionCaller Of(ApiKeyIdentity key) => new(key.Id, key.SourcePrefix, key.ClientId);

    /// <summary>An admin's file import: any source, the client comes from the lead.</summary>
    public static readonly IngestionCaller Import = new(null, null, null);
}
