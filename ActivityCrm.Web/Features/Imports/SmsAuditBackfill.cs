using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using ActivityCrm.Data.Activities;
using ActivityCrm.Data.Entities;
using Npgsql;

namespace ActivityCrm.Web.Features.Imports;

public sealed record BackfillReport
{
    public const int ExamplesPerReason = 5;

    public bool DryRun { get; init; }
    public int Rows { get; init; }
    /// <summary>Events the usable rows make (a delivered row makes MESSAGE_SENT and MESSAGE_DELIVERED).</summary>
    public int Events { get; init; }
    /// <summary>Events stored (or, in a dry run, that would be).</summary>
    public int New { get; init; }
    /// <summary>Of <see cref="New"/>: for leads not synced yet (kept with their Airtable id, linked when the lead arrives).</summary>
    public int NewForUnsyncedLeads { get; init; }
    public IReadOnlyDictionary<string, int> Duplicates { get; init; } = new Dictionary<string, int>();
    /// <summary>Rows that make no event, by reason.</summary>
    public IReadOnlyDictionary<string, int> Unusable { get; init; } = new Dictionary<string, int>();
    public IReadOnlyList<ImportRowProblem> Examples { get; init; } = [];
    public TimeSpan Elapsed { get; init; }

    public int DuplicateTotal => Duplicates.Values.Sum();
    public int UnusableRows => Unusable.Values.Sum();
}

/// <summary>
/// PRD phase 4: the legacy Airtable SMS_Audit table (CSV export) becomes MESSAGE_SENT / MESSAGE_DELIVERED /
/// MESSAGE_FAILED events with source backfill:sms_audit, without duplicating what the n8n workflows already
/// logged during the dual-write period. The file is streamed in chunks (a 100,000-row file needs no more
/// memory than a chunk); a dry run makes the same decisions and writes nothing. Columns, status mapping and
/// the duplicate rule are documented in docs/operations.md ("Backfill and recovery").
/// </summary>
public sealed class SmsAuditBackfill(NpgsqlDataSource dataSource, ActivityWriter writer, TimeProvider clock)
{
    public const string What = "SMS_Audit";
    public const string Source = "backfill:sms_audit";
    /// <summary>How far apart an SMS_Audit time and a logged event's time may be for them to be one message.</summary>
    public static readonly TimeSpan SameMessageWindow = TimeSpan.FromMinutes(5);
    private const int ChunkRows = 1000;

    /// <summary>Accepted column names, in order of preference (matched ignoring case, spaces and punctuation).</summary>
    public static readonly IReadOnlyDictionary<string, string[]> Columns = new Dictionary<string, string[]>
    {
        ["record_id"] = ["record_id", "sms_audit_id", "audit_id", "airtable_record_id", "airtable_id", "record", "id"],
        ["lead_record_id"] = ["lead_record_id", "lead_airtable_id", "lead_airtable_record_id", "lead_id", "lead", "leads", "lead_record"],
        ["phone"] = ["phone", "phone_number", "to", "to_number", "to_phone", "recipient", "mobile"],
        ["message_text"] = ["message_text", "message", "text", "body", "sms_text", "message_body", "content"],
        ["status"] = ["status", "delivery_status", "sms_status", "message_status"],
        ["campaign"] = ["campaign", "campaign_id", "campaign_name"],
        ["sent_at"] = ["sent_at", "sent_time", "sent", "timestamp", "created_at", "created", "date"],
        ["delivered_at"] = ["delivered_at", "delivery_time", "delivered_time", "delivered"],
        ["error"] = ["error", "error_message", "failure_reason", "error_reason", "error_code"],
        ["simpletexting_message_id"] = ["simpletexting_message_id", "simpletexting_id", "st_message_id", "provider_message_id", "message_id", "external_id"],
        ["workflow_id"] = ["workflow_id", "workflow", "n8n_workflow_id"],
        ["execution_id"] = ["execution_id", "execution", "n8n_execution_id"],
        ["template_id"] = ["template_id", "template"],
    };

    // Where the workflows put SimpleTexting's message id (the PRD's example uses simpletexting_id).
    private const string ProviderIdSql = "coalesce(a.metadata->>'simpletexting_id', a.metadata->>'simpletexting_message_id', a.metadata->>'message_id')";

    private static readonly string[] SentStatuses = ["sent", "sending", "queued", "accepted", "submitted"];
    private static readonly string[] DeliveredStatuses = ["delivered", "received"];
    private static readonly string[] FailedStatuses = ["failed", "undelivered", "error", "rejected", "bounced", "blocked"];

    public async Task<BackfillReport> RunAsync(Stream csvStream, bool dryRun, IProgress<ImportProgress>? progress = null, CancellationToken ct = default)
    {
        var started = clock.GetTimestamp();
        using var csv = await CsvFile.OpenAsync(csvStream, What);
        var col = Columns.ToDictionary(kv => kv.Key, kv => csv.Column(kv.Value));
        var missing = new[] { "lead_record_id", "status", "sent_at" }.Where(c => col[c] is null).ToList();
        if (missing.Count > 0)
            throw new ImportFileException($"The file has no {string.Join(", ", missing)} column (found: {string.Join(", ", csv.Headers)}). " +
                $"Accepted names: {string.Join("; ", missing.Select(m => $"{m}: {string.Join(", ", Columns[m])}"))}.");

        var state = new State(dryRun);
        var chunk = new List<Candidate>();
        var rows = 0;
        while (await csv.ReadAsync())
        {
            ct.ThrowIfCancellationRequested();
            rows++;
            var row = csv.Row;
            var (events, problem) = csv.BadRow ? ([], ("malformed_row", "The row's quoting is broken, so its fields cannot be trusted."))
                : ToEvents(row, Fields(csv, col), clock.GetUtcNow());
            if (problem is { } p) state.Unusable(row, p.Reason, p.Message);
            chunk.AddRange(events);
            if (chunk.Count >= ChunkRows)
            {
                await DecideAndWriteAsync(chunk, state, ct);
                chunk.Clear();
                progress?.Report(csv.Progress(rows));
            }
        }
        await DecideAndWriteAsync(chunk, state, ct);
        progress?.Report(csv.Progress(rows));
        return state.Report(rows, clock.GetElapsedTime(started));
    }

    private static Dictionary<string, string?> Fields(CsvFile csv, Dictionary<string, int?> col) => col.ToDictionary(kv => kv.Key, kv => csv.Get(kv.Value));

    /// <summary>An event a row makes, with what the duplicate check needs.</summary>
    private sealed record Candidate(int Row, NewActivity Activity, string? ProviderId, string? Text);

    private static (IReadOnlyList<Candidate> Events, (string Reason, string Message)? Problem) ToEvents(int row, Dictionary<string, string?> f, DateTimeOffset now)
    {
        (IReadOnlyList<Candidate>, (string, string)?) Unusable(string reason, string message) => ([], (reason, message));

        var lead = f["lead_record_id"];
        if (lead is null) return Unusable("missing_lead", "No lead record id: the message cannot be put on anyone's timeline.");
        // Airtable exports a linked record as its primary field or id; a multi-link cell lists several.
        if (lead.Contains(',')) return Unusable("several_leads", $"The lead cell names several records ({Clip(lead, 60)}); one message belongs to one lead.");
        if (lead.Length > 255) return Unusable("field_too_long", "The lead record id is longer than 255 characters.");
        var status = f["status"]?.ToLowerInvariant();
        if (status is null) return Unusable("missing_status", "No status: it is not known whether the message was sent, delivered or failed.");
        var kind = SentStatuses.Contains(status) ? "sent" : DeliveredStatuses.Contains(status) ? "delivered" : FailedStatuses.Contains(status) ? "failed" : null;
        if (kind is null) return Unusable("unknown_status", $"Status '{Clip(status, 40)}' is none of sent, delivered, failed (or their synonyms).");
        if (f["sent_at"] is not { } sentText) return Unusable("missing_time", "No sent_at: the event needs the time the message was sent.");
        if (ParseTime(sentText) is not { } sentAt) return Unusable("bad_time", $"sent_at '{Clip(sentText, 40)}' is not a date and time.");
        if (sentAt > now.AddDays(1) || sentAt.Year < 2000) return Unusable("bad_time", $"sent_at {sentAt:yyyy-MM-dd HH:mm} is outside 2000 .. tomorrow.");
        var text = f["message_text"];
        if (text is { Length: > 100_000 }) return Unusable("field_too_long", "The message text is longer than 100,000 characters.");
        if (f.Values.Any(v => v is not null && (v.Contains('\0') || Ingestion.ActivityPayloadParser.HasUnpairedSurrogate(v))))
            return Unusable("invalid_text", "A field contains NUL or invalid characters.");
        var deliveredAt = ParseTime(f["delivered_at"]) is { } d && d >= sentAt && d <= now.AddDays(1) ? d : (DateTimeOffset?)null;

        var providerId = f["simpletexting_message_id"];
        var metadata = new Dictionary<string, string?>
        {
            ["sms_audit_record_id"] = f["record_id"], ["phone"] = f["phone"], ["campaign_id"] = f["campaign"], ["simpletexting_id"] = providerId,
            ["template_id"] = f["template_id"], ["workflow_id"] = f["workflow_id"], ["error"] = f["error"], ["sms_audit_status"] = status,
        }.Where(kv => kv.Value is not null).ToDictionary(kv => kv.Key, kv => kv.Value);
        metadata["backfilled_from"] = What;
        var json = JsonSerializer.Serialize(metadata);
        // Re-importing a file (or a file that repeats a record) must not duplicate: the key is the record id, or
        // without one, the row's content.
        var keyBase = f["record_id"] is { } id ? Cut(id, 200) : "row:" + Hash(lead, status, sentText, text, providerId);

        NewActivity Event(string type, string description, string? content, DateTimeOffset at, string suffix) => new()
        {
            EventType = type, EventCategory = EventCategories.Sms, LeadAirtableId = lead, Description = description, MessageContent = content,
            Metadata = json, Source = Source, ExecutionId = f["execution_id"] is { } e ? Cut(e, 255) : null, Timestamp = at,
            ActorType = ActorTypes.System, IdempotencyKey = $"sms_audit:{keyBase}:{suffix}",
        };
        var sentDescription = text is null ? "SMS sent" : $"SMS sent: {Clip(text, 50)}";
        var normalised = text?.Trim();
        IReadOnlyList<Candidate> events = kind switch
        {
            "sent" => [new(row, Event("MESSAGE_SENT", sentDescription, text, sentAt, "sent"), providerId, normalised)],
            "delivered" =>
            [
                new(row, Event("MESSAGE_SENT", sentDescription, text, sentAt, "sent"), providerId, normalised),
                new(row, Event("MESSAGE_DELIVERED", "SMS delivered", null, deliveredAt ?? sentAt, "delivered"), providerId, null),
            ],
            _ => [new(row, Event("MESSAGE_FAILED", f["error"] is { } err ? $"SMS failed: {Clip(err, 200)}" : "SMS failed", text, sentAt, "failed"), providerId, normalised)],
        };
        return (events, null);
    }

    /// <summary>
    /// Decides for each event: already imported (same key), a duplicate of an event logged during the dual-write
    /// period (same lead and type, and the same SimpleTexting message id, or with no id on either side, within
    /// <see cref="SameMessageWindow"/> with the same text), repeated earlier in the file, or new. New ones are
    /// appended (unless dry run) through the one write path, whose key makes a concurrent double import harmless.
    /// Three queries per chunk, whatever its size: the comparison with what was logged happens here, in memory.
    /// </summary>
    private async Task DecideAndWriteAsync(List<Candidate> chunk, State state, CancellationToken ct)
    {
        if (chunk.Count == 0) return;
        var fresh = new List<Candidate>();
        foreach (var c in chunk)
        {
            if (!state.SeenKeys.Add(c.Activity.IdempotencyKey!)) { state.Duplicate("repeated_in_file"); continue; }
            if (c.ProviderId is { } pid && !state.SeenProviderIds.Add((c.Activity.LeadAirtableId!, c.Activity.EventType, pid))) { state.Duplicate("repeated_in_file"); continue; }
            fresh.Add(c);
        }
        if (fresh.Count == 0) return;

        var leads = fresh.Select(c => c.Activity.LeadAirtableId!).Distinct().ToArray();
        var known = new Dictionary<string, Guid>();
        var imported = new HashSet<string>(StringComparer.Ordinal);
        var logged = new Dictionary<(string Lead, string Type), List<(string? ProviderId, DateTimeOffset At, string? Text)>>();
        await using (var batch = dataSource.CreateBatch())
        {
            batch.BatchCommands.Add(new NpgsqlBatchCommand("SELECT airtable_record_id, id FROM leads WHERE airtable_record_id = ANY(@leads)")
                { Parameters = { new("leads", leads) } });
            batch.BatchCommands.Add(new NpgsqlBatchCommand("SELECT idempotency_key FROM activity_idempotency_keys WHERE source = @source AND idempotency_key = ANY(@keys)")
                { Parameters = { new("source", Source), new("keys", fresh.Select(c => c.Activity.IdempotencyKey!).ToArray()) } });
            // What the workflows logged for these leads: by Airtable id, and by lead id for events sent with leadId
            // only. Two index lookups; one query with OR would scan every event of these types.
            batch.BatchCommands.Add(new NpgsqlBatchCommand($$"""
                SELECT a.lead_airtable_id, a.event_type, {{ProviderIdSql}}, a."timestamp", btrim(a.message_content)
                FROM lead_activity_log a
                WHERE a.lead_airtable_id = ANY(@leads) AND a.event_type = ANY(@types) AND a.source <> @source
                UNION ALL
                SELECT l.airtable_record_id, a.event_type, {{ProviderIdSql}}, a."timestamp", btrim(a.message_content)
                FROM leads l JOIN lead_activity_log a ON a.lead_id = l.id
                WHERE l.airtable_record_id = ANY(@leads) AND a.lead_airtable_id IS DISTINCT FROM l.airtable_record_id
                  AND a.event_type = ANY(@types) AND a.source <> @source
                """) { Parameters = { new("leads", leads), new("types", fresh.Select(c => c.Activity.EventType).Distinct().ToArray()), new("source", Source) } });
            await using var r = await batch.ExecuteReaderAsync(ct);
            while (await r.ReadAsync(ct)) known[r.GetString(0)] = r.GetGuid(1);
            await r.NextResultAsync(ct);
            while (await r.ReadAsync(ct)) imported.Add(r.GetString(0));
            await r.NextResultAsync(ct);
            while (await r.ReadAsync(ct))
            {
                if (r.IsDBNull(0)) continue;
                var key = (r.GetString(0), r.GetString(1));
                if (!logged.TryGetValue(key, out var list)) logged[key] = list = [];
                list.Add((r.IsDBNull(2) ? null : r.GetString(2), r.GetFieldValue<DateTimeOffset>(3), r.IsDBNull(4) ? null : r.GetString(4)));
            }
        }

        var toWrite = new List<(Candidate Candidate, bool LeadKnown)>();
        foreach (var c in fresh)
        {
            var a = c.Activity;
            var others = logged.GetValueOrDefault((a.LeadAirtableId!, a.EventType)) ?? [];
            if (imported.Contains(a.IdempotencyKey!)) state.Duplicate("already_imported");
            else if (c.ProviderId is { } pid && others.Any(o => o.ProviderId == pid)) state.Duplicate("same_provider_message_id");
            else if (others.Any(o => (c.ProviderId is null || o.ProviderId is null) && (o.At - a.Timestamp).Duration() <= SameMessageWindow
                                     && (c.Text is null || o.Text is null || o.Text == c.Text)))
                state.Duplicate("same_time_and_text");
            else toWrite.Add((c, known.ContainsKey(a.LeadAirtableId!)));
        }
        if (toWrite.Count == 0) return;
        if (state.DryRun)
        {
            foreach (var (_, leadKnown) in toWrite) state.New(leadKnown);
            return;
        }
        var results = await writer.AppendAsync(toWrite.Select(w => w.Candidate.Activity).ToList(), ct);
        for (var i = 0; i < results.Count; i++)
        {
            if (results[i].Status == AppendStatus.Created) state.New(toWrite[i].LeadKnown);
            else if (results[i].Status == AppendStatus.Duplicate) state.Duplicate("already_imported");
            else state.Unusable(toWrite[i].Candidate.Row, "rejected", $"The event was refused ({results[i].Status}).");
        }
    }

    private sealed class State(bool dryRun)
    {
        public bool DryRun { get; } = dryRun;
        public HashSet<string> SeenKeys { get; } = new(StringComparer.Ordinal);
        public HashSet<(string, string, string)> SeenProviderIds { get; } = [];
        private readonly Dictionary<string, int> _duplicates = new(), _unusable = new();
        private readonly List<ImportRowProblem> _examples = [];
        private int _events, _new, _newUnsynced;

        public void New(bool leadKnown) { _events++; _new++; if (!leadKnown) _newUnsynced++; }

        public void Duplicate(string reason) { _events++; _duplicates[reason] = _duplicates.GetValueOrDefault(reason) + 1; }

        public void Unusable(int row, string reason, string message)
        {
            var n = _unusable[reason] = _unusable.GetValueOrDefault(reason) + 1;
            if (n <= BackfillReport.ExamplesPerReason) _examples.Add(new ImportRowProblem(row, reason, message));
        }

        public BackfillReport Report(int rows, TimeSpan elapsed) => new()
        {
            DryRun = DryRun, Rows = rows, Events = _events, New = _new, NewForUnsyncedLeads = _newUnsynced,
            Duplicates = new Dictionary<string, int>(_duplicates), Unusable = new Dictionary<string, int>(_unusable),
            Examples = _examples.OrderBy(e => e.Row).ToList(), Elapsed = elapsed,
        };
    }

    private static readonly string[] TimeFormats =
    [
        "M/d/yyyy h:mmtt", "M/d/yyyy h:mm tt", "M/d/yyyy H:mm", "M/d/yyyy h:mm:sstt", "M/d/yyyy H:mm:ss", "M/d/yyyy",
        "yyyy-MM-dd HH:mm:ss", "yyyy-MM-dd HH:mm", "yyyy-MM-dd",
    ];

    /// <summary>ISO-8601 (a time without a zone is UTC) or Airtable's "9/17/2025 2:03pm" export format (UTC).</summary>
    public static DateTimeOffset? ParseTime(string? value)
    {
        if (string.IsNullOrWhiteSpace(value)) return null;
        const DateTimeStyles utc = DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal;
        if (DateTimeOffset.TryParseExact(value, TimeFormats, CultureInfo.InvariantCulture, utc | DateTimeStyles.AllowWhiteSpaces, out var t)) return t;
        return value.Contains('-') && value.Length >= 10 && DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, utc, out t) ? t : null;
    }

    private static string Hash(params string?[] parts) =>
        Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('\u001f', parts.Select(p => p ?? ""))))).ToLowerInvariant()[..32];

    private static string Clip(string s, int max) => s.Length <= max ? s : s[..max] + "...";

    private static string Cut(string s, int max) => s.Length <= max ? s : s[..max];
}
