using System.Net.Http.Json;
using ActivityCrm.Data.Postgres;
using ActivityCrm.Tests.Infrastructure;
using ActivityCrm.Tests.Ingestion;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace ActivityCrm.Tests.Health;

/// <summary>Alert settings for the tests: a check every second, resolution as soon as the condition is good.</summary>
internal static class AlertTestSettings
{
    public static void Apply(IWebHostBuilder builder, string webhookUrl)
    {
        builder.UseSetting("Alerts:WebhookUrl", webhookUrl);
        builder.UseSetting("Alerts:IntervalSeconds", "1");
        builder.UseSetting("Alerts:ResolveAfterSeconds", "0");
        builder.UseSetting("Alerts:DatabaseFailuresBeforeAlert", "2");
        builder.UseSetting("Alerts:LifecycleGapThreshold", "3");
        builder.UseSetting("Alerts:PublicUrl", "https://crm.example.test");
    }

    public const string DeadLettersOpened = ":rotating_light: *Dead letters";
    public const string DeadLettersResolved = "*Resolved: Dead letters";

    /// <summary>Long enough for several checks to run (one a second).</summary>
    public static Task SeveralChecksAsync() => Task.Delay(TimeSpan.FromSeconds(4));

    public static async Task PostUnknownTypesAsync(HttpClient client, int count)
    {
        for (var i = 0; i < count; i++)
        {
            var response = await client.PostAsJsonAsync("/api/internal/log-activity", EventPayloads.Sms("recALERT01").With("eventType", "NOT_A_TYPE"));
            Assert.Equal(System.Net.HttpStatusCode.BadRequest, response.StatusCode);
        }
    }
}

public sealed class AlertAppFactory : AppFactory
{
    public WebhookReceiver Receiver { get; private set; } = null!;

    public override async Task InitializeAsync()
    {
        Receiver = await WebhookReceiver.StartAsync();
        await base.InitializeAsync();
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        AlertTestSettings.Apply(builder, Receiver.Url);
    }

    protected override async Task OnDisposedAsync() => await Receiver.DisposeAsync();
}

public sealed class DeadLetterAlertTests(AlertAppFactory app) : IClassFixture<AlertAppFactory>
{
    [Fact]
    public async Task Dead_letters_raise_one_alert_however_many_arrive_retried_until_delivered_and_one_recovery_once_handled()
    {
        var receiver = app.Receiver;
        receiver.FailNext(2); // the webhook is down for the first two attempts
        using var client = app.ApiClient();
        await AlertTestSettings.PostUnknownTypesAsync(client, 3);

        var alert = await receiver.WaitForAsync(AlertTestSettings.DeadLettersOpened);
        Assert.Contains("3 requests rejected", alert);
        Assert.Contains("n8n:kJMMZ10anu4NqYUL: 3", alert);
        Assert.Contains("<https://crm.example.test/admin/health|Open the health page>", alert);
        Assert.True(receiver.Attempts >= 3, $"expected the two failed attempts to be retried, saw {receiver.Attempts} attempts");

        await AlertTestSettings.PostUnknownTypesAsync(client, 2); // more of the same incident
        await AlertTestSettings.SeveralChecksAsync();
        Assert.Equal(1, receiver.Count(AlertTestSettings.DeadLettersOpened));
        Assert.Equal(0, receiver.Count(AlertTestSettings.DeadLettersResolved));

        // An admin replays or discards them: the incident is over.
        await app.ExecAsync("UPDATE ingestion_failures SET status = 'discarded', resolved_at = now(), resolution_note = 'test'");
        var recovery = await receiver.WaitForAsync(AlertTestSettings.DeadLettersResolved);
        Assert.Contains("No new dead letters", recovery);
        await AlertTestSettings.SeveralChecksAsync();
        Assert.Equal(1, receiver.Count(AlertTestSettings.DeadLettersOpened));
        Assert.Equal(1, receiver.Count(AlertTestSettings.DeadLettersResolved));

        // Slack-compatible: plain text for every receiver, the same as blocks, and the condition key for context.
        var message = receiver.Messages[0];
        Assert.Equal("section", message.GetProperty("blocks")[0].GetProperty("type").GetString());
        Assert.Contains("`dead-letters`", message.GetProperty("blocks")[1].GetProperty("elements")[0].GetProperty("text").GetString());
        Assert.Equal(2, await app.ScalarAsync<long>("SELECT send_failures FROM alert_state WHERE key = 'dead-letters'"));
        Assert.Equal(1, await app.ScalarAsync<long>("SELECT count(*) FROM alert_state WHERE key = 'dead-letters' AND resolved_at IS NOT NULL AND open_sent_at IS NOT NULL AND resolve_sent_at IS NOT NULL"));
    }
}

public sealed class QuietAndLifecycleAlertTests(AlertAppFactory app) : IClassFixture<AlertAppFactory>
{
    [Fact]
    public async Task A_quiet_source_and_piled_up_lifecycle_gaps_alert_once_each_and_recover_once_each()
    {
        var now = DateTimeOffset.UtcNow;
        var source = HealthTestData.Source();
        await app.DataSource.AppendAsync(HealthTestData.Steady(source, now.AddDays(-7).AddHours(-2), now.AddHours(-1), TimeSpan.FromMinutes(5)));
        var leads = new List<Guid>();
        for (var i = 0; i < 4; i++)
        {
            var lead = await app.DataSource.LeadAsync();
            leads.Add(lead);
            await app.DataSource.AppendOneAsync(HealthTestData.Event("n8n:sms-test", now.AddMinutes(-40), "MESSAGE_SENT", leadId: lead));
        }

        var quiet = await app.Receiver.WaitForAsync($"*Source {source} went quiet*");
        Assert.Contains("0 events in the last hour where 12.0 were expected", quiet);
        var gaps = await app.Receiver.WaitForAsync("*MESSAGE_SENT events are missing their follow-up*");
        Assert.Contains("4 MESSAGE_SENT events", gaps);
        Assert.Contains("MESSAGE_DELIVERED or MESSAGE_FAILED within 30 min", gaps);
        await AlertTestSettings.SeveralChecksAsync();
        Assert.Equal(1, app.Receiver.Count($"*Source {source} went quiet*"));
        Assert.Equal(1, app.Receiver.Count("*MESSAGE_SENT events are missing their follow-up*"));

        await app.DataSource.AppendAsync(HealthTestData.Steady(source, now.AddMinutes(-50), DateTimeOffset.UtcNow, TimeSpan.FromMinutes(5)));
        foreach (var lead in leads)
            await app.DataSource.AppendOneAsync(HealthTestData.Event("n8n:st-delivery-test", now.AddMinutes(-30), "MESSAGE_DELIVERED", leadId: lead));

        Assert.Contains("is sending again", await app.Receiver.WaitForAsync($"*Resolved: Source {source} went quiet*"));
        Assert.Contains("0 waiting", await app.Receiver.WaitForAsync("*Resolved: MESSAGE_SENT events are missing their follow-up*"));
        await AlertTestSettings.SeveralChecksAsync();
        Assert.Equal(4, app.Receiver.Texts.Count);
    }
}

/// <summary>The app on a PostgreSQL server of its own (stopped by the test) with alerts going to a local receiver.</summary>
public sealed class OutageAlertAppFactory : OwnServerAppFactory
{
    public WebhookReceiver Receiver { get; private set; } = null!;

    public override async Task InitializeAsync()
    {
        Receiver = await WebhookReceiver.StartAsync();
        await base.InitializeAsync();
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        AlertTestSettings.Apply(builder, Receiver.Url);
    }

    protected override async Task OnDisposedAsync()
    {
        await base.OnDisposedAsync();
        await Receiver.DisposeAsync();
    }
}

public sealed class DatabaseOutageAlertTests(OutageAlertAppFactory app) : IClassFixture<OutageAlertAppFactory>
{
    [Fact]
    public async Task A_database_outage_is_one_alert_and_one_recovery_message()
    {
        await AlertTestSettings.SeveralChecksAsync();
        Assert.Empty(app.Receiver.Texts); // a healthy start says nothing

        await app.PgServer.StopAsync();
        try
        {
            var alert = await app.Receiver.WaitForAsync(":rotating_light: *Database unreachable from");
            Assert.Contains("Ingestion answers 503", alert);
            await Task.Delay(TimeSpan.FromSeconds(5)); // the outage goes on: still one alert
            Assert.Equal(1, app.Receiver.Count("*Database unreachable from"));
        }
        finally
        {
            await EmbeddedPostgres.StartAsync(app.PgServer.DataDirectory);
        }

        var recovery = await app.Receiver.WaitForAsync("*Resolved: Database unreachable from");
        Assert.Contains("answers", recovery);
        await AlertTestSettings.SeveralChecksAsync();
        Assert.Equal(1, app.Receiver.Count(":rotating_light: *Database unreachable from"));
        Assert.Equal(1, app.Receiver.Count("*Resolved: Database unreachable from"));
        Assert.Equal(2, app.Receiver.Texts.Count);
        // Written to the shared history once the database was back.
        Assert.Equal(1, await app.ScalarAsync<long>(
            "SELECT count(*) FROM alert_state WHERE key LIKE 'database:%' AND resolved_at IS NOT NULL AND open_sent_at IS NOT NULL AND resolve_sent_at IS NOT NULL"));
    }
}

/// <summary>Two app instances (two hosts) on one database, both checking alerts every second.</summary>
public sealed class TwoAlertingInstancesFactory : AppFactory
{
    public WebhookReceiver Receiver { get; private set; } = null!;
    public WebApplicationFactory<Program> Second { get; private set; } = null!;

    public override async Task InitializeAsync()
    {
        Receiver = await WebhookReceiver.StartAsync();
        await base.InitializeAsync();
        Second = WithWebHostBuilder(_ => { });
        _ = Second.Server;
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        AlertTestSettings.Apply(builder, Receiver.Url);
    }

    protected override async Task OnDisposedAsync() => await Receiver.DisposeAsync();
}

public sealed class TwoInstanceAlertTests(TwoAlertingInstancesFactory app) : IClassFixture<TwoAlertingInstancesFactory>
{
    [Fact]
    public async Task Two_instances_checking_the_same_database_send_one_alert_and_one_recovery()
    {
        using var client = app.ApiClient();
        await AlertTestSettings.PostUnknownTypesAsync(client, 2);
        await app.Receiver.WaitForAsync(AlertTestSettings.DeadLettersOpened);
        await AlertTestSettings.SeveralChecksAsync();
        Assert.Equal(1, app.Receiver.Count(AlertTestSettings.DeadLettersOpened));

        await app.ExecAsync("UPDATE ingestion_failures SET status = 'replayed', resolved_at = now()");
        await app.Receiver.WaitForAsync(AlertTestSettings.DeadLettersResolved);
        await AlertTestSettings.SeveralChecksAsync();
        Assert.Equal(1, app.Receiver.Count(AlertTestSettings.DeadLettersResolved));
        Assert.Equal(2, app.Receiver.Texts.Count);
    }
}
