using ActivityCrm.Web.Features.Ingestion;
using ActivityCrm.Web.Hosting;

namespace ActivityCrm.Web.Features.Imports;

/// <summary>
/// `dotnet run --project ActivityCrm.Web -- import sms-audit FILE.csv [--dry-run]` and `... import retry-queue FILE.csv`:
/// the same imports as the /admin/imports page, with progress on the console. Exit codes: 0 done, 1 the file
/// cannot be imported (missing, unreadable, wrong columns), 2 wrong usage, 3 the database is unreachable.
/// </summary>
public static class ImportCommands
{
    public const string Usage = "import sms-audit FILE.csv [--dry-run]  |  import retry-queue FILE.csv";

    public static void AddImports(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<RetryQueueImport>();
        builder.Services.AddSingleton<SmsAuditBackfill>();
        Commands.Register("import", Usage, RunAsync);
    }

    private static async Task<int> RunAsync(WebApplication app, string[] args)
    {
        var dryRun = args.Contains("--dry-run");
        var positional = args.Where(a => !a.StartsWith("--")).ToList();
        if (positional.Count != 2 || positional[0] is not ("sms-audit" or "retry-queue"))
        {
            Console.Error.WriteLine($"Usage: {Usage}");
            return 2;
        }
        var (kind, path) = (positional[0], positional[1]);
        if (!File.Exists(path))
        {
            Console.Error.WriteLine($"No such file: {Path.GetFullPath(path)}");
            return 1;
        }
        if (dryRun && kind == "retry-queue")
        {
            Console.Error.WriteLine("--dry-run is for sms-audit; a Retry_Queue import is idempotent, so importing it twice changes nothing.");
            return 2;
        }

        await using var file = File.OpenRead(path);
        var progress = new ConsoleProgress();
        try
        {
            Console.WriteLine($"{(kind == "sms-audit" ? "SMS_Audit backfill" : "Retry_Queue import")}{(dryRun ? " (dry run: nothing is written)" : "")}: {Path.GetFullPath(path)} ({file.Length:N0} bytes)");
            if (kind == "sms-audit")
            {
                var report = await app.Services.GetRequiredService<SmsAuditBackfill>().RunAsync(file, dryRun, progress);
                progress.Done();
                foreach (var line in ImportText.Describe(report)) Console.WriteLine(line);
            }
            else
            {
                var report = await app.Services.GetRequiredService<RetryQueueImport>().ImportAsync(file, progress);
                progress.Done();
                foreach (var line in ImportText.Describe(report)) Console.WriteLine(line);
            }
            return 0;
        }
        catch (ImportFileException e)
        {
            Console.Error.WriteLine($"The file cannot be imported: {e.Message}");
            return 1;
        }
        catch (Exception e) when (e is ImportDatabaseUnavailableException || DatabaseErrors.IsUnavailable(e))
        {
            Console.Error.WriteLine(e is ImportDatabaseUnavailableException ? e.Message : "The database is unreachable; nothing more was imported. Run the import again when it is back (it is idempotent).");
            return 3;
        }
    }

    /// <summary>Prints a line at most every 2 seconds, and every 10 %, so a big file shows it is moving.</summary>
    private sealed class ConsoleProgress : IProgress<ImportProgress>
    {
        private DateTime _last = DateTime.MinValue;
        private int _lastDecile = -1;

        public void Report(ImportProgress value)
        {
            var decile = (int)((value.Percent ?? 0) / 10);
            if (decile == _lastDecile && DateTime.UtcNow - _last < TimeSpan.FromSeconds(2)) return;
            _last = DateTime.UtcNow;
            _lastDecile = decile;
            Console.WriteLine($"  {value.Percent ?? 0,5:0.0}%  {value.Rows,10:N0} rows");
        }

        public void Done() => Console.WriteLine("  100.0%  done");
    }
}
