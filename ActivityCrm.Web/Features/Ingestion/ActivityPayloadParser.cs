using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using ActivityCrm.Data.Activities;
using ActivityCrm.Data.Entities;

namespace ActivityCrm.Web.Features.Ingestion;

/// <summary>
/// Turns one JSON event (exactly what the PRD's n8n node sends) into a <see cref="NewActivity"/>, or into
/// every problem with it at once, keyed by field name, so the caller can fix them all in one go.
/// </summary>
public sealed class ActivityPayloadParser(ActivityTypeCache types, TimeProvider clock)
{
    public const int MaxDescription = 10_000;
    public static readonly TimeSpan MaxFutureSkew = TimeSpan.FromDays(1);

    /// <param name="StableKey">False when the event had no idempotencyKey, executionId or timestamp: then a second
    /// copy of the same request (the caller's retry) cannot be recognised as the same event.</param>
    public sealed record Result(NewActivity? Activity, Dictionary<string, string[]> Errors, string Reason, bool StableKey = false)
    {
        public bool Ok => Activity is not null;
    }

    /// <summary>What a replay or an import knows beyond the payload itself.</summary>
    /// <param name="DefaultTimestamp">When the payload has no timestamp: when it was first received, not now.</param>
    /// <param name="FallbackKey">When the payload has no natural key: a key that is the same on every replay of it.</param>
    public sealed record Context(DateTimeOffset? DefaultTimestamp = null, string? FallbackKey = null)
    {
        public static readonly Context Live = new();
    }

    public Task<Result> ParseAsync(JsonElement json, IngestionCaller caller, CancellationToken ct) => ParseAsync(json, caller, Context.Live, ct);

    public async Task<Result> ParseAsync(JsonElement json, IngestionCaller caller, Context context, CancellationToken ct, string fieldPrefix = "")
    {
        var errors = new Dictionary<string, List<string>>();
        void Err(string field, string message)
        {
            var name = fieldPrefix + field;
            if (!errors.TryGetValue(name, out var list)) errors[name] = list = [];
            list.Add(message);
        }

        if (json.ValueKind != JsonValueKind.Object)
        {
            Err("$", "The body must be a JSON object describing one event.");
            return Fail(errors, "validation");
        }

        string? Str(string field, int max, bool required = false, bool allowNumber = false)
        {
            if (!json.TryGetProperty(field, out var v) || v.ValueKind == JsonValueKind.Null)
            {
                if (required) Err(field, $"{field} is required.");
                return null;
            }
            string? s;
            try
            {
                s = v.ValueKind switch
                {
                    JsonValueKind.String => v.GetString(),
                    JsonValueKind.Number when allowNumber => v.GetRawText(),
                    _ => null,
                };
            }
            catch (InvalidOperationException)
            {
                // System.Text.Json refuses to unescape an unpaired surrogate (\ud800) into a string.
                Err(field, $"{field} must be valid Unicode text (it contains an unpaired \\uD800-\\uDFFF escape).");
                return null;
            }
            if (s is null) { Err(field, $"{field} must be a string{(allowNumber ? " or a number" : "")}."); return null; }
            if (required && string.IsNullOrWhiteSpace(s)) { Err(field, $"{field} must not be empty."); return null; }
            if (s.Length > max) { Err(field, $"{field} must be at most {max:N0} characters (got {s.Length:N0})."); return null; }
            if (s.Contains('\0')) { Err(field, $"{field} must not contain NUL characters."); return null; }
            if (HasUnpairedSurrogate(s)) { Err(field, $"{field} must be valid Unicode text (it contains an unpaired \\uD800-\\uDFFF escape)."); return null; }
            return s;
        }

        Guid? Uuid(string field)
        {
            var s = Str(field, 100);
            if (s is null) return null;
            if (Guid.TryParse(s, out var g)) return g;
            Err(field, $"{field} must be a UUID (e.g. 3f2504e0-4f89-11d3-9a0c-0305e82c3301).");
            return null;
        }

        var eventType = Str("eventType", 100, required: true);
        var eventCategory = Str("eventCategory", 50, required: true);
        var leadId = Uuid("leadId");
        var leadAirtableId = Str("leadAirtableId", 255);
        var description = Str("description", MaxDescription, required: true);
        var messageContent = Str("messageContent", 100_000);
        var source = Str("source", 100, required: true);
        var executionId = Str("executionId", 255, allowNumber: true);
        var createdBy = Uuid("createdBy");
        var actorType = Str("actorType", 20);
        var actorId = Str("actorId", 255);
        var correlationId = Uuid("correlationId");
        var relatedEntityType = Str("relatedEntityType", 100);
        var relatedEntityId = Str("relatedEntityId", 255, allowNumber: true);
        var idempotencyKey = Str("idempotencyKey", 255);
        var timestampText = Str("timestamp", 64);

        var reason = "validation";
        if (leadId is null && string.IsNullOrWhiteSpace(leadAirtableId) && !errors.ContainsKey(fieldPrefix + "leadId") && !errors.ContainsKey(fieldPrefix + "leadAirtableId"))
            Err("leadAirtableId", "leadAirtableId (or leadId) is required: every event belongs to a lead.");

        ActivityType? type = null;
        if (eventType is not null)
        {
            type = await types.FindAsync(eventType, ct);
            if (type is null)
            {
                reason = "unknown_event_type";
                var valid = (await types.GetAllAsync(ct)).Keys.Order(StringComparer.Ordinal);
                Err("eventType", $"Unknown eventType '{eventType}'. Valid types: {string.Join(", ", valid)}.");
            }
        }
        if (eventCategory is not null)
        {
            if (!EventCategories.All.Contains(eventCategory))
                Err("eventCategory", $"Unknown eventCategory '{eventCategory}'. Valid categories: {string.Join(", ", EventCategories.All)}.");
            else if (type is not null && type.Category != eventCategory)
                Err("eventCategory", $"eventCategory '{eventCategory}' does not match eventType {type.Name}, whose category is {type.Category}.");
        }

        string? metadata = null;
        if (json.TryGetProperty("metadata", out var meta) && meta.ValueKind != JsonValueKind.Null)
        {
            if (meta.ValueKind != JsonValueKind.Object) Err("metadata", "metadata must be a JSON object.");
            else if (InvalidText(meta)) Err("metadata", "metadata must be valid Unicode text (it contains an unpaired \\uD800-\\uDFFF escape).");
            else if (ContainsNul(meta)) Err("metadata", "metadata must not contain NUL characters.");
            else if (OutOfRangeNumber(meta) is { } number) Err("metadata", $"metadata holds a number PostgreSQL cannot store ({Clip(number, 40)}); send it as a string.");
            else metadata = meta.GetRawText();
        }

        if (source is not null)
        {
            if (source.Any(c => char.IsWhiteSpace(c) || char.IsControl(c)))
                Err("source", "source must not contain spaces or control characters (e.g. n8n:kJMMZ10anu4NqYUL or ui:note-add).");
            else if (caller.SourcePrefix is { Length: > 0 } prefix && !source.StartsWith(prefix, StringComparison.Ordinal))
                Err("source", $"This API key may only write sources starting with '{prefix}'.");
        }

        if (actorType is not null && !ActorTypes.All.Contains(actorType))
            Err("actorType", $"actorType must be one of: {string.Join(", ", ActorTypes.All)}.");

        var now = clock.GetUtcNow();
        var timestamp = context.DefaultTimestamp ?? now;
        if (timestampText is not null)
        {
            if (!HasZone(timestampText) || !DateTimeOffset.TryParse(timestampText, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal, out timestamp))
                Err("timestamp", "timestamp must be ISO-8601 with a time zone, e.g. 2025-11-07T08:15:05Z.");
            else if (timestamp > now + MaxFutureSkew)
                Err("timestamp", "timestamp is more than a day in the future.");
            else if (timestamp.Year < 2000)
                Err("timestamp", "timestamp is before the year 2000.");
        }

        if (errors.Count > 0) return Fail(errors, reason);

        // Without a key, a retry is recognised by the PRD's natural key of an n8n write: what the caller
        // sent, not the server's clock. With neither executionId nor timestamp there is no natural key.
        var stable = idempotencyKey is not null || executionId is not null || timestampText is not null;
        idempotencyKey ??= executionId is null && timestampText is null
            ? context.FallbackKey ?? "auto:" + Guid.NewGuid().ToString("N")
            : DerivedKey(source!, executionId, eventType!, leadAirtableId ?? leadId?.ToString(), timestampText is null ? null : timestamp);

        return new Result(new NewActivity
        {
            EventType = eventType!, EventCategory = eventCategory!, LeadId = leadId, LeadAirtableId = leadAirtableId,
            ClientId = caller.ClientId, Description = description!, MessageContent = messageContent, Metadata = metadata,
            Source = source!, ExecutionId = executionId, CreatedBy = createdBy,
            Timestamp = timestamp, ActorType = actorType ?? (createdBy is null ? ActorTypes.System : ActorTypes.Human),
            ActorId = actorId ?? createdBy?.ToString(), CorrelationId = correlationId, RelatedEntityType = relatedEntityType,
            RelatedEntityId = relatedEntityId, IdempotencyKey = idempotencyKey,
        }, [], "", stable);
    }

    public static string DerivedKey(string source, string? executionId, string eventType, string? lead, DateTimeOffset? timestamp)
    {
        var natural = string.Join('\u001f', source, executionId ?? "", eventType, lead ?? "", timestamp?.UtcDateTime.ToString("O") ?? "");
        return "auto:" + Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(natural)))[..40].ToLowerInvariant();
    }

    private static bool HasZone(string s) => s.EndsWith('Z') || s.EndsWith('z') ||
        (s.Length > 6 && (s[^6] is '+' or '-') && s[^3] == ':') || (s.Length > 5 && (s[^5] is '+' or '-') && char.IsDigit(s[^1]) && s.Contains('T'));

    private static bool ContainsNul(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.String => e.GetString()!.Contains('\0'),
        JsonValueKind.Object => e.EnumerateObject().Any(p => p.Name.Contains('\0') || ContainsNul(p.Value)),
        JsonValueKind.Array => e.EnumerateArray().Any(ContainsNul),
        _ => false,
    };

    private static bool InvalidText(JsonElement e)
    {
        try
        {
            return e.ValueKind switch
            {
                JsonValueKind.String => HasUnpairedSurrogate(e.GetString()!),
                JsonValueKind.Object => e.EnumerateObject().Any(p => HasUnpairedSurrogate(p.Name) || InvalidText(p.Value)),
                JsonValueKind.Array => e.EnumerateArray().Any(InvalidText),
                _ => false,
            };
        }
        catch (InvalidOperationException) { return true; } // an escape System.Text.Json cannot turn into a string
    }

    internal static bool HasUnpairedSurrogate(string s)
    {
        for (var i = 0; i < s.Length; i++)
        {
            if (char.IsHighSurrogate(s[i]) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1])) { i++; continue; }
            if (char.IsSurrogate(s[i])) return true;
        }
        return false;
    }

    // jsonb keeps numbers as PostgreSQL numeric, whose exponent range is far smaller than JSON's.
    private static string? OutOfRangeNumber(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Number => e.GetRawText() is var raw && (raw.Length > 1000 || (raw.IndexOfAny(['e', 'E']) is var at && at >= 0
            && (!int.TryParse(raw[(at + 1)..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var exp) || Math.Abs(exp) > 1000))) ? raw : null,
        JsonValueKind.Object => e.EnumerateObject().Select(p => OutOfRangeNumber(p.Value)).FirstOrDefault(n => n is not null),
        JsonValueKind.Array => e.EnumerateArray().Select(OutOfRangeNumber).FirstOrDefault(n => n is not null),
        _ => null,
    };

    private static string Clip(string s, int max) => s.Length <= max ? s : s[..max] + "…";

    private static Result Fail(Dictionary<string, List<string>> errors, string reason) =>
        new(null, errors.ToDictionary(kv => kv.Key, kv => kv.Value.ToArray()), reason);
}
