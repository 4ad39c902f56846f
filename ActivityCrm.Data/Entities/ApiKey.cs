namespace ActivityCrm.Data.Entities;

/// <summary>An ingestion key. Only a SHA-256 of the secret is stored; the secret is shown once.</summary>
public class ApiKey
{
    public Guid Id { get; set; }
    public string Name { get; set; } = "";
    /// <summary>Public lookup part of the key ("acrm_&lt;KeyId&gt;_&lt;secret&gt;").</summary>
    public string KeyId { get; set; } = "";
    public byte[] SecretHash { get; set; } = [];
    /// <summary>Events written with this key must have a source starting with this (e.g. "n8n:").</summary>
    public string? SourcePrefix { get; set; }
    public Guid? ClientId { get; set; }
    public Guid? CreatedBy { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? LastUsedAt { get; set; }
    public DateTimeOffset? RevokedAt { get; set; }
}
