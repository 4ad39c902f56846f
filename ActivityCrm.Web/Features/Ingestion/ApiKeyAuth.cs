using ActivityCrm.Data.ApiKeys;

namespace ActivityCrm.Web.Features.Ingestion;

/// <summary>Machine endpoints authenticate with the x-api-key header only (never a cookie).</summary>
public sealed class ApiKeyFilter(ApiKeyStore keys) : IEndpointFilter
{
    public const string Header = "x-api-key";

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        ApiKeyIdentity? key;
        var presented = http.Request.Headers[Header].FirstOrDefault();
        try
        {
            key = await keys.AuthenticateAsync(presented, http.RequestAborted);
        }
        catch (Exception e) when (DatabaseErrors.IsUnavailable(e))
        {
            // The key cannot be checked now; an event endpoint keeps the request until it can (see DeadLetters).
            if (http.GetEndpoint()?.Metadata.GetMetadata<KeepDuringOutage>() is { } keep)
                await http.RequestServices.GetRequiredService<DeadLetters>().KeepUnverifiedAsync(http, keep, presented);
            return DatabaseErrors.Unavailable(http);
        }
        if (key is null)
            return TypedResults.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Missing or invalid API key",
                detail: $"Send a valid, unrevoked key in the {Header} header.");
        http.Items[typeof(ApiKeyIdentity)] = key;
        return await next(context);
    }
}

public static class HttpContextApiKeyExtensions
{
    public static ApiKeyIdentity ApiKey(this HttpContext http) => (ApiKeyIdentity)http.Items[typeof(ApiKeyIdentity)]!;
}
