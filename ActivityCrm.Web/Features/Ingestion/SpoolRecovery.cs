using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using ActivityCrm.Data.ApiKeys;
using ActivityCrm.Data.Entities;

namespace ActivityCrm.Web.Features.Ingestion;

/// <summary>
/// Moves what the <see cref="IngestionSpool"/> kept during a database outage into ingestion_failures as soon
/// as the database answers again (also after a restart: files of a killed instance are taken over). Events
/// that were valid but hit a down database are then replayed automatically, so an event the caller gave up
/// on is stored anyway, and one its retry stored meanwhile is recognised by its key and not duplicated.
/// </summary>
public sealed class SpoolRecovery(IngestionSpool spool, DeadLetters deadLetters, IngestionService ingestion, ApiKeyStore keys,
    ILogger<SpoolRecovery> log) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(2);

    protected override async Task ExecuteAsync(CancellationToken ct)
    {
        using var timer = new PeriodicTimer(Interval);
        try
        {
            do
            {
                if (spool.PendingFiles == 0) continue;
                try
                {
                    var n = await RecoverAsync(ct);
                    if (n > 0) log.LogInformation("Moved {Count} requests kept during a database outage into the dead-letter store", n);
                }
                catch (Exception e) when (DatabaseErrors.IsUnavailable(e)) { } // still down: the next tick tries again
                catch (Exception e) when (!ct.IsCancellationRequested)
                {
                    log.LogError(e, "Could not recover the ingestion spool {Directory}; will retry", spool.Directory);
                }
            } while (await timer.WaitForNextTickAsync(ct));
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested) { }
    }

    public Task<int> RecoverAsync(CancellationToken ct) => spool.DrainAsync(async entry =>
    {
        try
        {
            await HandleAsync(entry, ct);
        }
        catch (Exception e) when (!DatabaseErrors.IsUnavailable(e) && e is not OperationCanceledException)
        {
            spool.Quarantine(entry, e); // the database answers but refuses this one: keep it aside, go on with the rest
        }
    }, ct);

    private async Task HandleAsync(SpoolEntry entry, CancellationToken ct)
    {
        var apiKeyId = entry.ApiKeyId;
        if (apiKeyId is null && entry is { KeyId: { } keyId, KeyHash: { } hash })
        {
            var key = await keys.FindByHashAsync(keyId, Convert.FromBase64String(hash), ct);
            if (key is null)
            {
                // Same as a 401: an unauthenticated request is not a dead letter.
                log.LogWarning("Dropped a request kept during an outage: its API key ({KeyId}) is not valid", keyId);
                return;
            }
            apiKeyId = key.Id;
        }

        var letters = Split(entry).Select(l => l with { ApiKeyId = apiKeyId }).ToList();
        foreach (var letter in letters) await deadLetters.InsertAsync(letter, skipIfPendingCopy: false, ct);
        if (entry.Reason == IngestionFailureReasons.DatabaseUnavailable)
            await ingestion.ReplayAsync(letters.Select(l => l.Id).ToList(), replayedBy: null, automatic: true, ct);
    }

    /// <summary>One dead letter per event: a kept batch body becomes one per item, with ids derived from the entry's
    /// (so a flush interrupted half-way and repeated inserts nothing twice).</summary>
    private static IEnumerable<SpoolEntry> Split(SpoolEntry entry)
    {
        JsonDocument? doc = null;
        try { doc = JsonDocument.Parse(entry.Payload, IngestionService.JsonOptions); }
        catch (JsonException) { }
        using (doc)
        {
            var root = doc?.RootElement;
            var items = entry.Batch && root is { } r
                ? r.ValueKind == JsonValueKind.Array ? r : r.ValueKind == JsonValueKind.Object && r.TryGetProperty("events", out var ev) && ev.ValueKind == JsonValueKind.Array ? ev : (JsonElement?)null
                : null;
            if (items is not { } array)
            {
                yield return entry with { Source = entry.Source ?? Peek(root, "source"), EventType = entry.EventType ?? Peek(root, "eventType") };
                yield break;
            }
            var index = 0;
            foreach (var item in array.EnumerateArray())
            {
                yield return entry with
                {
                    Id = new Guid(SHA256.HashData(Encoding.UTF8.GetBytes($"{entry.Id:N}/{index++}"))[..16]),
                    Batch = false, Payload = item.GetRawText(), Source = Peek(item, "source"), EventType = Peek(item, "eventType"),
                };
            }
        }
    }

    private static string? Peek(JsonElement? e, string property) => e is { } element ? IngestionService.Peek(element, property) : null;
}
