using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ActivityCrm.Data.Entities;
using ActivityCrm.Tests.Infrastructure;
using ActivityCrm.Web.Features.Users;
using Microsoft.Extensions.DependencyInjection;

namespace ActivityCrm.Tests.Access;

/// <summary>Sign-in, lockout, disabled users, password changes and role changes, through the real form and cookie.</summary>
public sealed class SignInTests(AppFactory app) : IClassFixture<AppFactory>
{
    private UserAdministration Admin => app.Services.GetRequiredService<UserAdministration>();

    [Fact]
    public async Task The_sign_in_page_states_the_lockout_rule()
    {
        var html = await app.CookieClient().GetStringAsync("/account/login");
        Assert.Contains("After 5 wrong passwords in a row the account is locked for 15 minutes.", html);
    }

    [Fact]
    public async Task Five_wrong_passwords_lock_the_account_for_15_minutes_even_against_the_right_password()
    {
        var (_, email) = await TestUsers.CreateAsync(app.Database.ConnectionString, Roles.Analyst);
        var client = app.CookieClient();
        for (var i = 1; i <= 4; i++)
            Assert.Contains("error=failed", (await client.PostLoginAsync(email, "Wrong-Password-1")).Headers.Location!.ToString());
        Assert.Contains("error=locked", (await client.PostLoginAsync(email, "Wrong-Password-1")).Headers.Location!.ToString());

        var right = await client.PostLoginAsync(email, TestUsers.Password);
        Assert.Contains("error=locked", right.Headers.Location!.ToString());
        var page = await client.GetStringAsync(right.Headers.Location);
        Assert.Contains("locked for 15 minutes", page);
        var lockedFor = await app.ScalarAsync<double>("SELECT extract(epoch FROM lockout_end - now()) FROM users WHERE email = @e", ("e", email));
        Assert.InRange(lockedFor, 14 * 60, 15 * 60 + 5);
        Assert.Equal(HttpStatusCode.Redirect, (await client.GetAsync("/")).StatusCode);
    }

    [Fact]
    public async Task A_disabled_user_cannot_sign_in_and_an_open_session_ends_on_its_next_request()
    {
        var (id, email, session) = await app.SignedInUserAsync(Roles.Analyst);
        Assert.Equal(HttpStatusCode.OK, (await session.GetAsync("/")).StatusCode);
        var (adminId, _) = await TestUsers.CreateAsync(app.Database.ConnectionString, Roles.SuperAdmin);

        Assert.True((await Admin.SetDisabledAsync(adminId, id, disabled: true)).Ok);

        var next = await session.GetAsync("/");
        Assert.Equal(HttpStatusCode.Redirect, next.StatusCode);
        Assert.StartsWith("/account/login", next.Headers.Location!.PathAndQuery);
        var again = await app.CookieClient().PostLoginAsync(email, TestUsers.Password);
        Assert.Contains("error=disabled", again.Headers.Location!.ToString());
        // Without the right password nobody learns that the account exists and is disabled.
        Assert.Contains("error=failed", (await app.CookieClient().PostLoginAsync(email, "Not-The-Password-9")).Headers.Location!.ToString());

        Assert.True((await Admin.SetDisabledAsync(adminId, id, disabled: false)).Ok);
        await app.SignedInAsync(email);
    }

    [Fact]
    public async Task A_role_change_applies_on_the_next_request_without_signing_out()
    {
        var (id, _, session) = await app.SignedInUserAsync(Roles.Analyst);
        var (adminId, _) = await TestUsers.CreateAsync(app.Database.ConnectionString, Roles.SuperAdmin);
        Assert.EndsWith("/account/denied", (await session.GetAsync("/admin")).Headers.Location!.AbsolutePath);

        Assert.True((await Admin.SetRolesAsync(adminId, id, [Roles.Admin])).Ok);

        Assert.Equal(HttpStatusCode.OK, (await session.GetAsync("/admin")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await session.GetAsync("/admin")).StatusCode);
    }

    [Fact]
    public async Task A_password_reset_ends_the_users_sessions_and_only_the_new_password_works()
    {
        var (id, email, session) = await app.SignedInUserAsync(Roles.ProgramManager);
        var (adminId, _) = await TestUsers.CreateAsync(app.Database.ConnectionString, Roles.SuperAdmin);

        var reset = await Admin.ResetPasswordAsync(adminId, id);

        Assert.True(reset.Ok);
        Assert.Equal(HttpStatusCode.Redirect, (await session.GetAsync("/")).StatusCode);
        Assert.Contains("error=failed", (await app.CookieClient().PostLoginAsync(email, TestUsers.Password)).Headers.Location!.ToString());
        await app.SignedInAsync(email, reset.Password!);
    }

    [Fact]
    public async Task Changing_my_password_keeps_this_session_ends_the_others_and_the_old_password_stops_working()
    {
        var (_, email, session) = await app.SignedInUserAsync(Roles.Analyst);
        var elsewhere = await app.SignedInAsync(email);
        var form = await session.GetStringAsync("/account/password");
        Assert.Contains("At least 10 characters, with an upper-case letter, a lower-case letter and a digit.", form);

        var wrong = await PostChangeAsync(session, form, "Not-My-Password-1", "Brand-New-Pass-42");
        Assert.Contains("The current password is wrong.", wrong);
        var weak = await PostChangeAsync(session, form, TestUsers.Password, "short");
        Assert.Contains("at least 10 characters", weak);

        var changed = await PostChangeAsync(session, form, TestUsers.Password, "Brand-New-Pass-42");

        Assert.Contains("Your password was changed", changed);
        Assert.Equal(HttpStatusCode.OK, (await session.GetAsync("/")).StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, (await elsewhere.GetAsync("/")).StatusCode);
        Assert.Contains("error=failed", (await app.CookieClient().PostLoginAsync(email, TestUsers.Password)).Headers.Location!.ToString());
        await app.SignedInAsync(email, "Brand-New-Pass-42");
    }

    [Fact]
    public async Task Staff_apis_answer_401_and_403_as_problem_json_not_a_sign_in_page()
    {
        var anonymous = await app.CookieClient().PostAsJsonAsync($"/api/admin/activity-logs/{Guid.NewGuid()}/redact", new { reason = "x" });
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal("application/problem+json", anonymous.Content.Headers.ContentType?.MediaType);

        var (_, _, analyst) = await app.SignedInUserAsync(Roles.Analyst);
        var forbidden = await analyst.PostAsJsonAsync($"/api/admin/activity-logs/{Guid.NewGuid()}/redact", new { reason = "x" });
        Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
        Assert.Equal("application/problem+json", forbidden.Content.Headers.ContentType?.MediaType);
        Assert.Contains("role", (await forbidden.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString());
    }

    [Fact]
    public async Task A_return_url_to_another_site_is_ignored()
    {
        var (_, email) = await TestUsers.CreateAsync(app.Database.ConnectionString, Roles.Admin);
        var response = await app.CookieClient().PostLoginAsync(email, TestUsers.Password, returnUrl: "//evil.example/phish");
        Assert.Equal("/", response.Headers.Location!.ToString());
    }

    private static async Task<string> PostChangeAsync(HttpClient session, string form, string current, string next)
    {
        var response = await session.PostAsync("/account/password", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["_handler"] = "change-password", ["__RequestVerificationToken"] = SignIn.AntiforgeryToken(form),
            ["Input.Current"] = current, ["Input.New"] = next, ["Input.Confirm"] = next,
        }));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return WebUtility.HtmlDecode(await response.Content.ReadAsStringAsync());
    }
}
