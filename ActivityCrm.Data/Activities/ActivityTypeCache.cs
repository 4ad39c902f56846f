using ActivityCrm.Data.Entities;
using Npgsql;

namespace ActivityCrm.Data.Activities;

/// <summary>
/// activity_types in memory, for validation on the hot ingestion path. Admins add types at run time
/// (possibly on another instance), so a miss reloads from the database, at most once a second.
/// </summary>
public sealed class ActivityTypeCache(NpgsqlDataSource dataSource, TimeProvider clock)
{
    private volatile IReadOnlyDictionary<string, ActivityType> _types = new Dictionary<string, ActivityType>();
    private DateTimeOffset _loadedAt = DateTimeOffset.MinValue;
    private readonly SemaphoreSlim _gate = new(1, 1);

    public IReadOnlyDictionary<string, ActivityType> Current => _types;

    public async Task<IReadOnlyDictionary<string, ActivityType>> GetAllAsync(CancellationToken ct = default)
    {
        if (_types.Count == 0) await ReloadAsync(force: true, ct);
        return _types;
    }

    public async Task<ActivityType?> FindAsync(string name, CancellationToken ct = default)
    {
        var all = await GetAllAsync(ct);
        if (all.TryGetValue(name, out var t)) return t;
        await ReloadAsync(force: false, ct);
        return _types.GetValueOrDefault(name);
    }

    public async Task ReloadAsync(bool force, CancellationToken ct = default)
    {
        await _gate.WaitAsync(ct);
        try
        {
            if (!force && clock.GetUtcNow() - _loadedAt < TimeSpan.FromSeconds(1)) return;
            var map = new Dictionary<string, ActivityType>(StringComparer.Ordinal);
            await using var cmd = dataSource.CreateCommand(
                "SELECT name, category, label, icon, colour, description, expected_follow_ups, follow_up_within_minutes, is_built_in FROM activity_types");
            await using var r = await cmd.ExecuteReaderAsync(ct);
            while (await r.ReadAsync(ct))
                map[r.GetString(0)] = new ActivityType
                {
                    Name = r.GetString(0), Category = r.GetString(1), Label = r.GetString(2), Icon = r.GetString(3),
                    Colour = r.GetString(4), Description = r.IsDBNull(5) ? "" : r.GetString(5),
                    ExpectedFollowUps = r.GetFieldValue<string[]>(6), FollowUpWithinMinutes = r.IsDBNull(7) ? null : r.GetInt32(7),
                    IsBuiltIn = r.GetBoolean(8),
                };
            _types = map;
            _loadedAt = clock.GetUtcNow();
        }
        finally { _gate.Release(); }
    }
}
