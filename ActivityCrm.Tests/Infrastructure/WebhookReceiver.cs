using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace ActivityCrm.Tests.Infrastructure;

/// <summary>
/// A real HTTP server (Kestrel on a free port) standing in for Slack's incoming webhook: records every message
/// posted to it, and can be told to fail the next requests with 500 to exercise the sender's retries.
/// </summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly List<JsonElement> _received = [];
    private int _failNext;
    private int _attempts;

    private WebhookReceiver(WebApplication app) => _app = app;

    public string Url { get; private set; } = "";
    public int Attempts => Volatile.Read(ref _attempts);

    /// <summary>Answer the next <paramref name="count"/> posts with 500 (they are not recorded).</summary>
    public void FailNext(int count) => Volatile.Write(ref _failNext, count);

    public static async Task<WebhookReceiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var receiver = new WebhookReceiver(app);
        app.MapPost("/hook", async (HttpRequest request) =>
        {
            Interlocked.Increment(ref receiver._attempts);
            using var doc = await JsonDocument.ParseAsync(request.Body);
            if (Interlocked.Decrement(ref receiver._failNext) >= 0) return Results.StatusCode(500);
            lock (receiver._received) receiver._received.Add(doc.RootElement.Clone());
            return Results.Text("ok");
        });
        await app.StartAsync();
        receiver.Url = app.Urls.First() + "/hook";
        return receiver;
    }

    public IReadOnlyList<JsonElement> Messages { get { lock (_received) return _received.ToList(); } }

    /// <summary>The "text" of every message received so far.</summary>
    public IReadOnlyList<string> Texts => Messages.Select(m => m.GetProperty("text").GetString()!).ToList();

    public int Count(string fragment) => Texts.Count(t => t.Contains(fragment, StringComparison.Ordinal));

    /// <summary>Waits until a message containing <paramref name="fragment"/> has arrived.</summary>
    public async Task<string> WaitForAsync(string fragment, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(45));
        while (DateTime.UtcNow < deadline)
        {
            if (Texts.FirstOrDefault(t => t.Contains(fragment, StringComparison.Ordinal)) is { } found) return found;
            await Task.Delay(100);
        }
        throw new TimeoutException($"No webhook message containing '{fragment}'. Received:\n{string.Join("\n---\n", Texts)}");
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
