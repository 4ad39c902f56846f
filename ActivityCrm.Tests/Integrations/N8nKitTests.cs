using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using ActivityCrm.Tests.Infrastructure;

namespace ActivityCrm.Tests.Integrations;

/// <summary>
/// The n8n kit (integrations/n8n) against the real API: the workflow's own "Prepare Activity Log Entry"
/// code runs in Node.js exactly as n8n runs it, and its output is posted the way the HTTP node posts it.
/// </summary>
public sealed class N8nKitTests(AppFactory app) : IClassFixture<AppFactory>
{
    private static readonly string KitDir = Path.Combine(RepoRoot.Path, "integrations", "n8n");
    private static readonly string WorkflowPath = Path.Combine(KitDir, "activitycrm-log-activity.workflow.json");

    [Fact]
    public async Task What_the_workflow_sends_is_stored_once_and_its_retries_are_duplicates()
    {
        var (_, airtableId) = await app.CreateLeadAsync("John", "Smith");
        var items = new object[]
        {
            new { eventType = "MESSAGE_SENT", eventCategory = "SMS", leadAirtableId = airtableId,
                  message_text = "Hey John, saw your form submission. If you want help mapping your ChatGPT use cases, reply YES.",
                  metadata = new { campaign_id = "chatgpt_use_cases", phone = "4085551234" } },
            new { eventType = "BOOKING_CONFIRMED", eventCategory = "BOOKING", leadAirtableId = airtableId,
                  description = "Calendly booking confirmed", metadata = new { scheduled_at = "2025-11-10T14:00:00Z" } },
        };
        var bodies = await PrepareAsync(items, executionId: "28973");
        var http = HttpNode();

        using var client = app.ApiClient();
        var ids = new List<Guid>();
        foreach (var body in bodies)
        {
            var response = await PostAsync(client, http.Path, body);
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
            ids.Add((await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("activityId").GetGuid());
        }

        // The HTTP node's retry re-sends the very same body: nothing new is stored.
        foreach (var (body, i) in bodies.Select((b, i) => (b, i)))
        {
            var retry = await PostAsync(client, http.Path, body);
            Assert.Equal(HttpStatusCode.OK, retry.StatusCode);
            var json = await retry.Content.ReadFromJsonAsync<JsonElement>();
            Assert.True(json.GetProperty("duplicate").GetBoolean());
            Assert.Equal(ids[i], json.GetProperty("activityId").GetGuid());
        }

        Assert.Equal(2, await app.ScalarAsync<long>("SELECT count(*) FROM lead_activity_log WHERE lead_airtable_id = @a", ("a", airtableId)));
        Assert.Equal("SMS sent: Hey John, saw your form submission. If you want he...",
            await app.ScalarAsync<string>("SELECT description FROM lead_activity_log WHERE id = @id", ("id", ids[0])));
        Assert.Equal("n8n:kJMMZ10anu4NqYUL",
            await app.ScalarAsync<string>("SELECT source FROM lead_activity_log WHERE id = @id", ("id", ids[0])));
        Assert.Equal("chatgpt_use_cases",
            await app.ScalarAsync<string>("SELECT metadata->>'campaign_id' FROM lead_activity_log WHERE id = @id", ("id", ids[0])));

        // A later execution of the workflow is a new event, not a duplicate.
        var next = await PrepareAsync(items[..1], executionId: "28974");
        Assert.Equal(HttpStatusCode.Created, (await PostAsync(client, http.Path, next[0])).StatusCode);
    }

    [Fact]
    public void The_http_node_retries_three_times_and_routes_failures_to_the_retry_queue_with_the_exact_body()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(WorkflowPath));
        var nodes = doc.RootElement.GetProperty("nodes").EnumerateArray().ToDictionary(n => n.GetProperty("name").GetString()!);
        var http = nodes["Write to Activity Log"];
        Assert.Equal("n8n-nodes-base.httpRequest", http.GetProperty("type").GetString());
        Assert.True(http.GetProperty("retryOnFail").GetBoolean());
        Assert.Equal(3, http.GetProperty("maxTries").GetInt32());
        Assert.Equal("continueErrorOutput", http.GetProperty("onError").GetString());
        Assert.Equal("httpHeaderAuth", http.GetProperty("parameters").GetProperty("genericAuthType").GetString());
        Assert.Equal("={{ JSON.stringify($json) }}", http.GetProperty("parameters").GetProperty("jsonBody").GetString());

        // The error output (index 1) of the HTTP node feeds the Retry_Queue, which feeds the alert.
        var connections = doc.RootElement.GetProperty("connections");
        var errorOutput = connections.GetProperty("Write to Activity Log").GetProperty("main")[1];
        Assert.Equal("Fallback to Retry_Queue", errorOutput[0].GetProperty("node").GetString());
        Assert.Equal("Alert DevOps", connections.GetProperty("Fallback to Retry_Queue").GetProperty("main")[0][0].GetProperty("node").GetString());

        var columns = nodes["Fallback to Retry_Queue"].GetProperty("parameters").GetProperty("columns").GetProperty("value");
        foreach (var column in new[] { "queue_id", "operation_type", "lead_id", "payload", "retry_count", "next_retry_at", "created_at" })
            Assert.True(columns.TryGetProperty(column, out _), $"Retry_Queue column {column} missing");
        Assert.Contains("JSON.stringify($('Prepare Activity Log Entry').item.json)", columns.GetProperty("payload").GetString());
    }

    private static (string Path, string Method) HttpNode()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(WorkflowPath));
        var p = doc.RootElement.GetProperty("nodes").EnumerateArray().Single(n => n.GetProperty("name").GetString() == "Write to Activity Log").GetProperty("parameters");
        var url = p.GetProperty("url").GetString()!;
        return (url[url.IndexOf("/api/", StringComparison.Ordinal)..], p.GetProperty("method").GetString()!);
    }

    private static Task<HttpResponseMessage> PostAsync(HttpClient client, string path, string body) =>
        client.PostAsync(path, new StringContent(body, Encoding.UTF8, "application/json"));

    /// <summary>Runs the workflow's Code node in Node.js (integrations/n8n/preview-payload.js) and returns each body.</summary>
    private static async Task<List<string>> PrepareAsync(object[] items, string executionId)
    {
        var itemsFile = Path.GetTempFileName();
        await File.WriteAllTextAsync(itemsFile, JsonSerializer.Serialize(items));
        var psi = new ProcessStartInfo("node") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { Path.Combine(KitDir, "preview-payload.js"), WorkflowPath, itemsFile, executionId, "kJMMZ10anu4NqYUL" })
            psi.ArgumentList.Add(a);
        Process p;
        try { p = Process.Start(psi)!; }
        catch (System.ComponentModel.Win32Exception e) { throw new InvalidOperationException("Node.js (`node`) is needed to run the n8n kit's Code node.", e); }
        var stdout = await p.StandardOutput.ReadToEndAsync();
        var stderr = await p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        File.Delete(itemsFile);
        Assert.True(p.ExitCode == 0, stderr);
        using var doc = JsonDocument.Parse(stdout);
        return doc.RootElement.EnumerateArray().Select(e => e.GetRawText()).ToList();
    }

}
