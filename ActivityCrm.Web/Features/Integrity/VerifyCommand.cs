using ActivityCrm.Data.Integrity;

namespace ActivityCrm.Web.Features.Integrity;

/// <summary>`dotnet run --project ActivityCrm.Web -- verify`: the integrity check for scripts and cron.
/// Exit code 0 when every unredacted event matches its hash, 1 on any mismatch.</summary>
public static class VerifyCommand
{
    public const string Usage = "verify                 recompute every event's content hash; exit 1 if any does not match";

    public static async Task<int> RunAsync(WebApplication app, string[] args)
    {
        var check = app.Services.GetRequiredService<IntegrityCheck>();
        var lastShown = DateTime.MinValue;
        var progress = new InlineProgress<IntegrityProgress>(p =>
        {
            if (DateTime.UtcNow - lastShown < TimeSpan.FromSeconds(2)) return;
            lastShown = DateTime.UtcNow;
            Console.Error.WriteLine($"  {p.Checked:N0} / ~{p.Total:N0} events checked ({p.Fraction:P0})");
        });
        Console.WriteLine("Verifying the content hash of every event ...");
        var report = await check.RunAsync(progress);
        Console.WriteLine($"Checked:    {report.Checked:N0} events in {report.Elapsed.TotalSeconds:N1} s ({report.RowsPerSecond:N0}/s)");
        Console.WriteLine($"Verified:   {report.Verified:N0}");
        Console.WriteLine($"Redacted:   {report.Redacted:N0} (not verifiable: they keep the hash of what they held)");
        Console.WriteLine($"Mismatched: {report.Mismatched:N0}");
        foreach (var id in report.MismatchedIds) Console.WriteLine($"  mismatch: {id}");
        if (report.Mismatched > report.MismatchedIds.Count)
            Console.WriteLine($"  ... and {report.Mismatched - report.MismatchedIds.Count:N0} more");
        Console.WriteLine(report.Clean ? "OK: no event was changed after it was written." : "FAILED: the events above were changed after they were written.");
        return report.Clean ? 0 : 1;
    }
}
