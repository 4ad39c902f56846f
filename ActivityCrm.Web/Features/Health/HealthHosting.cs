using ActivityCrm.Data.Health;
using ActivityCrm.Web.Features.Health.Alerts;
using Microsoft.AspNetCore.Components.Server.Circuits;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace ActivityCrm.Web.Features.Health;

public static class HealthHosting
{
    /// <summary>The health page's figures (ingestion timings, live connections, source and lifecycle reports) and the alerts.</summary>
    public static void AddActivityCrmHealth(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<HealthOptions>().Bind(builder.Configuration.GetSection(HealthOptions.Section));
        builder.Services.AddOptions<AlertOptions>().Bind(builder.Configuration.GetSection(AlertOptions.Section));
        builder.Services.AddSingleton<IngestionTimings>();
        builder.Services.AddSingleton<LiveConnections>();
        builder.Services.TryAddEnumerable(ServiceDescriptor.Scoped<CircuitHandler, CircuitCounter>());
        builder.Services.AddSingleton<HealthMonitor>();

        builder.Services.AddSingleton<AlertStore>();
        builder.Services.AddSingleton<AlertConditions>();
        builder.Services.AddSingleton<AlertNotifier>();
        builder.Services.AddHttpClient(AlertNotifier.HttpClientName);
        builder.Services.AddSingleton<AlertService>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<AlertService>());
    }
}
