namespace ActivityCrm.Web.Hosting;

/// <summary>
/// `dotnet run --project ActivityCrm.Web -- &lt;command&gt;`: one-off commands that share the app's
/// configuration and database (integrity check, imports). Returns null when the app should serve.
/// </summary>
public static class Commands
{
    public delegate Task<int> Command(WebApplication app, string[] args);

    private static readonly Dictionary<string, (string Usage, Command Run)> Registry = new(StringComparer.OrdinalIgnoreCase);

    public static void Register(string name, string usage, Command run) => Registry[name] = (usage, run);

    public static async Task<int?> RunCommandAsync(this WebApplication app, string[] args)
    {
        if (args.Length == 0 || args[0].StartsWith('-') || args[0].Contains('=')) return null;
        if (!Registry.TryGetValue(args[0], out var command))
        {
            Console.Error.WriteLine($"Unknown command '{args[0]}'. Commands:");
            foreach (var (name, (usage, _)) in Registry.OrderBy(kv => kv.Key)) Console.Error.WriteLine($"  {usage}");
            return 2;
        }
        await app.PrepareDatabaseAsync();
        try
        {
            return await command.Run(app, args[1..]);
        }
        finally
        {
            // The host never starts for a command, so its shutdown hook would not stop the embedded cluster.
            if (app.Services.GetService<EmbeddedDatabase>() is { } embedded) await embedded.Server.StopAsync();
        }
    }
}
