using System.Buffers.Text;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace ActivityCrm.Data.Activities;

/// <summary>
/// A keyset position: the sort key of the row a page starts after (older side, <see cref="Before"/> false)
/// or before (newer side). Opaque to clients (base64url JSON); rows arriving meanwhile never shift a page.
/// </summary>
/// <param name="Key">The leading sort value for sort=lead (lead name; null for events of leads not yet
/// synced) or sort=type (event type).</param>
/// <param name="LeadKey">For sort=lead: the lead id, or for an orphan its Airtable id.</param>
public sealed partial record ActivityCursor(ActivitySort Sort, bool Before, DateTimeOffset Timestamp, Guid Id, string? Key = null, string? LeadKey = null)
{
    private const int Version = 1;

    public string Encode()
    {
        var json = JsonSerializer.SerializeToUtf8Bytes(new Wire(Version, ActivityFilter.SortName(Sort), Before ? "b" : "a",
            Timestamp.UtcTicks, Id, Key, LeadKey), WireContext.Default.Wire);
        return Base64Url.EncodeToString(json);
    }

    public static bool TryDecode(string text, out ActivityCursor? cursor)
    {
        cursor = null;
        if (text.Length is 0 or > 2000) return false;
        try
        {
            var wire = JsonSerializer.Deserialize(Base64Url.DecodeFromChars(text), WireContext.Default.Wire);
            if (wire is null || wire.V != Version || wire.D is not ("a" or "b") || !ActivityFilter.TryParseSort(wire.S ?? "", out var sort)) return false;
            if (wire.T < DateTimeOffset.MinValue.UtcTicks || wire.T > DateTimeOffset.MaxValue.UtcTicks) return false;
            if (sort == ActivitySort.Type && wire.K is null) return false;
            // sort=lead: a synced lead's cursor carries its name and id, an orphan's only its Airtable id.
            if (sort == ActivitySort.Lead && (wire.L is null || (wire.K is not null && !Guid.TryParse(wire.L, out _)))) return false;
            cursor = new ActivityCursor(sort, wire.D == "b", new DateTimeOffset(wire.T, TimeSpan.Zero), wire.I, wire.K, wire.L);
            return true;
        }
        catch (Exception e) when (e is FormatException or JsonException or ArgumentException)
        {
            return false;
        }
    }

    /// <summary>The cursor pointing at <paramref name="row"/> for <paramref name="sort"/>.</summary>
    public static ActivityCursor At(ActivityRow row, ActivitySort sort, bool before) => sort switch
    {
        ActivitySort.Type => new(sort, before, row.Timestamp, row.Id, row.EventType),
        ActivitySort.Lead => new(sort, before, row.Timestamp, row.Id, row.LeadId is null ? null : row.LeadName ?? "",
            row.LeadId?.ToString() ?? row.LeadAirtableId ?? ""),
        _ => new(sort, before, row.Timestamp, row.Id),
    };

    internal sealed record Wire(int V, string? S, string? D, long T, Guid I, string? K, string? L);

    [JsonSerializable(typeof(Wire))]
    [JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
    internal sealed partial class WireContext : JsonSerializerContext;
}
