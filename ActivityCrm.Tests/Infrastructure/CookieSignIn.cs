using AngleSharp.Html.Parser;
using Microsoft.AspNetCore.Mvc.Testing;

namespace ActivityCrm.Tests.Infrastructure;

/// <summary>A client signed in through the real sign-in form (antiforgery token and all), holding the auth cookie.</summary>
public static class CookieSignIn
{
    public static async Task<HttpClient> SignedInClientAsync(this AppFactory app, string email, string password)
    {
        var client = app.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true });
        var form = new HtmlParser().ParseDocument(await client.GetStringAsync("/account/login"));
        var token = form.QuerySelector("input[name=__RequestVerificationToken]")?.GetAttribute("value")
                    ?? throw new InvalidOperationException("The sign-in form has no antiforgery token.");
        var response = await client.PostAsync("/account/login", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["email"] = email, ["password"] = password, ["returnUrl"] = "/", ["__RequestVerificationToken"] = token,
        }));
        if (response.Headers.Location?.OriginalString.Contains("error=") != false)
            throw new InvalidOperationException($"Sign-in as {email} failed ({(int)response.StatusCode} → {response.Headers.Location}).");
        return client;
    }
}
