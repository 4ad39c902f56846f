using System.Globalization;
using System.Text.RegularExpressions;
using ActivityCrm.Data;
using ActivityCrm.Data.Activities;
using ActivityCrm.Data.Entities;
using Microsoft.EntityFrameworkCore;

namespace ActivityCrm.Web.Features.EventTypes;

/// <summary>What an admin enters for an event type. Name and category are fixed once the type exists.</summary>
public sealed record EventTypeInput
{
    public string Name { get; set; } = "";
    public string Category { get; set; } = EventCategories.System;
    public string Label { get; set; } = "";
    public string Icon { get; set; } = "event";
    public string Colour { get; set; } = "#607d8b";
    public string Description { get; set; } = "";
    public IEnumerable<string> ExpectedFollowUps { get; set; } = [];
    public int? FollowUpWithinMinutes { get; set; }

    public static EventTypeInput From(ActivityType t) => new()
    {
        Name = t.Name, Category = t.Category, Label = t.Label, Icon = t.Icon, Colour = t.Colour, Description = t.Description,
        ExpectedFollowUps = t.ExpectedFollowUps.ToList(), FollowUpWithinMinutes = t.FollowUpWithinMinutes,
    };
}

/// <summary>
/// The activity_types lookup as admins manage it at run time (no migration): add a type, edit how a type looks
/// and which follow-ups it expects. Built-in types cannot be deleted, and no type is ever deleted (events
/// reference it). After a change this instance's <see cref="ActivityTypeCache"/> reloads; other instances
/// reload on their first miss, so a new type is accepted everywhere at once.
/// </summary>
public sealed partial class EventTypeSettings(IDbContextFactory<ActivityCrmDbContext> contexts, ActivityTypeCache cache, TimeProvider clock)
{
    public const int MaxFollowUpMinutes = 60 * 24 * 30;

    public async Task<List<ActivityType>> ListAsync(CancellationToken ct = default)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        return await db.ActivityTypes.AsNoTracking().OrderBy(t => t.Category).ThenBy(t => t.Name).ToListAsync(ct);
    }

    /// <summary>Adds a type; returns the problems by field (empty when it was added).</summary>
    public async Task<Dictionary<string, string[]>> AddAsync(EventTypeInput input, CancellationToken ct = default)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        var known = await db.ActivityTypes.Select(t => t.Name).ToListAsync(ct);
        var errors = Validate(input, known, adding: true);
        if (errors.Count > 0) return errors;
        db.ActivityTypes.Add(new ActivityType
        {
            Name = input.Name.Trim(), Category = input.Category, IsBuiltIn = false, CreatedAt = clock.GetUtcNow(),
        }.Apply(input));
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException e) when (e.InnerException is Npgsql.PostgresException { SqlState: Npgsql.PostgresErrorCodes.UniqueViolation })
        {
            return new() { [nameof(EventTypeInput.Name)] = [$"{input.Name} was just added by someone else."] };
        }
        await cache.ReloadAsync(force: true, ct);
        return [];
    }

    /// <summary>Updates label, icon, colour, description and follow-ups of any type (built-in ones too).</summary>
    public async Task<Dictionary<string, string[]>> UpdateAsync(EventTypeInput input, CancellationToken ct = default)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        var type = await db.ActivityTypes.SingleOrDefaultAsync(t => t.Name == input.Name, ct);
        if (type is null) return new() { [nameof(EventTypeInput.Name)] = [$"There is no event type {input.Name}."] };
        var errors = Validate(input with { Category = type.Category }, await db.ActivityTypes.Select(t => t.Name).ToListAsync(ct), adding: false);
        if (errors.Count > 0) return errors;
        type.Apply(input);
        await db.SaveChangesAsync(ct);
        await cache.ReloadAsync(force: true, ct);
        return [];
    }

    public static Dictionary<string, string[]> Validate(EventTypeInput input, IReadOnlyCollection<string> knownTypes, bool adding)
    {
        var errors = new Dictionary<string, List<string>>();
        void Err(string field, string message)
        {
            if (!errors.TryGetValue(field, out var list)) errors[field] = list = [];
            list.Add(message);
        }

        var name = input.Name?.Trim() ?? "";
        if (adding)
        {
            if (!UpperSnake().IsMatch(name) || name.Length > 100)
                Err(nameof(input.Name), "Use UPPER_SNAKE_CASE: capital letters, digits and single underscores, starting with a letter (e.g. VOICEMAIL_LEFT), at most 100 characters.");
            else if (knownTypes.Contains(name, StringComparer.OrdinalIgnoreCase))
                Err(nameof(input.Name), $"{name} already exists.");
            if (!EventCategories.All.Contains(input.Category))
                Err(nameof(input.Category), $"Choose one of: {string.Join(", ", EventCategories.All)}.");
        }
        if (string.IsNullOrWhiteSpace(input.Label) || input.Label.Trim().Length > 100)
            Err(nameof(input.Label), "A label of 1 to 100 characters is required (it is what people read).");
        if (!IconName().IsMatch(input.Icon ?? ""))
            Err(nameof(input.Icon), "Use a Material Symbols name in lower case, e.g. voicemail or event_available.");
        if (NormaliseColour(input.Colour) is null)
            Err(nameof(input.Colour), "Use a colour like #1e88e5.");
        if ((input.Description ?? "").Length > 500)
            Err(nameof(input.Description), "At most 500 characters.");
        var followUps = input.ExpectedFollowUps.ToList();
        foreach (var unknown in followUps.Where(f => !knownTypes.Contains(f) && f != name))
            Err(nameof(input.ExpectedFollowUps), $"{unknown} is not an event type.");
        if (followUps.Contains(name))
            Err(nameof(input.ExpectedFollowUps), "A type cannot be its own follow-up.");
        if (followUps.Count > 0 && input.FollowUpWithinMinutes is not (>= 1 and <= MaxFollowUpMinutes))
            Err(nameof(input.FollowUpWithinMinutes), $"Say within how many minutes a follow-up is expected (1 to {MaxFollowUpMinutes:N0}).");
        return errors.ToDictionary(kv => kv.Key, kv => kv.Value.ToArray());
    }

    /// <summary>#rrggbb (lower case) from #rgb, #rrggbb or the colour picker's rgb(r, g, b); null if it is none of them.</summary>
    public static string? NormaliseColour(string? colour)
    {
        colour = colour?.Trim() ?? "";
        if (HexColour().Match(colour) is { Success: true } hex)
        {
            var h = hex.Groups[1].Value;
            return "#" + (h.Length == 3 ? string.Concat(h.Select(c => $"{c}{c}")) : h).ToLowerInvariant();
        }
        if (RgbColour().Match(colour) is { Success: true } rgb)
        {
            var parts = Enumerable.Range(1, 3).Select(i => int.Parse(rgb.Groups[i].Value, CultureInfo.InvariantCulture)).ToArray();
            return parts.All(p => p <= 255) ? $"#{parts[0]:x2}{parts[1]:x2}{parts[2]:x2}" : null;
        }
        return null;
    }

    [GeneratedRegex("^[A-Z][A-Z0-9]*(_[A-Z0-9]+)*$")]
    private static partial Regex UpperSnake();

    [GeneratedRegex("^[a-z0-9_]{1,60}$")]
    private static partial Regex IconName();

    [GeneratedRegex("^#([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")]
    private static partial Regex HexColour();

    [GeneratedRegex(@"^rgba?\(\s*(\d{1,3})\s*,\s*(\d{1,3})\s*,\s*(\d{1,3})\s*(,\s*[\d.]+\s*)?\)$")]
    private static partial Regex RgbColour();
}

internal static class ActivityTypeInputExtensions
{
    public static ActivityType Apply(this ActivityType type, EventTypeInput input)
    {
        type.Label = input.Label.Trim();
        type.Icon = input.Icon.Trim();
        type.Colour = EventTypeSettings.NormaliseColour(input.Colour)!;
        type.Description = input.Description?.Trim() ?? "";
        type.ExpectedFollowUps = input.ExpectedFollowUps.Distinct().ToArray();
        type.FollowUpWithinMinutes = type.ExpectedFollowUps.Length > 0 ? input.FollowUpWithinMinutes : null;
        return type;
    }
}

public static class EventTypeHosting
{
    public static void AddEventTypeSettings(this WebApplicationBuilder builder) => builder.Services.AddSingleton<EventTypeSettings>();
}
