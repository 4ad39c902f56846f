using Microsoft.Playwright;

namespace ActivityCrm.Tests.Infrastructure;

/// <summary>
/// A real app process on its own database plus Debian's Chromium driven by Playwright. Pages record
/// browser console errors; <see cref="AssertNoConsoleErrors"/> fails a test on any outside the allow-list.
/// </summary>
public class BrowserFixture : IAsyncLifetime
{
    // Expected noise: negotiation/reconnect errors while a server is deliberately down, and aborted
    // enhanced-navigation fetches when a page navigates away mid-request.
    public static readonly string[] ConsoleAllowList =
    [
        "ERR_ABORTED", "net::ERR_CONNECTION_REFUSED", "Failed to complete negotiation", "WebSocket closed with status code",
        "Connection disconnected", "Failed to start the connection", "Error: Server returned an error on close",
    ];

    private static readonly SemaphoreSlim PlaywrightGate = new(1, 1);
    private static IPlaywright? _playwright;
    private static IBrowser? _browser;

    public TestDatabase Database { get; private set; } = null!;
    public AppProcess App { get; private set; } = null!;
    public IBrowser Browser => _browser!;
    public List<string> ConsoleErrors { get; } = [];

    // Every context this fixture opened, closed when the class is done: a page left open after its app has
    // stopped keeps retrying the circuit and costs the rest of the run CPU.
    private readonly List<IBrowserContext> _contexts = [];

    protected virtual IReadOnlyDictionary<string, string> AppSettings => new Dictionary<string, string>();

    public virtual async Task InitializeAsync()
    {
        Database = await TestDatabase.CreateAsync();
        App = await AppProcess.StartAsync(Database.ConnectionString, AppSettings);
        await PlaywrightGate.WaitAsync();
        try
        {
            _playwright ??= await Playwright.CreateAsync();
            _browser ??= await _playwright.Chromium.LaunchAsync(new()
            {
                ExecutablePath = "/usr/bin/chromium", Headless = true,
                Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"],
            });
        }
        finally { PlaywrightGate.Release(); }
    }

    public async Task<IPage> NewPageAsync(int width = 1400, int height = 900)
    {
        var context = await Browser.NewContextAsync(new() { ViewportSize = new() { Width = width, Height = height }, BaseURL = App.BaseUrl });
        lock (_contexts) _contexts.Add(context);
        var page = await context.NewPageAsync();
        page.Console += (_, msg) =>
        {
            if (msg.Type == "error" && !ConsoleAllowList.Any(a => msg.Text.Contains(a))) lock (ConsoleErrors) ConsoleErrors.Add(msg.Text);
        };
        page.PageError += (_, error) => { lock (ConsoleErrors) ConsoleErrors.Add("pageerror: " + error); };
        return page;
    }

    /// <summary>Signs in through the real form; the page then shows <paramref name="path"/> with a live circuit.</summary>
    public async Task<IPage> SignedInPageAsync(string path = "/", string? email = null, string? password = null, int width = 1400, int height = 900)
    {
        var page = await NewPageAsync(width, height);
        await page.GotoAsync($"/account/login?returnUrl={Uri.EscapeDataString(path)}");
        await page.GetByLabel("Email").FillAsync(email ?? AppFactory.AdminEmail);
        await page.GetByLabel("Password").FillAsync(password ?? AppFactory.AdminPassword);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await page.WaitForURLAsync(url => !url.Contains("/account/login"));
        await WaitForCircuitAsync(page);
        return page;
    }

    /// <summary>Waits until Blazor's circuit is connected (the page is interactive).</summary>
    public static async Task WaitForCircuitAsync(IPage page) =>
        await page.WaitForFunctionAsync("() => window.Blazor !== undefined && document.querySelector('body') !== null && window.__acrmCircuitUp === true",
            null, new() { Timeout = 30_000 });

    public void AssertNoConsoleErrors()
    {
        lock (ConsoleErrors) Assert.True(ConsoleErrors.Count == 0, "Browser console errors:\n" + string.Join("\n", ConsoleErrors));
    }

    public async Task<string> ScreenshotAsync(IPage page, string name)
    {
        var dir = Path.Combine(AppContext.BaseDirectory, "screenshots");
        Directory.CreateDirectory(dir);
        var file = Path.Combine(dir, name + ".png");
        await page.ScreenshotAsync(new() { Path = file, FullPage = true });
        return file;
    }

    public virtual async Task DisposeAsync()
    {
        IBrowserContext[] contexts;
        lock (_contexts) contexts = [.. _contexts];
        foreach (var context in contexts)
        {
            try { await context.CloseAsync(); }
            catch (PlaywrightException) { } // already closed by the test
        }
        await App.DisposeAsync();
        await Database.DisposeAsync();
    }
}
