using System.Security.Cryptography;
using Microsoft.AspNetCore.Identity;

namespace ActivityCrm.Web.Features.Account;

/// <summary>The password rules in words (shown on every form that sets a password) and generated passwords
/// that always satisfy them.</summary>
public static class PasswordRules
{
    // No 0/O, 1/l/I: a generated password is often read off a screen and typed.
    private const string Upper = "ABCDEFGHJKLMNPQRSTUVWXYZ", Lower = "abcdefghijkmnopqrstuvwxyz", Digits = "23456789";

    public static string Describe(PasswordOptions o)
    {
        var needs = new List<string>();
        if (o.RequireUppercase) needs.Add("an upper-case letter");
        if (o.RequireLowercase) needs.Add("a lower-case letter");
        if (o.RequireDigit) needs.Add("a digit");
        if (o.RequireNonAlphanumeric) needs.Add("a symbol");
        var text = $"At least {o.RequiredLength} characters";
        if (needs.Count > 0) text += ", with " + (needs.Count == 1 ? needs[0] : string.Join(", ", needs[..^1]) + " and " + needs[^1]);
        return text + ".";
    }

    public static string Lockout(LockoutOptions o) =>
        $"After {o.MaxFailedAccessAttempts} wrong passwords in a row the account is locked for {o.DefaultLockoutTimeSpan.TotalMinutes:0} minutes.";

    /// <summary>Four groups of five characters, e.g. "Hq7fR-2mXpa-9KdTz-wE4nB": 20 characters, about 113 bits.</summary>
    public static string Generate(PasswordOptions o)
    {
        const string all = Upper + Lower + Digits;
        while (true)
        {
            var chars = Enumerable.Range(0, 20).Select(_ => all[RandomNumberGenerator.GetInt32(all.Length)]).ToArray();
            var candidate = string.Join('-', chars.Chunk(5).Select(c => new string(c)));
            if (candidate.Any(char.IsUpper) && candidate.Any(char.IsLower) && candidate.Any(char.IsDigit) && candidate.Length >= o.RequiredLength)
                return candidate;
        }
    }
}
