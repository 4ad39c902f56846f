using ActivityCrm.Data.Activities;
using AngleSharp.Dom;
using AngleSharp.Html.Parser;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Web;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.JSInterop;
using Npgsql;

namespace ActivityCrm.Tests.Leads;

/// <summary>Renders timeline components to HTML with .NET's own HtmlRenderer (bUnit is not available) and
/// parses the result with AngleSharp, so tests query it like a page.</summary>
public static class TimelineRenderer
{
    private static readonly Lazy<IServiceProvider> Services = new(() =>
    {
        var services = new ServiceCollection();
        services.AddLogging();
        // EventTypeBadge asks the cache for admin-set colours; empty here, so the category defaults show (never queried).
        services.AddSingleton(new ActivityTypeCache(NpgsqlDataSource.Create("Host=unused.invalid"), TimeProvider.System));
        services.AddSingleton<IJSRuntime, NoJs>();
        services.AddSingleton<NavigationManager, FixedNavigation>();
        return services.BuildServiceProvider();
    });

    public static async Task<IDocument> RenderAsync<TComponent>(Dictionary<string, object?> parameters) where TComponent : IComponent
    {
        await using var renderer = new HtmlRenderer(Services.Value, Services.Value.GetRequiredService<ILoggerFactory>());
        var html = await renderer.Dispatcher.InvokeAsync(async () =>
            (await renderer.RenderComponentAsync<TComponent>(ParameterView.FromDictionary(parameters))).ToHtmlString());
        return new HtmlParser().ParseDocument(html);
    }

    private sealed class NoJs : IJSRuntime
    {
        public ValueTask<TValue> InvokeAsync<TValue>(string identifier, object?[]? args) => ValueTask.FromResult(default(TValue)!);
        public ValueTask<TValue> InvokeAsync<TValue>(string identifier, CancellationToken cancellationToken, object?[]? args) => ValueTask.FromResult(default(TValue)!);
    }

    private sealed class FixedNavigation : NavigationManager
    {
        public FixedNavigation() => Initialize("http://localhost/", "http://localhost/leads");
    }
}
