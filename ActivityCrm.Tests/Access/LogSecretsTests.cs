using System.Net;
using System.Net.Http.Json;
using ActivityCrm.Data.ApiKeys;
using ActivityCrm.Data.Entities;
using ActivityCrm.Tests.Infrastructure;
using Npgsql;

namespace ActivityCrm.Tests.Access;

/// <summary>The real app process with Information-level logs, so everything it logs can be searched.</summary>
public sealed class VerboseAppFixture : IAsyncLifetime
{
    public TestDatabase Database { get; private set; } = null!;
    public AppProcess App { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Database = await TestDatabase.CreateAsync();
        App = await AppProcess.StartAsync(Database.ConnectionString, new Dictionary<string, string>
        {
            ["Logging:LogLevel:Default"] = "Information", ["Logging:LogLevel:Microsoft.AspNetCore"] = "Information",
        });
    }

    public async Task DisposeAsync()
    {
        await App.DisposeAsync();
        await Database.DisposeAsync();
    }
}

[Collection(AppProcessCollection.Name)]
public sealed class LogSecretsTests(VerboseAppFixture fx) : IClassFixture<VerboseAppFixture>
{
    [Fact]
    public async Task No_password_or_api_key_reaches_the_log()
    {
        await using var dataSource = NpgsqlDataSource.Create(fx.Database.ConnectionString);
        var (keyId, secret) = await new ApiKeyStore(dataSource, TimeProvider.System).CreateAsync("Log check", null, null, null);
        var (_, email) = await TestUsers.CreateAsync(fx.Database.ConnectionString, Roles.Admin);

        using var keyed = new HttpClient { BaseAddress = new Uri(fx.App.BaseUrl) };
        keyed.DefaultRequestHeaders.Add("x-api-key", secret);
        Assert.Equal(HttpStatusCode.Created, (await keyed.PostAsJsonAsync("/api/internal/log-activity", EventPayloads.Sms("recLOGS00001"))).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await keyed.PostAsJsonAsync("/api/internal/log-activity", EventPayloads.Sms("recLOGS00001").With("eventType", "NOPE"))).StatusCode);
        await new ApiKeyStore(dataSource, TimeProvider.System).RevokeAsync(keyId);
        Assert.Equal(HttpStatusCode.Unauthorized, (await keyed.PostAsJsonAsync("/api/internal/log-activity", EventPayloads.Sms("recLOGS00001"))).StatusCode);

        var handler = new HttpClientHandler { CookieContainer = new CookieContainer(), AllowAutoRedirect = false };
        using var browser = new HttpClient(handler) { BaseAddress = new Uri(fx.App.BaseUrl) };
        foreach (var password in new[] { "Wrong-Password-77", TestUsers.Password })
        {
            var form = await browser.GetStringAsync("/account/login");
            await browser.PostAsync("/account/login", new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["email"] = email, ["password"] = password, ["returnUrl"] = "/", ["__RequestVerificationToken"] = SignIn.AntiforgeryToken(form),
            }));
        }
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync("/admin")).StatusCode);
        await Task.Delay(500); // let the log lines reach the captured output

        var log = fx.App.Output;
        Assert.Contains("Now listening on", log);
        foreach (var secretValue in new[] { secret, secret.Split('_')[2], AppFactory.ApiKey, AppFactory.AdminPassword, TestUsers.Password, "Wrong-Password-77" })
            Assert.DoesNotContain(secretValue, log);
        Assert.Contains("(the configured Bootstrap:ApiKey)", log);
    }
}
