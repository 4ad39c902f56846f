using System.Globalization;
using System.Text.Json;
using ActivityCrm.Data.Activities;

namespace ActivityCrm.Web.Features.Leads.Timeline;

/// <summary>How an entry is drawn. Unknown and admin-added types fall back to <see cref="Generic"/>.</summary>
public enum TimelineKind { Generic, Redacted, StatusChange, ScoreUpdate, Booking, Message, Nurture, Enrichment, Campaign, Call, Note, Claim }

/// <summary>An event on the timeline with its metadata parsed once (renderers read fields, never raw JSON).</summary>
public sealed class TimelineEvent
{
    private static readonly HashSet<string> Inbound = ["INBOUND_REPLY", "EMAIL_RECEIVED", "QUALIFYING_ANSWER_CAPTURED", "OPT_OUT"];
    private static readonly HashSet<string> Messages =
        ["MESSAGE_SENT", "INBOUND_REPLY", "AI_RESPONSE_SENT", "EMAIL_SENT", "EMAIL_RECEIVED", "QUALIFYING_QUESTION_ASKED", "QUALIFYING_ANSWER_CAPTURED", "OPT_OUT"];

    private TimelineEvent(ActivityRow row, JsonElement? meta)
    {
        Row = row;
        Meta = meta;
        Kind = KindOf(row);
    }

    public ActivityRow Row { get; }
    /// <summary>The metadata object, or null when there is none (or it is not an object).</summary>
    public JsonElement? Meta { get; }
    public TimelineKind Kind { get; }
    public Guid Id => Row.Id;
    public bool IsInbound => Inbound.Contains(Row.EventType);

    public static TimelineEvent From(ActivityRow row)
    {
        JsonElement? meta = null;
        if (row.Metadata is { Length: > 0 } json)
        {
            try
            {
                using var doc = JsonDocument.Parse(json);
                if (doc.RootElement.ValueKind == JsonValueKind.Object) meta = doc.RootElement.Clone();
            }
            catch (JsonException) { } // stored as jsonb, so only a hand-built row gets here; show it without metadata
        }
        return new TimelineEvent(row, meta);
    }

    public static TimelineKind KindOf(ActivityRow row) => row switch
    {
        { RedactedAt: not null } => TimelineKind.Redacted,
        { EventType: "STATUS_CHANGED" } => TimelineKind.StatusChange,
        { EventType: "ICP_SCORE_UPDATED" } => TimelineKind.ScoreUpdate,
        { EventType: "ENRICHMENT_COMPLETED" } => TimelineKind.Enrichment,
        { EventType: "CALL_LOGGED" } => TimelineKind.Call,
        { EventType: "NOTE_ADDED" } => TimelineKind.Note,
        { EventType: "LEAD_CLAIMED" } => TimelineKind.Claim,
        { EventType: var t } when t.StartsWith("BOOKING_", StringComparison.Ordinal) => TimelineKind.Booking,
        { EventType: var t } when t.StartsWith("NURTURE_", StringComparison.Ordinal) => TimelineKind.Nurture,
        { EventType: var t } when t.StartsWith("CAMPAIGN_", StringComparison.Ordinal) => TimelineKind.Campaign,
        { EventType: var t, MessageContent: { Length: > 0 } } when Messages.Contains(t) => TimelineKind.Message,
        _ => TimelineKind.Generic,
    };

    /// <summary>A string or number field as text; null when absent, null or empty.</summary>
    public string? Text(string name)
    {
        if (Meta is not { } m || !m.TryGetProperty(name, out var v)) return null;
        var s = v.ValueKind switch
        {
            JsonValueKind.String => v.GetString(),
            JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False => v.GetRawText(),
            _ => null,
        };
        return string.IsNullOrWhiteSpace(s) ? null : s;
    }

    public int? Int(string name)
    {
        if (Meta is not { } m || !m.TryGetProperty(name, out var v)) return null;
        if (v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var n)) return n;
        return v.ValueKind == JsonValueKind.String && int.TryParse(v.GetString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var p) ? p : null;
    }

    public DateTimeOffset? Time(string name) =>
        Text(name) is { } s && DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t) ? t : null;

    public IReadOnlyList<string> Strings(string name) =>
        Meta is { } m && m.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Array
            ? v.EnumerateArray().Where(x => x.ValueKind == JsonValueKind.String).Select(x => x.GetString()!).ToList()
            : [];

    /// <summary>Every scalar field, in stored order (for generic cards and enrichment).</summary>
    public IReadOnlyList<(string Name, string Value)> Fields() =>
        Meta is { } m
            ? m.EnumerateObject().Select(p => (p.Name, Value: Text(p.Name) ?? (p.Value.ValueKind == JsonValueKind.Array ? string.Join(", ", Strings(p.Name)) : null)))
                .Where(f => f.Value is { Length: > 0 }).Select(f => (f.Name, f.Value!)).ToList()
            : [];

    public string PrettyMetadata() =>
        Meta is { } m ? JsonSerializer.Serialize(m, new JsonSerializerOptions { WriteIndented = true }) : "";
}
