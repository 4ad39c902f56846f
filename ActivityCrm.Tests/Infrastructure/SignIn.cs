using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Mvc.Testing;

namespace ActivityCrm.Tests.Infrastructure;

/// <summary>Signing in the way a browser does: the real form, its antiforgery token, the session cookie kept.</summary>
public static partial class SignIn
{
    /// <summary>A client with a cookie jar that has not signed in yet (redirects are not followed).</summary>
    public static HttpClient CookieClient(this AppFactory app) =>
        app.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true });

    /// <summary>Posts the sign-in form; returns where it sent the browser (the target, or back with ?error=...).</summary>
    public static async Task<HttpResponseMessage> PostLoginAsync(this HttpClient client, string email, string password, string returnUrl = "/")
    {
        var form = await client.GetStringAsync("/account/login");
        return await client.PostAsync("/account/login", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["email"] = email, ["password"] = password, ["returnUrl"] = returnUrl, ["__RequestVerificationToken"] = AntiforgeryToken(form),
        }));
    }

    public static async Task<HttpClient> SignedInAsync(this AppFactory app, string email, string password = TestUsers.Password)
    {
        var client = app.CookieClient();
        var response = await client.PostLoginAsync(email, password);
        Assert.True(response.StatusCode == HttpStatusCode.Redirect && !response.Headers.Location!.ToString().Contains("error"),
            $"Sign-in of {email} failed: {(int)response.StatusCode} {response.Headers.Location}");
        return client;
    }

    public static async Task<(Guid Id, string Email, HttpClient Client)> SignedInUserAsync(this AppFactory app, string role)
    {
        var (id, email) = await TestUsers.CreateAsync(app.Database.ConnectionString, role);
        return (id, email, await app.SignedInAsync(email));
    }

    public static string AntiforgeryToken(string html) => Token().Match(html) is { Success: true } m
        ? WebUtility.HtmlDecode(m.Groups[1].Value)
        : throw new InvalidOperationException("No antiforgery token in the page.");

    /// <summary>Stores an event through the ingestion API with the suite's key; returns its id.</summary>
    public static async Task<Guid> PostEventAsync(this AppFactory app, Dictionary<string, object?> payload)
    {
        using var client = app.ApiClient();
        var response = await client.PostAsJsonAsync("/api/internal/log-activity", payload);
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("activityId").GetGuid();
    }

    [GeneratedRegex("<input[^>]*name=\"__RequestVerificationToken\"[^>]*value=\"([^\"]+)\"")]
    private static partial Regex Token();
}
