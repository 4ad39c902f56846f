namespace ActivityCrm.Tests.Infrastructure;

/// <summary>Builders for ingestion payloads: a valid event by default, tests change only what they test.</summary>
public static class EventPayloads
{
    public static Dictionary<string, object?> Sms(string leadAirtableId, string? text = null) => new()
    {
        ["eventType"] = "MESSAGE_SENT",
        ["eventCategory"] = "SMS",
        ["leadAirtableId"] = leadAirtableId,
        ["description"] = $"SMS sent: {text ?? "Hey John, saw your form submission"}",
        ["messageContent"] = text ?? "Hey John, saw your form submission. If you want help...",
        ["metadata"] = new Dictionary<string, object?> { ["campaign_id"] = "chatgpt_use_cases", ["phone"] = "4085551234" },
        ["source"] = "n8n:kJMMZ10anu4NqYUL",
        ["executionId"] = Random.Shared.Next(1, int.MaxValue).ToString(),
        ["timestamp"] = DateTimeOffset.UtcNow.ToString("yyyy-MM-ddTHH:mm:ss.fffZ"),
    };

    public static Dictionary<string, object?> With(this Dictionary<string, object?> payload, string field, object? value)
    {
        var copy = new Dictionary<string, object?>(payload) { [field] = value };
        return copy;
    }

    public static Dictionary<string, object?> Without(this Dictionary<string, object?> payload, string field)
    {
        var copy = new Dictionary<string, object?>(payload);
        copy.Remove(field);
        return copy;
    }
}
