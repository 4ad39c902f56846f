using System.Text.RegularExpressions;
using ActivityCrm.Tests.Infrastructure;
using Microsoft.AspNetCore.Mvc.Testing;

namespace ActivityCrm.Tests.ActivityBrowser;

/// <summary>An HttpClient signed in through the real form (antiforgery token and all), as a browser or curl -c would be.</summary>
public static partial class CookieClient
{
    public static async Task<HttpClient> SignedInAsync(this AppFactory app, string email, string password)
    {
        var client = app.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true });
        var form = await client.GetStringAsync("/account/login");
        var token = AntiforgeryToken().Match(form).Groups[1].Value;
        var response = await client.PostAsync("/account/login", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["email"] = email, ["password"] = password, ["returnUrl"] = "/", ["__RequestVerificationToken"] = token,
        }));
        Assert.Equal(System.Net.HttpStatusCode.Redirect, response.StatusCode);
        Assert.DoesNotContain("error=", response.Headers.Location?.ToString() ?? "");
        return client;
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\"[^>]*value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryToken();
}
