using ActivityCrm.Data.Leads;
using System.Text.Json;
using ActivityCrm.Data.Analytics;
using Npgsql;
using NpgsqlTypes;

namespace ActivityCrm.Data.Demo;

/// <param name="HeavyLeads">Leads that get <paramref name="HeavyLeadEvents"/> events each (skew for benchmarks).</param>
/// <param name="OrphanLeads">Airtable ids that have events but no lead row yet ("not yet synced").</param>
/// <param name="Parallelism">COPY streams (default: one per core; one below 100,000 events).</param>
public sealed record DemoDataOptions(int Leads = 300, long Events = 30_000, int Days = 90, int HeavyLeads = 0,
    int HeavyLeadEvents = 0, int OrphanLeads = 5, int Seed = 20261122, int? Parallelism = null);

public sealed record DemoDataStats(int Leads, long Events, int Days);

/// <summary>
/// Realistic demo history: leads with journeys (enrol → SMS → delivery → reply → conversation → booking,
/// nurture, email, calls, manual actions), every event type, sources named like the PRD's n8n workflows,
/// correlation ids per execution. Written with binary COPY so the benchmark can make 10 million events.
/// </summary>
public static class DemoData
{
    private static readonly string[] FirstNames = ["John", "Sarah", "Mike", "Priya", "Chen", "Amara", "Lucas", "Sofia", "Noah", "Emma", "Liam", "Olivia", "Mateo", "Aisha", "Kenji", "Zoe", "Omar", "Hannah", "Diego", "Fatima", "Ethan", "Mia", "Ravi", "Grace", "Tomás", "Ingrid", "Kwame", "Yuki", "Leila", "Jonas"];
    private static readonly string[] LastNames = ["Smith", "Lee", "Chen", "Patel", "Garcia", "Okafor", "Müller", "Rossi", "Kim", "Johnson", "Nguyen", "Silva", "Haddad", "Novak", "Brown", "Tanaka", "Dubois", "Kowalski", "Mensah", "Larsen", "O'Brien", "Fischer", "Ahmed", "Costa", "Walker"];
    private static readonly string[] Companies = ["Acme Analytics", "Brightpath Labs", "Northwind Traders", "Blue Harbor Health", "Quantum Coaching", "Redwood Realty", "Summit Dental", "Lumen Legal", "Cobalt Logistics", "Evergreen Finance", "Orchid Studios", "Pioneer Fitness"];
    private static readonly string[] Titles = ["Founder", "CEO", "Head of Growth", "Marketing Director", "Operations Manager", "Sales Lead", "Consultant", "Practice Owner", "VP Sales", "Product Manager"];
    private static readonly string[] Statuses = ["new", "contacted", "engaged", "qualified", "booked", "won", "lost", "unqualified", "opted_out"];
    private static readonly string[] CampaignNames = ["ChatGPT Use Cases", "Problem Mapping Template", "Webinar Follow-up", "Pricing Page Visitors", "Re-engagement Q4", "Strategy Call Push"];
    private static readonly string[] SmsTemplates =
    [
        "Hey {0}, saw your form submission. If you want help mapping your ChatGPT use cases, reply YES and I'll send the template.",
        "Hi {0}, quick one: are you still looking at automating your sales follow-ups? Happy to share what worked for teams like {1}.",
        "{0}, the Problem Mapping Template is ready for you: https://go.example.com/pmt. Want a walkthrough call?",
        "Hi {0}! Our webinar recording is up. Most people jump straight to the pricing section at 23:10.",
        "{0}, last chance to grab a strategy call slot this week. Reply with a time that suits you.",
        "Hey {0}, following up on the pricing question. Plans start at $99/mo; want me to send the comparison sheet?",
    ];
    private static readonly string[] Replies =
    [
        "Yes please, send it over!", "Can we do Thursday afternoon?", "What does it cost for a team of 5?", "Not interested right now, thanks.",
        "Who is this?", "Sounds good, I'll check the template tonight.", "Is there a free trial?", "Please call me tomorrow morning.",
    ];
    private static readonly (string Source, string Label)[] Workflows =
    [
        ("n8n:kJMMZ10anu4NqYUL", "Kajabi SMS Scheduler"), ("n8n:LiVE3BlxsFkHhG83", "Calendly Booked"),
        ("n8n:reply-handler", "SimpleTexting Reply Handler"), ("n8n:st-delivery-v2", "ST Delivery V2"),
        ("n8n:nurture-engine", "Nurture Engine"), ("n8n:clay-enrichment", "Enrichment"), ("n8n:scoring", "ICP Scoring"),
    ];

    public static async Task<DemoDataStats> SeedAsync(NpgsqlDataSource dataSource, DemoDataOptions options, TimeProvider clock,
        IProgress<long>? progress = null, CancellationToken ct = default)
    {
        var rnd = new Random(options.Seed);
        var now = clock.GetUtcNow();
        var start = now.AddDays(-options.Days);
        await using var conn = await dataSource.OpenConnectionAsync(ct);

        var clientIds = new[] { Guid.NewGuid(), Guid.NewGuid() };
        await ExecAsync(conn, "INSERT INTO clients (id, name) VALUES (@a, 'Rebel Growth'), (@b, 'UYSP Coaching') ON CONFLICT DO NOTHING",
            ("a", clientIds[0]), ("b", clientIds[1]), ct);
        clientIds = (await ListAsync<Guid>(conn, "SELECT id FROM clients ORDER BY name", ct)).ToArray();

        var campaigns = new List<(Guid Id, string Name)>();
        foreach (var name in CampaignNames)
        {
            await using var c = new NpgsqlCommand("""
                INSERT INTO campaigns (name, description, client_id) VALUES (@n, @d, @c)
                ON CONFLICT (name) DO UPDATE SET name = excluded.name RETURNING id
                """, conn);
            c.Parameters.AddWithValue("n", name);
            c.Parameters.AddWithValue("d", $"Demo campaign: {name}");
            c.Parameters.AddWithValue("c", clientIds[campaigns.Count % clientIds.Length]);
            campaigns.Add(((Guid)(await c.ExecuteScalarAsync(ct))!, name));
        }

        // Staff who appear as actors; they have no password (cannot sign in) until an admin resets one.
        var staff = new List<(Guid Id, string Name)>();
        foreach (var (name, email) in new[] { ("Dana Reyes", "dana.reyes@demo.activitycrm.local"), ("Sam Okoro", "sam.okoro@demo.activitycrm.local"), ("Alex Kim", "alex.kim@demo.activitycrm.local") })
        {
            await using var u = new NpgsqlCommand("""
                INSERT INTO users (id, user_name, normalized_user_name, email, normalized_email, email_confirmed, security_stamp,
                                   concurrency_stamp, phone_number_confirmed, two_factor_enabled, lockout_enabled, access_failed_count, display_name, is_disabled)
                VALUES (gen_random_uuid(), @e, upper(@e), @e, upper(@e), true, gen_random_uuid()::text, gen_random_uuid()::text, false, false, true, 0, @n, false)
                ON CONFLICT (normalized_user_name) DO UPDATE SET display_name = excluded.display_name RETURNING id
                """, conn);
            u.Parameters.AddWithValue("e", email);
            u.Parameters.AddWithValue("n", name);
            staff.Add(((Guid)(await u.ExecuteScalarAsync(ct))!, name));
        }

        var leads = new List<DemoLead>(options.Leads);
        await using (var w = await conn.BeginBinaryImportAsync(
            "COPY leads (id, airtable_record_id, first_name, last_name, email, phone, company, title, status, owner_id, icp_score, icp_band, client_id, created_at, updated_at) FROM STDIN (FORMAT BINARY)", ct))
        {
            for (var i = 0; i < options.Leads; i++)
            {
                var first = Pick(rnd, FirstNames);
                var last = Pick(rnd, LastNames);
                var company = Pick(rnd, Companies);
                var score = rnd.Next(5, 100);
                var lead = new DemoLead(Guid.NewGuid(), $"rec{i:D6}{Suffix(rnd)}", first, last, company, clientIds[i % clientIds.Length]);
                leads.Add(lead);
                await w.StartRowAsync(ct);
                await w.WriteAsync(lead.Id, ct);
                await w.WriteAsync(lead.AirtableId, ct);
                await w.WriteAsync(first, ct);
                await w.WriteAsync(last, ct);
                await w.WriteAsync($"{Ascii(first)}.{Ascii(last)}{i}@{Ascii(company).Replace(" ", "")}.example".ToLowerInvariant(), ct);
                await w.WriteAsync($"+1 (408) 555-{rnd.Next(0, 10000):D4}", ct);
                await w.WriteAsync(company, ct);
                await w.WriteAsync(Pick(rnd, Titles), ct);
                await w.WriteAsync(Pick(rnd, Statuses), ct);
                if (rnd.NextDouble() < 0.4) await w.WriteAsync(staff[rnd.Next(staff.Count)].Id, ct); else await w.WriteNullAsync(ct);
                await w.WriteAsync(score, ct);
                await w.WriteAsync(Band(score), ct);
                await w.WriteAsync(lead.ClientId, ct);
                await w.WriteAsync(start.AddDays(rnd.NextDouble() * 10).UtcDateTime, NpgsqlDbType.TimestampTz, ct);
                await w.WriteAsync(now.UtcDateTime, NpgsqlDbType.TimestampTz, ct);
            }
            await w.CompleteAsync(ct);
        }
        var orphans = Enumerable.Range(0, options.OrphanLeads)
            .Select(i => new DemoLead(null, $"recPENDING{i:D4}", Pick(rnd, FirstNames), Pick(rnd, LastNames), Pick(rnd, Companies), clientIds[0])).ToList();

        // Events are written by several COPY streams at once (one per core), each over its own share of leads
        // with its own deterministic random source, so ten million events load in minutes.
        var heavy = leads.Take(Math.Min(options.HeavyLeads, leads.Count)).ToList();
        var regularBudget = Math.Max(0, options.Events - (long)heavy.Count * options.HeavyLeadEvents);
        var pool = leads.Skip(heavy.Count).Concat(orphans).ToList();
        var work = heavy.Select(l => (Lead: l, Budget: (long)options.HeavyLeadEvents))
            .Concat(pool.Select((l, i) => (Lead: l, Budget: regularBudget / Math.Max(1, pool.Count) + (i < regularBudget % Math.Max(1, pool.Count) ? 1L : 0L))))
            .Where(w => w.Budget > 0).ToList();
        var streams = Math.Clamp(options.Parallelism ?? Environment.ProcessorCount, 1, 8);
        if (options.Events < 100_000) streams = 1;
        long written = 0;
        await Task.WhenAll(Enumerable.Range(0, streams).Select(async stream =>
        {
            await using var streamConn = await dataSource.OpenConnectionAsync(ct);
            var ctx = new JourneyContext(new Random(options.Seed + 7919 * (stream + 1)), start, now, campaigns, staff) { Execution = 28_000 + stream * 10_000_000L };
            await using var w = await streamConn.BeginBinaryImportAsync($"COPY lead_activity_log ({EventColumns}) FROM STDIN (FORMAT BINARY)", ct);
            long reported = 0;
            for (var i = stream; i < work.Count; i += streams)
            {
                var n = await WriteJourneysAsync(w, ctx, work[i].Lead, work[i].Budget, p =>
                {
                    var total = Interlocked.Add(ref written, p - reported);
                    reported = p;
                    progress?.Report(total);
                }, ct);
                Interlocked.Add(ref written, n - reported);
                reported = 0;
            }
            await w.CompleteAsync(ct);
        }));
        progress?.Report(written);

        // A few notes redacted through the same path an admin uses (the trigger allows only this), so the
        // demo shows what a redacted entry looks like.
        await using (var redact = new NpgsqlCommand("""
            WITH picked AS (
                SELECT id, lead_id, lead_airtable_id, client_id FROM lead_activity_log
                WHERE event_type = 'NOTE_ADDED' AND lead_id IS NOT NULL ORDER BY "timestamp" DESC LIMIT 3
            ), blanked AS (
                UPDATE lead_activity_log a SET description = '[redacted]', message_content = NULL, redacted_at = now(),
                    redacted_by = @by, redaction_reason = 'Demo: the note contained a personal phone number'
                FROM picked WHERE a.id = picked.id
                RETURNING a.id, a.lead_id, a.lead_airtable_id, a.client_id
            )
            INSERT INTO lead_activity_log (event_type, event_category, lead_id, lead_airtable_id, client_id, description, metadata,
                source, created_by, actor_type, actor_id, related_entity_type, related_entity_id, idempotency_key, "timestamp")
            SELECT 'LEAD_REDACTED', 'SYSTEM', lead_id, lead_airtable_id, client_id, 'Event redacted: the note contained a personal phone number',
                   jsonb_build_object('activity_id', id, 'reason', 'Demo: the note contained a personal phone number'),
                   'ui:redact', @by, 'human', @by::text, 'Activity', id::text, 'demo-redact:' || id, now()
            FROM blanked
            """, conn))
        {
            redact.Parameters.AddWithValue("by", staff[0].Id);
            written += await redact.ExecuteNonQueryAsync(ct);
        }

        // COPY bypasses the writer, so the idempotency keys it claims are recorded here in one pass.
        await ExecAsync(conn, """
            INSERT INTO activity_idempotency_keys (source, idempotency_key, activity_id, "timestamp")
            SELECT source, idempotency_key, id, "timestamp" FROM lead_activity_log WHERE idempotency_key IS NOT NULL
            ON CONFLICT DO NOTHING
            """, ct);
        await ExecAsync(conn, """
            INSERT INTO lead_notes (id, lead_id, body, created_by, created_at)
            SELECT a.related_entity_id::uuid, a.lead_id, a.message_content, a.created_by, a."timestamp"
            FROM lead_activity_log a
            WHERE a.event_type = 'NOTE_ADDED' AND a.source = 'ui:note-add' AND a.related_entity_type = 'Note'
              AND a.lead_id IS NOT NULL AND a.message_content IS NOT NULL
            ON CONFLICT DO NOTHING
            """, ct);
        await ExecAsync(conn, """
            UPDATE leads l SET last_activity_at = x.ts
            FROM (SELECT lead_id, max("timestamp") ts FROM lead_activity_log WHERE lead_id IS NOT NULL GROUP BY lead_id) x
            WHERE l.id = x.lead_id
            """, ct);
        await ExecAsync(conn, """
            INSERT INTO lead_campaigns (lead_id, campaign_id, enrolled_at)
            SELECT DISTINCT ON (a.lead_id, (a.metadata->>'campaign_id')::uuid) a.lead_id, (a.metadata->>'campaign_id')::uuid, a."timestamp"
            FROM lead_activity_log a
            WHERE a.event_type = 'CAMPAIGN_ENROLLED' AND a.lead_id IS NOT NULL AND a.metadata ? 'campaign_id'
            ORDER BY a.lead_id, (a.metadata->>'campaign_id')::uuid, a."timestamp" DESC
            ON CONFLICT DO NOTHING
            """, ct);
        // COPY wrote created_at itself, possibly behind the analytics bookmark: have the rollups rebuilt.
        await AnalyticsRefresher.RequestRebuildAsync(conn, ct);
        await ExecAsync(conn, "ANALYZE", ct);
        return new DemoDataStats(options.Leads, written, options.Days);
    }

    private const string EventColumns =
        "event_type, event_category, lead_id, lead_airtable_id, client_id, description, message_content, metadata, source, " +
        "execution_id, created_by, actor_type, actor_id, correlation_id, related_entity_type, related_entity_id, idempotency_key, \"timestamp\", created_at";

    private sealed record DemoLead(Guid? Id, string AirtableId, string First, string Last, string Company, Guid ClientId);

    private sealed record JourneyContext(Random Rnd, DateTimeOffset Start, DateTimeOffset End,
        List<(Guid Id, string Name)> Campaigns, List<(Guid Id, string Name)> Staff)
    {
        public long Execution { get; set; } = 28_000;
    }

    private sealed record Ev(string Type, string Category, string Description, string? Message, object? Metadata, string Source,
        string ActorType = "system", string? ActorId = null, Guid? CreatedBy = null, string? RelatedType = null, string? RelatedId = null);

    private static async Task<long> WriteJourneysAsync(NpgsqlBinaryImporter w, JourneyContext ctx, DemoLead lead, long budget,
        Action<long> progress, CancellationToken ct)
    {
        var rnd = ctx.Rnd;
        long n = 0;
        var span = (ctx.End - ctx.Start).TotalMinutes;
        while (n < budget)
        {
            var journey = Journey(ctx, lead).ToList();
            // Steps are 1-91 minutes apart: start early enough for the whole journey to end before now, so the
            // last days are as busy as any other (not empty, and not piled up at the end).
            var t = ctx.Start.AddMinutes(rnd.NextDouble() * Math.Max(0, span - journey.Count * 91.0));
            var correlation = Guid.NewGuid();
            var execution = (ctx.Execution++).ToString();
            foreach (var e in journey)
            {
                if (n >= budget) break;
                t = t.AddMinutes(1 + rnd.NextDouble() * 90);
                if (t > ctx.End) t = ctx.End.AddSeconds(-rnd.Next(1, 3600));
                await w.StartRowAsync(ct);
                await w.WriteAsync(e.Type, ct);
                await w.WriteAsync(e.Category, ct);
                if (lead.Id is { } id) await w.WriteAsync(id, ct); else await w.WriteNullAsync(ct);
                await w.WriteAsync(lead.AirtableId, ct);
                await w.WriteAsync(lead.ClientId, ct);
                await w.WriteAsync(e.Description, ct);
                await WriteOrNull(w, e.Message, NpgsqlDbType.Text, ct);
                await WriteOrNull(w, e.Metadata is null ? null : JsonSerializer.Serialize(e.Metadata), NpgsqlDbType.Jsonb, ct);
                await w.WriteAsync(e.Source, ct);
                await WriteOrNull(w, e.Source.StartsWith("n8n:") ? execution : null, NpgsqlDbType.Text, ct);
                if (e.CreatedBy is { } by) await w.WriteAsync(by, ct); else await w.WriteNullAsync(ct);
                await w.WriteAsync(e.ActorType, ct);
                await WriteOrNull(w, e.ActorId, NpgsqlDbType.Text, ct);
                if (e.Source.StartsWith("n8n:")) await w.WriteAsync(correlation, ct); else await w.WriteNullAsync(ct);
                await WriteOrNull(w, e.RelatedType, NpgsqlDbType.Text, ct);
                await WriteOrNull(w, e.RelatedId, NpgsqlDbType.Text, ct);
                await w.WriteAsync($"demo:{Guid.NewGuid():N}", ct);
                await w.WriteAsync(t.UtcDateTime, NpgsqlDbType.TimestampTz, ct);
                await w.WriteAsync(t.AddSeconds(rnd.Next(0, 5)).UtcDateTime, NpgsqlDbType.TimestampTz, ct);
                n++;
                if (n % 50_000 == 0) progress(n);
            }
        }
        return n;
    }

    private static IEnumerable<Ev> Journey(JourneyContext ctx, DemoLead lead)
    {
        var rnd = ctx.Rnd;
        var campaign = ctx.Campaigns[rnd.Next(ctx.Campaigns.Count)];
        var person = ctx.Staff[rnd.Next(ctx.Staff.Count)];
        var sms = string.Format(Pick(rnd, SmsTemplates), lead.First, lead.Company);
        var phone = $"408555{rnd.Next(0, 10000):D4}";
        const string Scheduler = "n8n:kJMMZ10anu4NqYUL";
        var kind = rnd.Next(100);
        if (kind < 45)
        {
            yield return new("CAMPAIGN_ENROLLED", "CAMPAIGN", $"Enrolled in campaign: {campaign.Name}", null,
                new { campaign_id = campaign.Id, campaign_name = campaign.Name }, Scheduler, RelatedType: "Campaign", RelatedId: campaign.Id.ToString());
            yield return new("MESSAGE_SENT", "SMS", $"SMS sent: {Trim(sms, 50)}", sms,
                new { campaign_id = campaign.Id, campaign_name = campaign.Name, phone, template_id = $"recTPL{rnd.Next(100, 999)}", simpletexting_id = rnd.Next(10000, 99999).ToString() }, Scheduler);
            if (rnd.Next(100) < 8)
            {
                yield return new("MESSAGE_FAILED", "SMS", "SMS failed: carrier rejected the number", null, new { phone, error_code = "30006", error = "Landline or unreachable carrier" }, "n8n:st-delivery-v2");
                yield break;
            }
            if (rnd.Next(100) < 93) yield return new("MESSAGE_DELIVERED", "SMS", "SMS delivered", null, new { phone, carrier = Pick(rnd, ["Verizon", "T-Mobile", "AT&T"]) }, "n8n:st-delivery-v2");
            if (rnd.Next(100) < 20) yield return new("LINK_CLICKED", "SMS", "Link clicked: go.example.com/pmt", null, new { url = "https://go.example.com/pmt" }, "n8n:link-tracker");
            var reply = rnd.Next(100);
            if (reply < 4) { yield return new("OPT_OUT", "SMS", "Lead replied STOP", "STOP", new { phone }, "n8n:reply-handler"); yield break; }
            if (reply < 40)
            {
                var text = Pick(rnd, Replies);
                yield return new("INBOUND_REPLY", "SMS", $"Reply: {Trim(text, 60)}", text, new { phone }, "n8n:reply-handler");
                yield return new("AI_RESPONSE_SENT", "CONVERSATION", "AI replied to the lead", "Thanks! Could you tell me how many people are on your team?", new { model = "gpt-4o-mini", confidence = 0.91 }, "n8n:reply-handler", "agent", "follow-up-drafter");
                if (rnd.Next(100) < 50)
                {
                    yield return new("QUALIFYING_QUESTION_ASKED", "CONVERSATION", "Asked: team size", "How many people are on your team?", new { question = "team_size" }, "n8n:reply-handler", "agent", "qualifier");
                    yield return new("QUALIFYING_ANSWER_CAPTURED", "CONVERSATION", "Answer captured: team size 6-20", "About 12 of us", new { question = "team_size", answer = "6-20" }, "n8n:reply-handler", "agent", "qualifier");
                }
                if (rnd.Next(100) < 10) yield return new("CONVERSATION_ESCALATED", "CONVERSATION", "Escalated to a human: pricing question", null, new { reason = "pricing", assigned_to = person.Name }, "n8n:reply-handler", "agent", "qualifier");
                if (rnd.Next(100) < 3) yield return new("CIRCUIT_BREAKER_TRIGGERED", "CONVERSATION", "Circuit breaker: 3 messages without reply", null, new { rule = "max_unanswered", count = 3 }, "n8n:reply-handler");
                if (rnd.Next(100) < 35)
                {
                    var at = ctx.End.AddDays(rnd.Next(-60, 14)).UtcDateTime;
                    var booking = $"evt_{rnd.Next(100000, 999999)}";
                    yield return new("BOOKING_CONFIRMED", "BOOKING", "Calendly booking confirmed", null,
                        new { calendly_event_uri = booking, scheduled_at = at.ToString("yyyy-MM-ddTHH:mm:ssZ"), invitee_name = $"{lead.First} {lead.Last}", event_type = "Strategy Call" },
                        "n8n:LiVE3BlxsFkHhG83", RelatedType: "Booking", RelatedId: booking);
                    var change = rnd.Next(100);
                    if (change < 10) yield return new("BOOKING_CANCELLED", "BOOKING", "Calendly booking cancelled", null, new { calendly_event_uri = booking, reason = "Schedule conflict" }, "n8n:LiVE3BlxsFkHhG83", RelatedType: "Booking", RelatedId: booking);
                    else if (change < 20)
                    {
                        var moved = at.AddDays(2).ToString("yyyy-MM-ddTHH:mm:ssZ");
                        yield return new("BOOKING_RESCHEDULED", "BOOKING", "Calendly booking rescheduled", null, new { calendly_event_uri = booking, previous_scheduled_at = at.ToString("yyyy-MM-ddTHH:mm:ssZ"), scheduled_at = moved }, "n8n:LiVE3BlxsFkHhG83", RelatedType: "Booking", RelatedId: booking);
                        yield return new("BOOKING_CONFIRMED", "BOOKING", "Calendly booking confirmed (rescheduled)", null, new { calendly_event_uri = booking, scheduled_at = moved, event_type = "Strategy Call" }, "n8n:LiVE3BlxsFkHhG83", RelatedType: "Booking", RelatedId: booking);
                    }
                }
            }
            if (rnd.Next(100) < 30) yield return new("CAMPAIGN_COMPLETED", "CAMPAIGN", $"Completed campaign: {campaign.Name}", null, new { campaign_id = campaign.Id, campaign_name = campaign.Name }, Scheduler);
        }
        else if (kind < 60)
        {
            var seq = $"seq_{rnd.Next(100, 130)}";
            yield return new("NURTURE_ENROLLED", "NURTURE", $"Enrolled in nurture sequence {seq}", null, new { sequenceId = seq }, "n8n:nurture-engine");
            for (var step = 1; step <= rnd.Next(1, 4); step++)
            {
                var channel = Pick(rnd, ["email", "sms", "task"]);
                yield return new("NURTURE_SCHEDULED", "NURTURE", $"Nurture step {step} scheduled", null, new { sequenceId = seq, stepId = $"step_{step}", channel }, "n8n:nurture-engine");
                yield return new("NURTURE_STEP_EXECUTED", "NURTURE", $"Nurture step {step} executed ({channel})", null, new { sequenceId = seq, stepId = $"step_{step}", channel, templateId = $"tmpl_followup_{step}", deliveryStatus = Pick(rnd, ["sent", "sent", "sent", "bounced"]) }, "n8n:nurture-engine");
            }
            var end = rnd.Next(100);
            if (end < 20) { yield return new("NURTURE_PAUSED", "NURTURE", "Nurture paused by rule: reply received", null, new { sequenceId = seq, reason = "reply_received" }, "n8n:nurture-engine"); yield return new("NURTURE_RESUMED", "NURTURE", "Nurture resumed", null, new { sequenceId = seq }, "n8n:nurture-engine"); }
            if (end < 60) yield return new("NURTURE_EXITED", "NURTURE", "Left the sequence: converted", null, new { sequenceId = seq, reason = Pick(rnd, ["conversion", "disqualified", "reply"]) }, "n8n:nurture-engine");
        }
        else if (kind < 72)
        {
            var subject = Pick(rnd, ["Following up on your inquiry", "Your Problem Mapping Template", "Quick question about pricing", "Webinar recording inside"]);
            yield return new("EMAIL_SENT", "EMAIL", $"Email sent: {subject}", $"Hi {lead.First},\n\nJust following up. {sms}\n\nBest,\n{person.Name}", new { emailSubject = subject, messageId = $"msg_{Guid.NewGuid():N}"[..16] }, "n8n:email-sender");
            if (rnd.Next(100) < 35) yield return new("EMAIL_RECEIVED", "EMAIL", $"Email received: Re: {subject}", Pick(rnd, Replies), new { emailSubject = "Re: " + subject, messageId = $"msg_{Guid.NewGuid():N}"[..16] }, "n8n:email-inbox");
        }
        else if (kind < 82)
        {
            var from = Pick(rnd, Statuses);
            var to = Pick(rnd, Statuses.Where(x => x != from).ToList());
            yield return new("LEAD_CLAIMED", "MANUAL", $"Lead claimed by {person.Name}", null, new { owner_id = person.Id, owner_name = person.Name }, "ui:lead-claim", "human", person.Id.ToString(), person.Id);
            yield return new("STATUS_CHANGED", "MANUAL", $"Status changed from {from} to {to}", null, new { fromStatus = from, toStatus = to }, "ui:status-change", "human", person.Id.ToString(), person.Id);
            if (rnd.Next(100) < 60)
            {
                // The same shape LeadActions.AddNoteAsync writes; the lead_notes rows are added after the COPY.
                var note = $"Spoke with {lead.First}: interested in the {campaign.Name} offer, call back next week about pricing.";
                var noteId = Guid.NewGuid();
                yield return new("NOTE_ADDED", "MANUAL", "Note added", note, new { note_id = noteId, note_length = note.Length }, "ui:note-add", "human", person.Id.ToString(), person.Id, "Note", noteId.ToString());
            }
            if (rnd.Next(100) < 50)
            {
                var outcome = Pick(rnd, ["connected", "connected", "voicemail", "no_answer"]);
                var seconds = outcome == "connected" ? rnd.Next(120, 1800) : rnd.Next(5, 60);
                yield return new("CALL_LOGGED", "CALL", $"Call logged: {CallOutcomes.Labels[outcome].ToLowerInvariant()}, {LeadActions.FormatDuration(seconds)}",
                    outcome == "connected" ? "Discussed goals and budget; sending the proposal." : null, new { outcome, durationSeconds = seconds }, "ui:call-log", "human", person.Id.ToString(), person.Id);
            }
        }
        else
        {
            var prev = rnd.Next(10, 70);
            var next = Math.Clamp(prev + rnd.Next(-15, 30), 0, 100);
            yield return new("ENRICHMENT_COMPLETED", "SYSTEM", "Enrichment filled 4 fields", null, new { linkedinUrl = $"https://linkedin.com/in/{Ascii(lead.First).ToLowerInvariant()}-{Ascii(lead.Last).ToLowerInvariant()}", companySize = Pick(rnd, ["1-10", "11-50", "51-200"]), industry = Pick(rnd, ["SaaS", "Healthcare", "Coaching", "Real estate"]), website = "https://example.com" }, "n8n:clay-enrichment", "agent", "enrichment-agent");
            yield return new("ICP_SCORE_UPDATED", "SYSTEM", $"ICP score {prev} → {next}", null, new { previousScore = prev, newScore = next, previousBand = Band(prev), newBand = Band(next), modelVersion = "v1.0", topFactors = new[] { "job_title_match", "opened_2_emails", "visited_pricing_page" } }, "n8n:scoring");
            if (rnd.Next(100) < 10) yield return new("CAMPAIGN_REMOVED", "CAMPAIGN", $"Removed from campaign: {campaign.Name}", null, new { campaign_id = campaign.Id, campaign_name = campaign.Name }, "ui:campaign-remove", "human", person.Id.ToString(), person.Id);
        }
    }

    public static string Band(int score) => score >= 70 ? "hot" : score >= 40 ? "warm" : "cold";
    private static T Pick<T>(Random rnd, IReadOnlyList<T> items) => items[rnd.Next(items.Count)];
    private static string Trim(string s, int n) => s.Length <= n ? s : s[..n] + "...";
    private static string Suffix(Random rnd) => new(Enumerable.Range(0, 4).Select(_ => (char)('A' + rnd.Next(26))).ToArray());
    private static string Ascii(string s) => new string(s.Normalize(System.Text.NormalizationForm.FormD).Where(c => c < 128 && c != '\'').ToArray());

    private static async Task WriteOrNull(NpgsqlBinaryImporter w, string? value, NpgsqlDbType type, CancellationToken ct)
    {
        if (value is null) await w.WriteNullAsync(ct); else await w.WriteAsync(value, type, ct);
    }

    private static async Task ExecAsync(NpgsqlConnection conn, string sql, CancellationToken ct) =>
        await new NpgsqlCommand(sql, conn).ExecuteNonQueryAsync(ct);

    private static async Task ExecAsync(NpgsqlConnection conn, string sql, (string, object) a, (string, object) b, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(sql, conn);
        cmd.Parameters.AddWithValue(a.Item1, a.Item2);
        cmd.Parameters.AddWithValue(b.Item1, b.Item2);
        await cmd.ExecuteNonQueryAsync(ct);
    }

    private static async Task<List<T>> ListAsync<T>(NpgsqlConnection conn, string sql, CancellationToken ct)
    {
        var list = new List<T>();
        await using var cmd = new NpgsqlCommand(sql, conn);
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct)) list.Add(r.GetFieldValue<T>(0));
        return list;
    }
}
