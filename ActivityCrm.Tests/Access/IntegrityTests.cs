using System.Diagnostics;
using ActivityCrm.Data.Activities;
using ActivityCrm.Data.Entities;
using ActivityCrm.Data.Integrity;
using ActivityCrm.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace ActivityCrm.Tests.Access;

/// <summary>Tamper evidence: a row changed behind the trigger's back is found, by the service and the verify command.</summary>
public sealed class IntegrityTests(AppFactory app) : IClassFixture<AppFactory>
{
    private IntegrityCheck Check => app.Services.GetRequiredService<IntegrityCheck>();

    private Task TamperAsync(Guid id, string set) => app.TamperAsync(id, set);

    [Fact]
    public async Task The_check_finds_exactly_the_rows_changed_behind_the_triggers_back_and_sets_redacted_ones_apart()
    {
        var lead = await app.CreateLeadAsync();
        var ids = new List<Guid>();
        for (var i = 0; i < 12; i++) ids.Add(await app.PostEventAsync(EventPayloads.Sms(lead.AirtableId, $"message {i}")));
        var (adminId, _) = await TestUsers.CreateAsync(app.Database.ConnectionString, Roles.Admin);
        var redacted = await app.Services.GetRequiredService<Redaction>().RedactAsync(ids[0], "test", [], adminId);

        // Other tests of this class tamper too: compare with what was already there.
        var clean = await Check.RunAsync();
        Assert.DoesNotContain(clean.MismatchedIds, ids.Contains);
        Assert.Equal(await app.ScalarAsync<long>("SELECT count(*) FROM lead_activity_log"), clean.Checked);
        Assert.Equal(await app.ScalarAsync<long>("SELECT count(*) FROM lead_activity_log WHERE redacted_at IS NOT NULL"), clean.Redacted);

        await TamperAsync(ids[3], "description = 'SMS sent: a nicer story'");
        await TamperAsync(ids[7], "metadata = jsonb_set(metadata, '{phone}', '\"5550000000\"')");
        await TamperAsync(ids[9], "\"timestamp\" = \"timestamp\" - interval '1 day', content_hash = NULL");
        await TamperAsync(ids[0], "description = 'rewritten after the redaction'");

        var report = await Check.RunAsync();

        Assert.False(report.Clean);
        Assert.Equal(new[] { ids[3], ids[7], ids[9] }.Order(), report.MismatchedIds.Except(clean.MismatchedIds).Order());
        Assert.Equal(clean.Mismatched + 3, report.Mismatched);
        Assert.Equal(clean.Redacted, report.Redacted);
        Assert.Equal(clean.Verified - 3, report.Verified);
        Assert.NotEqual(Guid.Empty, redacted.RedactionEventId!.Value);
    }

    [Fact]
    public async Task The_checks_canonical_form_is_the_one_the_insert_trigger_hashed_for_awkward_content()
    {
        var lead = await app.CreateLeadAsync("Zoë", "O'Brien");
        var awkward = new[] { "quotes \" and \\ backslash", "line\nbreak\ttab\r", "émoji 🚀 and 中文", "control \u0001 char", "<b>html</b> & ;" };
        foreach (var text in awkward)
            await app.PostEventAsync(EventPayloads.Sms(lead.AirtableId, text)
                .With("metadata", new Dictionary<string, object?> { ["text"] = text, ["list"] = new object?[] { 1, 2.5, null, true, new { deep = text } }, ["n"] = 1e20 })
                .With("correlationId", Guid.NewGuid().ToString()).With("actorType", "agent").With("actorId", text));

        Assert.Equal(0L, await app.ScalarAsync<long>(
            $"SELECT count(*) FROM lead_activity_log a WHERE activity_content_hash(a) IS DISTINCT FROM {IntegrityCheck.CanonicalHashSql}"));
        var report = await Check.RunAsync();
        Assert.Equal(report.Checked, report.Verified + report.Redacted + report.Mismatched);
    }

    [Fact]
    public async Task Small_batches_walk_the_whole_table_once()
    {
        var lead = await app.CreateLeadAsync();
        for (var i = 0; i < 25; i++) await app.PostEventAsync(EventPayloads.Sms(lead.AirtableId));
        var progress = new List<IntegrityProgress>();

        var batched = await Check.RunAsync(new SyncProgress(progress.Add), batchSize: 7);
        var whole = await Check.RunAsync();

        Assert.Equal(whole.Checked, batched.Checked);
        Assert.Equal(whole.Verified, batched.Verified);
        Assert.Equal(await app.ScalarAsync<long>("SELECT count(*) FROM lead_activity_log"), batched.Checked);
        Assert.True(progress.Count >= batched.Checked / 7, $"{progress.Count} progress reports");
        Assert.Equal(batched.Checked, progress[^1].Checked);
        Assert.True(progress.Zip(progress.Skip(1)).All(p => p.First.Checked <= p.Second.Checked));
    }

    private sealed class SyncProgress(Action<IntegrityProgress> report) : IProgress<IntegrityProgress>
    {
        public void Report(IntegrityProgress value) => report(value);
    }
}

/// <summary>The command line check, on a database of its own (it must start clean).</summary>
public sealed class VerifyCommandTests(AppFactory app) : IClassFixture<AppFactory>
{
    [Fact]
    public async Task The_verify_command_exits_0_when_clean_and_1_listing_the_tampered_ids()
    {
        var lead = await app.CreateLeadAsync();
        var id = await app.PostEventAsync(EventPayloads.Sms(lead.AirtableId));

        var (cleanCode, cleanOutput) = await VerifyAsync();
        Assert.True(cleanCode == 0, cleanOutput);
        Assert.Contains("Mismatched: 0", cleanOutput);

        await app.TamperAsync(id, "message_content = 'not what was sent'");
        var (code, output) = await VerifyAsync();

        Assert.True(code == 1, output);
        Assert.Contains("Mismatched: 1", output);
        Assert.Contains($"mismatch: {id}", output);
    }

    private async Task<(int Code, string Output)> VerifyAsync()
    {
        var (webDir, dll) = AppProcess.LocateWeb();
        var psi = new ProcessStartInfo("dotnet") { WorkingDirectory = webDir, RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(dll);
        psi.ArgumentList.Add("verify");
        psi.Environment["ASPNETCORE_ENVIRONMENT"] = "Development";
        psi.Environment["ConnectionStrings__ActivityCrm"] = app.Database.ConnectionString;
        psi.Environment["Bootstrap__ApiKey"] = AppFactory.ApiKey;
        psi.Environment["Bootstrap__AdminEmail"] = AppFactory.AdminEmail;
        psi.Environment["Bootstrap__AdminPassword"] = AppFactory.AdminPassword;
        psi.Environment["Logging__LogLevel__Default"] = "Warning";
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync(new CancellationTokenSource(TimeSpan.FromMinutes(2)).Token);
        return (process.ExitCode, await stdout + await stderr);
    }
}

public static class Tampering
{
    /// <summary>What an attacker with database superuser rights would do: switch the guard off, rewrite, switch it on.</summary>
    public static Task TamperAsync(this AppFactory app, Guid id, string set) => app.ExecAsync($"""
        ALTER TABLE lead_activity_log DISABLE TRIGGER lead_activity_log_append_only;
        UPDATE lead_activity_log SET {set} WHERE id = @id;
        ALTER TABLE lead_activity_log ENABLE TRIGGER lead_activity_log_append_only;
        """, ("id", id));
}
