using System.Net.Http.Json;
using ActivityCrm.Data.Entities;
using Microsoft.Extensions.Options;

namespace ActivityCrm.Web.Features.Health.Alerts;

public sealed record DeliveryResult(bool Delivered, string Outcome);

/// <summary>
/// Posts alert messages to Alerts:WebhookUrl as a Slack incoming webhook expects them: {"text": ...} (shown by
/// every Slack-compatible receiver) plus, unless Alerts:IncludeBlocks is false, the same as Block Kit blocks.
/// A failed delivery is reported, never thrown: the caller keeps the message and retries at the next check.
/// </summary>
public sealed class AlertNotifier(IHttpClientFactory httpClients, IOptionsMonitor<AlertOptions> options, ILogger<AlertNotifier> log)
{
    public const string HttpClientName = "alerts";

    public Task<DeliveryResult> OpenedAsync(AlertIncident incident, CancellationToken ct) =>
        SendAsync($":rotating_light: *{Escape(incident.Title)}*\n{Escape(incident.Detail)}", incident, ct);

    public Task<DeliveryResult> ResolvedAsync(AlertIncident incident, CancellationToken ct) =>
        SendAsync($":white_check_mark: *Resolved: {Escape(incident.Title)}*\n{Escape(incident.ResolvedDetail ?? "Back to normal.")}" +
                  $" (open for {Duration((incident.ResolvedAt ?? incident.LastSeenAt) - incident.OpenedAt)})", incident, ct);

    private async Task<DeliveryResult> SendAsync(string body, AlertIncident incident, CancellationToken ct)
    {
        var o = options.CurrentValue;
        if (string.IsNullOrWhiteSpace(o.WebhookUrl)) return new(true, "no webhook configured");

        var link = o.PublicUrl is { Length: > 0 } url ? $"\n<{url.TrimEnd('/')}/admin/health|Open the health page>" : "";
        var text = $"[{Escape(o.Name)}] {body}{link}";
        object payload = o.IncludeBlocks
            ? new
            {
                text,
                blocks = new object[]
                {
                    new { type = "section", text = new { type = "mrkdwn", text } },
                    new { type = "context", elements = new[] { new { type = "mrkdwn", text = $"{Escape(o.Name)} · `{Escape(incident.Key)}` · {Escape(incident.Instance ?? HealthMonitor.Instance)}" } } },
                },
            }
            : new { text };
        try
        {
            using var client = httpClients.CreateClient(HttpClientName);
            client.Timeout = TimeSpan.FromSeconds(Math.Clamp(o.TimeoutSeconds, 1, 120));
            using var response = await client.PostAsJsonAsync(o.WebhookUrl, payload, ct);
            if (response.IsSuccessStatusCode) return new(true, "sent");
            log.LogWarning("Alert webhook answered {Status} for {Key}; retrying at the next check", (int)response.StatusCode, incident.Key);
            return new(false, $"failed: HTTP {(int)response.StatusCode} {response.ReasonPhrase} (retried at the next check)");
        }
        catch (Exception e) when (!ct.IsCancellationRequested && e is HttpRequestException or TaskCanceledException or InvalidOperationException or UriFormatException)
        {
            log.LogWarning("Alert webhook failed for {Key} ({Message}); retrying at the next check", incident.Key, e.Message);
            return new(false, $"failed: {e.Message} (retried at the next check)");
        }
    }

    /// <summary>Slack's mrkdwn treats &amp;, &lt; and &gt; as control characters.</summary>
    private static string Escape(string s) => s.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;");

    private static string Duration(TimeSpan t) =>
        t.TotalMinutes < 1 ? $"{Math.Max(0, t.TotalSeconds):N0} s" : t.TotalHours < 1 ? $"{t.TotalMinutes:N0} min" : $"{t.TotalHours:N1} h";
}
