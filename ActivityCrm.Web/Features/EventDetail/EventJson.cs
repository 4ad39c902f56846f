using System.Text.Encodings.Web;
using System.Text.Json;

namespace ActivityCrm.Web.Features.EventDetail;

/// <summary>Metadata for reading: indented, with characters as they are (Blazor HTML-encodes the text it
/// renders, so "&lt;script&gt;" shows as text and never runs).</summary>
public static class EventJson
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static string Pretty(string? json)
    {
        if (string.IsNullOrWhiteSpace(json)) return "";
        try
        {
            using var doc = JsonDocument.Parse(json);
            return JsonSerializer.Serialize(doc.RootElement, Indented);
        }
        catch (JsonException)
        {
            return json;
        }
    }

    public static IReadOnlyList<string> TopLevelKeys(string? json)
    {
        if (string.IsNullOrWhiteSpace(json)) return [];
        try
        {
            using var doc = JsonDocument.Parse(json);
            return doc.RootElement.ValueKind == JsonValueKind.Object ? doc.RootElement.EnumerateObject().Select(p => p.Name).ToList() : [];
        }
        catch (JsonException)
        {
            return [];
        }
    }
}
