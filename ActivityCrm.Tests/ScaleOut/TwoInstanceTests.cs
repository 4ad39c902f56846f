using System.Net.Http.Json;
using ActivityCrm.Tests.Infrastructure;
using Microsoft.Playwright;

namespace ActivityCrm.Tests.ScaleOut;

/// <summary>
/// Two app processes on one database, as behind a load balancer. Each gets a home folder of its own, so the only
/// key ring they can share is the one in the database (ASP.NET Core's default would be ~/.aspnet/DataProtection-Keys).
/// </summary>
public sealed class TwoInstanceFixture : BrowserFixture
{
    private readonly string _home = Path.Combine(Path.GetTempPath(), $"activitycrm-home-{Guid.NewGuid():N}");

    public AppProcess Second { get; private set; } = null!;

    protected override IReadOnlyDictionary<string, string> AppSettings => Home("one");

    public IReadOnlyDictionary<string, string> Home(string name, params (string Key, string Value)[] extra)
    {
        var dir = Path.Combine(_home, name);
        Directory.CreateDirectory(dir);
        var settings = new Dictionary<string, string> { ["HOME"] = dir };
        foreach (var (k, v) in extra) settings[k] = v;
        return settings;
    }

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        Second = await AppProcess.StartAsync(Database.ConnectionString, Home("two"));
    }

    public override async Task DisposeAsync()
    {
        await Second.DisposeAsync();
        await base.DisposeAsync();
        try { Directory.Delete(_home, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}

[Collection(AppProcessCollection.Name)]
public sealed class TwoInstanceTests(TwoInstanceFixture fx) : IClassFixture<TwoInstanceFixture>
{
    [Fact]
    public async Task A_user_signed_in_on_one_instance_is_signed_in_on_the_other_and_sees_events_ingested_there_live()
    {
        // Signed in through instance 1 (the cookie is for 127.0.0.1, whatever the port), then routed to instance 2.
        var page = await fx.SignedInPageAsync("/admin");
        await page.GotoAsync($"{fx.Second.BaseUrl}/admin");
        Assert.StartsWith($"{fx.Second.BaseUrl}/admin", page.Url);
        await BrowserFixture.WaitForCircuitAsync(page);
        await Assertions.Expect(page.GetByTestId("current-user")).ToContainTextAsync(AppFactory.AdminEmail);

        // An event ingested on instance 1 reaches the page served by instance 2, with no reload.
        var description = $"Cross-instance push {Guid.NewGuid():N}";
        using var http = new HttpClient { BaseAddress = new Uri(fx.App.BaseUrl) };
        http.DefaultRequestHeaders.Add("x-api-key", AppFactory.ApiKey);
        (await http.PostAsJsonAsync("/api/internal/log-activity", EventPayloads.Sms("recSCALE0001").With("description", description))).EnsureSuccessStatusCode();
        await Assertions.Expect(page.GetByText(description)).ToBeVisibleAsync(new() { Timeout = 10_000 });

        // Both instances use the one key they agreed on at start-up.
        await using var ds = fx.Database.CreateDataSource();
        await using var cmd = ds.CreateCommand("SELECT count(*) FROM data_protection_keys");
        Assert.Equal(1L, await cmd.ExecuteScalarAsync());
        fx.AssertNoConsoleErrors();
    }

    [Fact]
    public async Task An_instance_with_another_application_name_does_not_accept_the_cookie()
    {
        // The control: same database and key ring, but another application name isolates the cookies.
        await using var stranger = await AppProcess.StartAsync(fx.Database.ConnectionString, fx.Home("three", ("DataProtection:ApplicationName", "SomethingElse")));
        var page = await fx.SignedInPageAsync("/admin");
        await page.GotoAsync($"{stranger.BaseUrl}/admin");
        Assert.Contains("/account/login", page.Url);
    }
}
