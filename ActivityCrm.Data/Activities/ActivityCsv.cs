using System.Globalization;
using CsvHelper;
using Npgsql;

namespace ActivityCrm.Data.Activities;

/// <summary>
/// The CSV export: every row of a filter, streamed from PostgreSQL's reader straight into the destination
/// through CsvHelper's fixed buffer, so memory stays flat however many rows there are. RFC 4180 (CRLF,
/// quotes where needed), UTF-8 with a byte order mark (Excel then reads accents right), ISO-8601 UTC
/// times, metadata as one JSON column, and text starting with = + - @ tab or CR prefixed with ' so a
/// spreadsheet never runs it as a formula. The column order is part of the contract (README).
/// </summary>
public static class ActivityCsv
{
    public static readonly IReadOnlyList<string> Columns =
    [
        "id", "timestamp", "created_at", "event_type", "event_category", "lead_id", "lead_airtable_id", "lead_name", "lead_email",
        "lead_deleted", "client_id", "description", "message_content", "metadata", "source", "execution_id", "actor_type", "actor_id",
        "actor_name", "created_by", "correlation_id", "related_entity_type", "related_entity_id", "idempotency_key", "redacted_at",
        "redaction_reason",
    ];

    private const string TimeFormat = "yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'";

    /// <summary>Exports the filter's rows (cursor and paging ignored) into <paramref name="destination"/>; returns the row count.</summary>
    public static Task<long> ExportAsync(NpgsqlDataSource dataSource, ActivityFilter filter, Stream destination, DateTimeOffset? now = null,
        CancellationToken ct = default) =>
        WriteAsync(ActivityQuery.StreamAsync(dataSource, filter, now, ct), destination, ct);

    public static async Task<long> WriteAsync(IAsyncEnumerable<ActivityRow> rows, Stream destination, CancellationToken ct = default)
    {
        await using var csv = CsvWriter.Create(destination,
            new CsvWriterOptions
            {
                Injection = CsvInjection.Escape, WriteByteOrderMark = true, FormatProvider = CultureInfo.InvariantCulture, TrueValue = "true", FalseValue = "false",
            },
            leaveOpen: true);
        csv.WriteHeader(Columns.ToArray());
        long n = 0;
        await foreach (var r in rows.WithCancellation(ct))
        {
            csv.WriteField(r.Id);
            Time(csv, r.Timestamp);
            Time(csv, r.CreatedAt);
            csv.WriteField(r.EventType);
            csv.WriteField(r.EventCategory);
            Id(csv, r.LeadId);
            csv.WriteField(r.LeadAirtableId);
            csv.WriteField(r.LeadName);
            csv.WriteField(r.LeadEmail);
            csv.WriteField(r.LeadDeleted);
            Id(csv, r.ClientId);
            csv.WriteField(r.Description);
            csv.WriteField(r.MessageContent);
            csv.WriteField(r.Metadata);
            csv.WriteField(r.Source);
            csv.WriteField(r.ExecutionId);
            csv.WriteField(r.ActorType);
            csv.WriteField(r.ActorId);
            csv.WriteField(r.ActorName);
            Id(csv, r.CreatedBy);
            Id(csv, r.CorrelationId);
            csv.WriteField(r.RelatedEntityType);
            csv.WriteField(r.RelatedEntityId);
            csv.WriteField(r.IdempotencyKey);
            if (r.RedactedAt is { } redacted) Time(csv, redacted); else csv.WriteField((string?)null);
            csv.WriteField(r.RedactionReason);
            await csv.EndRecordAsync(ct);
            n++;
        }
        await csv.FlushAsync(ct);
        return n;
    }

    /// <summary>"activity-logs_SMS_2026-12-01T1530Z.csv": what was filtered and when, safe on every file system.</summary>
    public static string FileName(ActivityFilter filter, DateTimeOffset now) =>
        $"activity-logs_{filter.Describe()}_{now.ToUniversalTime().ToString("yyyy-MM-dd'T'HHmm'Z'", CultureInfo.InvariantCulture)}.csv";

    private static void Time(CsvWriter csv, DateTimeOffset value) => csv.WriteField(value.ToUniversalTime(), TimeFormat);

    private static void Id(CsvWriter csv, Guid? value)
    {
        if (value is { } g) csv.WriteField(g); else csv.WriteField((string?)null);
    }
}
