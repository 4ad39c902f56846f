using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using ActivityCrm.Tests.Infrastructure;

namespace ActivityCrm.Tests.Recovery;

/// <summary>Given/when helpers for the recovery tests: signed-in admin clients, dead letters, replays.</summary>
public static class RecoveryHelpers
{
    /// <summary>The bootstrap admin, signed in through the real form (see <see cref="SignIn"/>).</summary>
    public static Task<HttpClient> AdminClientAsync(this AppFactory app) =>
        app.SignedInAsync(AppFactory.AdminEmail, AppFactory.AdminPassword);

    /// <summary>Posts an event with the API key; returns the dead letter it became (or throws if it was stored).</summary>
    public static async Task<Guid> RejectedEventAsync(this AppFactory app, object payload)
    {
        using var client = app.ApiClient();
        var body = JsonSerializer.Serialize(payload, JsonSerializerOptions.Web);
        var response = await client.PostAsync("/api/internal/log-activity", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));
        if ((int)response.StatusCode != 400) throw new InvalidOperationException($"Expected a rejection, got {response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        return await app.ScalarAsync<Guid>("SELECT id FROM ingestion_failures WHERE payload = @p ORDER BY received_at DESC LIMIT 1", ("p", body));
    }

    public static async Task<JsonElement> ReplayAsync(this HttpClient admin, params Guid[] ids)
    {
        var response = await admin.PostAsJsonAsync("/api/admin/dead-letters/replay", new { ids });
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    public static string[] Statuses(this JsonElement replay) =>
        replay.GetProperty("results").EnumerateArray().Select(r => r.GetProperty("status").GetString()!).ToArray();

    public static Task<long> EventCountAsync(this AppFactory app, string airtableId) =>
        app.ScalarAsync<long>("SELECT count(*) FROM lead_activity_log WHERE lead_airtable_id = @a", ("a", airtableId));

    public static Task<string> DeadLetterStatusAsync(this AppFactory app, Guid id) =>
        app.ScalarAsync<string>("SELECT status FROM ingestion_failures WHERE id = @id", ("id", id));

    public static string UniqueAirtableId(string prefix = "rec") => $"{prefix}{Guid.NewGuid():N}"[..17];

    /// <summary>`dotnet ActivityCrm.Web.dll &lt;args&gt;` against a database, as an operator runs a command; exit code and all output.</summary>
    public static async Task<(int Code, string Output)> RunAppCommandAsync(string connectionString, params string[] args)
    {
        var (webDir, dll) = AppProcess.LocateWeb();
        var psi = new ProcessStartInfo("dotnet") { WorkingDirectory = webDir, RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(dll);
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["ConnectionStrings__ActivityCrm"] = connectionString;
        psi.Environment["Bootstrap__ApiKey"] = AppFactory.ApiKey;
        psi.Environment["Bootstrap__AdminEmail"] = AppFactory.AdminEmail;
        psi.Environment["Bootstrap__AdminPassword"] = AppFactory.AdminPassword;
        psi.Environment["Logging__LogLevel__Default"] = "Warning";
        using var p = Process.Start(psi)!;
        var output = Task.WhenAll(p.StandardOutput.ReadToEndAsync(), p.StandardError.ReadToEndAsync());
        await p.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(180));
        return (p.ExitCode, string.Concat(await output));
    }

}
