using ActivityCrm.Data.Activities;
using ActivityCrm.Data.Analytics;
using Npgsql;

namespace ActivityCrm.Tests.Analytics;

/// <summary>
/// A small history whose true answers are worked out by hand (see the table below), written through the
/// real write path (ActivityWriter) with known times. Week 10 of 2026 starts Monday 2 March.
/// <code>
/// lead client campaign  enrolled  sent        delivered  reply (after send)   booked   other
/// L1   A      Spring    Mar 2 9:00 9:05       9:06       9:08  (3 min)        10:00
/// L2   A      Spring    9:00       9:10       9:11       10:10 (60 min)       11:00
/// L3   A      Spring    9:00       9:20       —          —                             FAILED 9:21
/// L8   A      Spring    9:00       9:30       —          —                             FAILED 9:31
/// L7   A      (none)    —          Mar 3 8:00 8:01       20:00 (12 h)
/// L4   B      Webinar   Mar 9 12:00 12:00     12:01      Mar 10 18:00 (30 h)           OPT_OUT Mar 10 18:05
/// L5   B      Webinar   12:00      12:05      12:06      12:20 (15 min)       13:00
/// L6   B      Webinar   12:00      12:10      12:11      —
/// </code>
/// Sources: n8n:scheduler (enrol, send, fail), n8n:delivery, n8n:replies (reply, opt-out), n8n:calendly.
/// Dead letters: two from n8n:scheduler on Mar 2, one from n8n:other on Mar 9.
/// </summary>
public sealed class AnalyticsScenario
{
    public static readonly DateTimeOffset Mar2 = new(2026, 3, 2, 0, 0, 0, TimeSpan.Zero);
    public const string Scheduler = "n8n:scheduler", Delivery = "n8n:delivery", Replies = "n8n:replies", Calendly = "n8n:calendly";

    public required Guid ClientA { get; init; }
    public required Guid ClientB { get; init; }
    public required Guid Spring { get; init; }
    public required Guid Webinar { get; init; }
    public required Dictionary<string, (Guid Id, string AirtableId, Guid ClientId)> Leads { get; init; }
    public string SpringKey => Spring.ToString();
    public string WebinarKey => Webinar.ToString();

    public static async Task<AnalyticsScenario> CreateAsync(NpgsqlDataSource ds)
    {
        var s = new AnalyticsScenario
        {
            ClientA = Guid.NewGuid(), ClientB = Guid.NewGuid(), Spring = Guid.NewGuid(), Webinar = Guid.NewGuid(),
            Leads = [],
        };
        await ExecAsync(ds, "INSERT INTO clients (id, name) VALUES (@a, 'Acme Coaching'), (@b, 'Beta Dental')", ("a", s.ClientA), ("b", s.ClientB));
        await ExecAsync(ds, "INSERT INTO campaigns (id, name, client_id) VALUES (@s, 'Spring Promo', @a), (@w, 'Webinar Replay', @b)",
            ("s", s.Spring), ("w", s.Webinar), ("a", s.ClientA), ("b", s.ClientB));
        foreach (var (name, client) in new[] { ("L1", s.ClientA), ("L2", s.ClientA), ("L3", s.ClientA), ("L8", s.ClientA), ("L7", s.ClientA), ("L4", s.ClientB), ("L5", s.ClientB), ("L6", s.ClientB) })
            s.Leads[name] = await CreateLeadAsync(ds, name, client);

        var d0 = Mar2;
        var d1 = Mar2.AddDays(1);
        var d7 = Mar2.AddDays(7);
        var d8 = Mar2.AddDays(8);
        var events = new List<NewActivity>();
        void Journey(string lead, Guid campaign, string campaignName, DateTimeOffset enrolled, DateTimeOffset sent)
        {
            events.Add(s.Event(lead, "CAMPAIGN_ENROLLED", "CAMPAIGN", Scheduler, enrolled, CampaignMetadata(campaign, campaignName)));
            events.Add(s.Event(lead, "MESSAGE_SENT", "SMS", Scheduler, sent, CampaignMetadata(campaign, campaignName)));
        }
        Journey("L1", s.Spring, "Spring Promo", d0.AddHours(9), d0.AddHours(9).AddMinutes(5));
        events.Add(s.Event("L1", "MESSAGE_DELIVERED", "SMS", Delivery, d0.AddHours(9).AddMinutes(6)));
        events.Add(s.Event("L1", "INBOUND_REPLY", "SMS", Replies, d0.AddHours(9).AddMinutes(8)));
        events.Add(s.Event("L1", "BOOKING_CONFIRMED", "BOOKING", Calendly, d0.AddHours(10)));
        Journey("L2", s.Spring, "Spring Promo", d0.AddHours(9), d0.AddHours(9).AddMinutes(10));
        events.Add(s.Event("L2", "MESSAGE_DELIVERED", "SMS", Delivery, d0.AddHours(9).AddMinutes(11)));
        events.Add(s.Event("L2", "INBOUND_REPLY", "SMS", Replies, d0.AddHours(10).AddMinutes(10)));
        events.Add(s.Event("L2", "BOOKING_CONFIRMED", "BOOKING", Calendly, d0.AddHours(11)));
        Journey("L3", s.Spring, "Spring Promo", d0.AddHours(9), d0.AddHours(9).AddMinutes(20));
        events.Add(s.Event("L3", "MESSAGE_FAILED", "SMS", Scheduler, d0.AddHours(9).AddMinutes(21)));
        Journey("L8", s.Spring, "Spring Promo", d0.AddHours(9), d0.AddHours(9).AddMinutes(30));
        events.Add(s.Event("L8", "MESSAGE_FAILED", "SMS", Scheduler, d0.AddHours(9).AddMinutes(31)));

        events.Add(s.Event("L7", "MESSAGE_SENT", "SMS", Scheduler, d1.AddHours(8)));
        events.Add(s.Event("L7", "MESSAGE_DELIVERED", "SMS", Delivery, d1.AddHours(8).AddMinutes(1)));
        events.Add(s.Event("L7", "INBOUND_REPLY", "SMS", Replies, d1.AddHours(20)));

        Journey("L4", s.Webinar, "Webinar Replay", d7.AddHours(12), d7.AddHours(12));
        events.Add(s.Event("L4", "MESSAGE_DELIVERED", "SMS", Delivery, d7.AddHours(12).AddMinutes(1)));
        events.Add(s.Event("L4", "INBOUND_REPLY", "SMS", Replies, d8.AddHours(18)));
        events.Add(s.Event("L4", "OPT_OUT", "SMS", Replies, d8.AddHours(18).AddMinutes(5)));
        Journey("L5", s.Webinar, "Webinar Replay", d7.AddHours(12), d7.AddHours(12).AddMinutes(5));
        events.Add(s.Event("L5", "MESSAGE_DELIVERED", "SMS", Delivery, d7.AddHours(12).AddMinutes(6)));
        events.Add(s.Event("L5", "INBOUND_REPLY", "SMS", Replies, d7.AddHours(12).AddMinutes(20)));
        events.Add(s.Event("L5", "BOOKING_CONFIRMED", "BOOKING", Calendly, d7.AddHours(13)));
        Journey("L6", s.Webinar, "Webinar Replay", d7.AddHours(12), d7.AddHours(12).AddMinutes(10));
        events.Add(s.Event("L6", "MESSAGE_DELIVERED", "SMS", Delivery, d7.AddHours(12).AddMinutes(11)));

        // Shuffled: the rollups must not depend on the order events are stored in.
        var writer = new ActivityWriter(ds);
        foreach (var e in events.OrderBy(_ => Random.Shared.Next()))
            Assert.True((await writer.AppendAsync(e)).Stored);

        await ExecAsync(ds, """
            INSERT INTO ingestion_failures (source, event_type, reason, payload, status, received_at) VALUES
              ('n8n:scheduler', 'MESSAGE_SENT', 'database_error', '{}', 'pending', @d0),
              ('n8n:scheduler', 'MESSAGE_SENT', 'validation', '{}', 'pending', @d0),
              ('n8n:other', 'NOTE_ADDED', 'validation', '{}', 'discarded', @d7)
            """, ("d0", d0.AddHours(9)), ("d7", d7.AddHours(12)));
        return s;
    }

    public static string CampaignMetadata(Guid campaign, string name) =>
        $$"""{"campaign_id":"{{campaign}}","campaign_name":"{{name}}"}""";

    public NewActivity Event(string lead, string type, string category, string source, DateTimeOffset at, string? metadata = null) => new()
    {
        EventType = type, EventCategory = category, LeadId = Leads[lead].Id, Description = $"{type} for {lead}",
        Source = source, Timestamp = at, Metadata = metadata, IdempotencyKey = Guid.NewGuid().ToString(),
    };

    public static async Task<(Guid Id, string AirtableId, Guid ClientId)> CreateLeadAsync(NpgsqlDataSource ds, string name, Guid client)
    {
        var airtable = $"rec{name}{Guid.NewGuid():N}"[..16];
        await using var cmd = ds.CreateCommand("INSERT INTO leads (airtable_record_id, first_name, last_name, status, client_id) VALUES (@a, @n, 'Scenario', 'new', @c) RETURNING id");
        cmd.Parameters.AddWithValue("a", airtable);
        cmd.Parameters.AddWithValue("n", name);
        cmd.Parameters.AddWithValue("c", client);
        return ((Guid)(await cmd.ExecuteScalarAsync())!, airtable, client);
    }

    public static async Task ExecAsync(NpgsqlDataSource ds, string sql, params (string Name, object Value)[] args)
    {
        await using var cmd = ds.CreateCommand(sql);
        foreach (var (n, v) in args) cmd.Parameters.AddWithValue(n, v);
        await cmd.ExecuteNonQueryAsync();
    }

    public static Task<long> CatchUpAsync(NpgsqlDataSource ds) => AnalyticsRefresher.CatchUpAsync(ds);
}

/// <summary>A database of its own holding the scenario, with the rollups caught up.</summary>
public sealed class AnalyticsScenarioDatabase : IAsyncLifetime
{
    public Infrastructure.TestDatabase Database { get; private set; } = null!;
    public NpgsqlDataSource DataSource { get; private set; } = null!;
    public AnalyticsScenario Scenario { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Database = await Infrastructure.TestDatabase.CreateAsync();
        DataSource = Database.CreateDataSource();
        Scenario = await AnalyticsScenario.CreateAsync(DataSource);
        await AnalyticsScenario.CatchUpAsync(DataSource);
    }

    public async Task DisposeAsync()
    {
        await DataSource.DisposeAsync();
        await Database.DisposeAsync();
    }
}
