using ActivityCrm.Data.Activities;
using ActivityCrm.Tests.Infrastructure;
using Microsoft.AspNetCore.WebUtilities;
using Npgsql;

namespace ActivityCrm.Tests.ActivityBrowser;

/// <summary>One seeded event as the test knows it (the oracle the SQL and the in-memory filter are checked against).</summary>
public sealed record Seeded(Guid Id, NewActivity Event, Guid? LeadId, Guid? ClientId);

/// <summary>
/// A database of its own with a designed history written through the real ActivityWriter: a few named
/// leads (one soft-deleted), bulk leads, orphans, two clients, a human actor, every category, several
/// sources, correlation groups, timestamps that tie (keyset must break ties by id), text for search, a
/// redaction, and events on both sides of UTC midnight for the date filters.
/// </summary>
public class BrowseData : IAsyncLifetime
{
    public static readonly DateTimeOffset Start = new(2026, 3, 1, 0, 0, 0, TimeSpan.Zero);

    public TestDatabase Database { get; private set; } = null!;
    public NpgsqlDataSource DataSource { get; private set; } = null!;
    public List<Seeded> Events { get; } = [];
    public Guid ClientA { get; } = Guid.NewGuid();
    public Guid ClientB { get; } = Guid.NewGuid();
    public Guid Ada { get; } = Guid.NewGuid();
    public Guid Grace { get; } = Guid.NewGuid();
    public Guid Alan { get; } = Guid.NewGuid();
    public Guid TzLead { get; } = Guid.NewGuid();
    public Guid Staff { get; } = Guid.NewGuid();
    public List<Guid> BulkLeads { get; } = [];
    public Guid RedactedId { get; private set; }
    public IReadOnlyDictionary<string, string> KnownTypes { get; private set; } = new Dictionary<string, string>();

    public static readonly string[] Sources = ["n8n:kJMMZ10anu4NqYUL", "n8n:reply-handler", "n8n:st-delivery-v2", "ui:note-add"];

    /// <summary>"Now" for relative ranges: the data ends a little before it.</summary>
    public DateTimeOffset Now { get; private set; }

    public virtual async Task InitializeAsync()
    {
        Database = await TestDatabase.CreateAsync();
        DataSource = Database.CreateDataSource();
        await ExecAsync("INSERT INTO clients (id, name) VALUES (@a, 'Client A'), (@b, 'Client B')", ("a", ClientA), ("b", ClientB));
        await ExecAsync("""
            INSERT INTO users (id, user_name, normalized_user_name, email, normalized_email, email_confirmed, security_stamp, concurrency_stamp,
                               phone_number_confirmed, two_factor_enabled, lockout_enabled, access_failed_count, display_name, is_disabled)
            VALUES (@id, 'dana@tests.local', 'DANA@TESTS.LOCAL', 'dana@tests.local', 'DANA@TESTS.LOCAL', true, 's', 'c', false, false, true, 0, 'Dana Reyes', false)
            """, ("id", Staff));
        await LeadAsync(Ada, "Ada", "Lovelace", "ada@math.example", ClientA);
        await LeadAsync(Grace, "Grace", "Hopper", "grace.hopper@navy.example", ClientB);
        await LeadAsync(Alan, "Alan", "Turing", "alan@bletchley.example", ClientA);
        await ExecAsync("UPDATE leads SET deleted_at = now() WHERE id = @id", ("id", Alan));
        await LeadAsync(TzLead, "Tz", "Edge", "tz@edge.example", ClientB);
        for (var i = 0; i < 8; i++)
        {
            var id = Guid.NewGuid();
            BulkLeads.Add(id);
            await LeadAsync(id, "Bulk", $"Person{i:D2}", $"bulk{i:D2}@crowd.example", i % 2 == 0 ? ClientA : ClientB);
        }

        var items = new List<(NewActivity Event, Guid? Lead, Guid? Client)>();
        string[] types = ["MESSAGE_SENT", "MESSAGE_DELIVERED", "INBOUND_REPLY", "OPT_OUT", "CAMPAIGN_ENROLLED", "BOOKING_CONFIRMED", "NOTE_ADDED", "AI_RESPONSE_SENT", "ICP_SCORE_UPDATED", "EMAIL_SENT"];
        var catalog = EventTypeCatalog.BuiltIn.ToDictionary(t => t.Name, t => t.Category);
        var rnd = new Random(42);
        var leads = new List<(Guid? Id, string? Airtable, Guid? Client)> { (Ada, null, ClientA), (Grace, null, ClientB), (Alan, null, ClientA), (null, "recORPHANA", null), (null, "recORPHANB", null) };
        leads.AddRange(BulkLeads.Select((b, i) => ((Guid?)b, (string?)null, (Guid?)(i % 2 == 0 ? ClientA : ClientB))));
        var t = Start;
        Guid? correlation = null;
        for (var i = 0; i < 260; i++)
        {
            // Every fifth event shares its timestamp with the one before: ties the keyset must order by id.
            if (i % 5 != 0) t = t.AddMinutes(17 + rnd.Next(0, 40));
            if (i % 3 == 0) correlation = Guid.NewGuid();
            var type = types[rnd.Next(types.Length)];
            var lead = leads[rnd.Next(leads.Count)];
            var human = type == "NOTE_ADDED";
            var agent = type == "AI_RESPONSE_SENT";
            items.Add((new NewActivity
            {
                EventType = type, EventCategory = catalog[type], LeadId = lead.Id, LeadAirtableId = lead.Airtable, ClientId = lead.Client,
                Description = $"{type.ToLowerInvariant().Replace('_', ' ')} number {i}", MessageContent = i % 4 == 0 ? $"Routine message {i}" : null,
                Metadata = $$"""{"n": {{i}}, "kind": "bulk"}""", Source = human ? "ui:note-add" : Sources[rnd.Next(3)],
                ExecutionId = human ? null : (30_000 + i / 3).ToString(), Timestamp = t,
                ActorType = human ? "human" : agent ? "agent" : "system", ActorId = human ? Staff.ToString() : agent ? "qualifier" : null,
                CreatedBy = human ? Staff : null, CorrelationId = human ? null : correlation, IdempotencyKey = $"seed-{i}",
            }, lead.Id, lead.Client));
        }

        // Search material: stemming (price/pricing), a phrase, a word only in message content, names in text.
        void Text(string type, string description, string? content, Guid lead, DateTimeOffset at) => items.Add((new NewActivity
        {
            EventType = type, EventCategory = catalog[type], LeadId = lead, Description = description, MessageContent = content,
            Source = "n8n:reply-handler", Timestamp = at, IdempotencyKey = $"text-{items.Count}",
        }, lead, leads.Single(l => l.Id == lead).Client));
        leads.Add((TzLead, null, ClientB));
        Text("INBOUND_REPLY", "Reply: what is the pricing for teams?", "What is the pricing for teams of five?", Grace, Start.AddDays(2).AddMinutes(3));
        Text("INBOUND_REPLY", "Reply: prices look fine", "Prices look fine, send the contract", BulkLeads[0], Start.AddDays(4).AddMinutes(7));
        Text("MESSAGE_SENT", "SMS sent: follow-up", "Would a walkthrough call on Thursday suit you?", BulkLeads[1], Start.AddDays(5).AddMinutes(11));
        Text("MESSAGE_SENT", "SMS sent: quick question about the premium plan", null, BulkLeads[2], Start.AddDays(6).AddMinutes(13));
        Text("NOTE_ADDED", "Note added", "Call back about the premium support plan and pricing", BulkLeads[3], Start.AddDays(7).AddMinutes(17));
        Text("EMAIL_SENT", "Email sent: 100% guaranteed_results", "Literal percent and underscore", BulkLeads[4], Start.AddDays(7).AddMinutes(19));
        Text("NOTE_ADDED", "Note added", "Forwarded to Grace Hopper for pricing", BulkLeads[5], Start.AddDays(3).AddMinutes(23));

        // Both sides of UTC midnight on 2026-03-08, for the date filters.
        foreach (var at in new[] { "2026-03-07T21:59:59.999999Z", "2026-03-07T22:00:00Z", "2026-03-07T23:30:00Z", "2026-03-08T00:00:00Z",
                     "2026-03-08T12:00:00Z", "2026-03-08T23:59:59.999999Z", "2026-03-09T00:00:00Z" })
            Text("CALL_LOGGED", "Call logged at " + at, null, TzLead, DateTimeOffset.Parse(at));

        var writer = new ActivityWriter(DataSource);
        var results = await writer.AppendAsync(items.Select(i => i.Event).ToList());
        for (var i = 0; i < items.Count; i++)
        {
            if (results[i].Status != AppendStatus.Created) throw new InvalidOperationException($"seed item {i}: {results[i].Status}");
            Events.Add(new Seeded(results[i].ActivityId, items[i].Event, items[i].Lead, items[i].Client));
        }

        // One redaction through the path the trigger allows.
        RedactedId = Events.First(e => e.Event.EventType == "NOTE_ADDED" && e.LeadId is not null).Id;
        await ExecAsync("""
            UPDATE lead_activity_log SET description = '[redacted]', message_content = NULL, redacted_at = now(), redacted_by = @by,
                redaction_reason = 'contained a phone number' WHERE id = @id
            """, ("by", Staff), ("id", RedactedId));
        var redacted = Events.Single(e => e.Id == RedactedId);
        Events[Events.IndexOf(redacted)] = redacted with { Event = redacted.Event with { Description = "[redacted]", MessageContent = null } };

        await ExecAsync("ANALYZE");
        Now = Events.Max(e => e.Event.Timestamp).AddHours(1);
        KnownTypes = EventTypeCatalog.BuiltIn.ToDictionary(x => x.Name, x => x.Category);
    }

    /// <summary>A filter from a query string, as the page and the API parse it.</summary>
    public ActivityFilter Filter(string query)
    {
        var parsed = ActivityFilter.Parse(QueryHelpers.ParseQuery(query), KnownTypes);
        Assert.True(parsed.Ok, string.Join("; ", parsed.Errors.Select(e => $"{e.Key}: {e.Value[0]}")));
        return parsed.Filter!;
    }

    /// <summary>Every row of a filter, page by page through the cursors.</summary>
    public async Task<List<ActivityRow>> AllPagesAsync(ActivityFilter filter, int limit = 37)
    {
        var rows = new List<ActivityRow>();
        var f = filter with { Limit = limit };
        for (var guard = 0; guard < 1000; guard++)
        {
            var page = await ActivityQuery.PageAsync(DataSource, f, Now);
            rows.AddRange(page.Rows);
            if (page.NextCursor is null) return rows;
            f = f with { Cursor = page.NextCursor, Page = f.Page + 1 };
        }
        throw new InvalidOperationException("paging did not end");
    }

    private Task LeadAsync(Guid id, string first, string last, string email, Guid client) =>
        ExecAsync("INSERT INTO leads (id, airtable_record_id, first_name, last_name, email, status, client_id) VALUES (@id, @at, @f, @l, @e, 'new', @c)",
            ("id", id), ("at", "rec" + id.ToString("N")[..12]), ("f", first), ("l", last), ("e", email), ("c", client));

    public async Task ExecAsync(string sql, params (string Name, object Value)[] args)
    {
        await using var cmd = DataSource.CreateCommand(sql);
        foreach (var (n, v) in args) cmd.Parameters.AddWithValue(n, v);
        await cmd.ExecuteNonQueryAsync();
    }

    public virtual async Task DisposeAsync()
    {
        await DataSource.DisposeAsync();
        await Database.DisposeAsync();
    }
}
