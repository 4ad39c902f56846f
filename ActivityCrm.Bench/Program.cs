using System.Diagnostics;
using ActivityCrm.Bench;
using ActivityCrm.Data.Demo;
using Npgsql;

// ActivityCrm.Bench: generates N realistic events (default 10 million) and measures ingestion, reads,
// export and live updates against the real app, next to PostgreSQL's own limits measured in the same run.
// Usage: dotnet run -c Release --project ActivityCrm.Bench -- [--events N] [--leads N] [--duration SECONDS]
//        [--data-dir DIR] [--report docs/benchmarks.md] [--skip analytics,reads,export,live,ingestion]
var options = Options.Parse(args);
var total = Stopwatch.StartNew();
var report = new Report();
var notes = new List<string>();
Console.WriteLine($"ActivityCrm.Bench: {options.Events:N0} events over {options.Leads:N0} leads, data in {options.DataDir}");

var db = await BenchDatabase.StartAsync(options.DataDir);
await using var server = db.Server; // stopped when the run ends, after the app instances (disposed in reverse order)
var existing = await db.CountEventsAsync();
if (existing < options.Events)
{
    if (existing > 0) throw new InvalidOperationException($"{options.DataDir} holds {existing:N0} events, fewer than asked: delete the folder to regenerate.");
    Console.WriteLine("Generating data (binary COPY, indexes rebuilt after) ...");
    var heavy = 5;
    var load = await db.LoadAsync(new DemoDataOptions(Leads: options.Leads, Events: options.Events, Days: 365, HeavyLeads: heavy,
        HeavyLeadEvents: (int)Math.Min(50_000, options.Events / 20), OrphanLeads: 50));
    report.Add(new("Data", "Generated events (COPY + index build)", $"{options.Events:N0} in {load.TotalMinutes:N1} min", "", null,
        $"{options.Leads:N0} leads; {heavy} heavy leads with {Math.Min(50_000, options.Events / 20):N0} events each, the rest with tens"));
}
else
{
    report.Add(new("Data", "Events in the table", $"{existing:N0}", "", null, "reused from an earlier run's data folder"));
}

await using var ds = NpgsqlDataSource.Create(db.ConnectionString);
string[] leadAirtableIds;
await using (var cmd = ds.CreateCommand("SELECT airtable_record_id FROM leads WHERE airtable_record_id IS NOT NULL ORDER BY random() LIMIT 10000"))
{
    var list = new List<string>();
    await using var r = await cmd.ExecuteReaderAsync();
    while (await r.ReadAsync()) list.Add(r.GetString(0));
    leadAirtableIds = list.ToArray();
}

await using var app = await AppUnderTest.StartAsync(db.ConnectionString);
var duration = TimeSpan.FromSeconds(options.DurationSeconds);

if (!options.Skip.Contains("analytics"))
{
    Console.WriteLine("Analytics ...");
    await new ReadBench(ds, report).AnalyticsAsync();
}
if (!options.Skip.Contains("reads"))
{
    Console.WriteLine("Reads ...");
    await new ReadBench(ds, report).RunAsync();
}
if (!options.Skip.Contains("export"))
{
    Console.WriteLine("Export ...");
    await new ExportBench(ds, app, report).RunAsync(Math.Min(1_000_000, options.Events));
}
if (!options.Skip.Contains("live"))
{
    Console.WriteLine("Live updates ...");
    var live = new LiveBench(report);
    await live.RunAsync(app, app, "one instance");
    await using var second = await AppUnderTest.StartAsync(db.ConnectionString);
    await live.RunAsync(app, second, "posted to a second instance");
}
if (!options.Skip.Contains("ingestion"))
{
    Console.WriteLine("Ingestion ...");
    await new IngestionBench(db.ConnectionString, app, leadAirtableIds, duration, report).RunAsync();
}

var machine = $"{Environment.ProcessorCount} cores, {GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / (1L << 30)} GiB RAM, " +
              $"{System.Runtime.InteropServices.RuntimeInformation.OSDescription}, .NET {Environment.Version}, PostgreSQL {await ServerVersionAsync(ds)}";
notes.Add("PostgreSQL runs with durability on (fsync, synchronous_commit) and shared_buffers 4 GB; the app and the benchmark share the machine's 2 cores.");
notes.Add("Not covered here: sorting the browser by lead or event type (only the default newest-first order is timed), the browser's " +
          "rendering in Chromium (the read figures are the shared query code; the live figures include the circuit and the browser), and the " +
          "analytics refresher under a burst of ingestion (it runs incrementally in the app; the benchmark times the one-off full build).");
var markdown = report.ToMarkdown($"dotnet run -c Release --project ActivityCrm.Bench -- {string.Join(' ', args)}".TrimEnd(), machine, total.Elapsed, notes);
var reportPath = Path.GetFullPath(options.ReportPath, AppUnderTest.FindRoot());
await File.WriteAllTextAsync(reportPath, markdown);
Console.WriteLine($"Done in {total.Elapsed.TotalMinutes:N1} min; report written to {reportPath}");
var missed = report.Figures.Count(f => f.Met == false);
Console.WriteLine(missed == 0 ? "Every budget met." : $"{missed} budget(s) missed: see the report.");

static async Task<string> ServerVersionAsync(NpgsqlDataSource ds)
{
    await using var cmd = ds.CreateCommand("SHOW server_version");
    return (string)(await cmd.ExecuteScalarAsync())!;
}

internal sealed record Options(long Events, int Leads, int DurationSeconds, string DataDir, string ReportPath, HashSet<string> Skip)
{
    public static Options Parse(string[] args)
    {
        string? Value(string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();
        var events = long.Parse(Value("--events") ?? "10000000");
        return new Options(events, int.Parse(Value("--leads") ?? "100000"), int.Parse(Value("--duration") ?? "10"),
            Value("--data-dir") ?? Path.Combine(Path.GetTempPath(), $"activitycrm-bench-{events}"),
            Value("--report") ?? "docs/benchmarks.md",
            (Value("--skip") ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries).ToHashSet());
    }
}
