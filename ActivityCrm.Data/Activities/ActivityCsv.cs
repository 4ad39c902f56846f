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
        // This thread reads rows from PostgreSQL and writes the output; a worker formats the records in
        // between, in order. One worker: on a small machine the database needs the other core.
        await csv.ParallelWriteAsync(Count(rows, () => n++, ct), WriteRecord, Math.Max(1, Environment.ProcessorCount / 2), ct);
        await csv.FlushAsync(ct);
        return n;
    }

    private static async IAsyncEnumerable<ActivityRow> Count(IAsyncEnumerable<ActivityRow> rows, Action counted,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        await foreach (var r in rows.WithCancellation(ct))
        {
            counted();
            yield return r;
        }
    }

    private static void WriteRecord(CsvWriter csv, ActivityRow r)
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
        csv.EndRecord();
    }

    /// <summary>"activity-logs_SMS_2026-12-01T1530Z.csv": what was filtered and when, safe on every file system.</summary>
    public static string FileName(ActivityFilter filter, DateTimeOffset now) =>
        $"activity-logs_{filter.Describe()}_{now.ToUniversalTime().ToString("yyyy-MM-dd'T'HHmm'Z'", CultureInfo.InvariantCulture)}.csv";

    /// <summary>2026-12-01T15:30:05.123456Z, written digit by digit: a custom format string per cell is slow over millions of rows.</summary>
    private static void Time(CsvWriter csv, DateTimeOffset value)
    {
        var t = value.UtcDateTime;
        Span<char> b = stackalloc char[27];
        D(b, 0, t.Year, 4); b[4] = '-'; D(b, 5, t.Month, 2); b[7] = '-'; D(b, 8, t.Day, 2); b[10] = 'T';
        D(b, 11, t.Hour, 2); b[13] = ':'; D(b, 14, t.Minute, 2); b[16] = ':'; D(b, 17, t.Second, 2); b[19] = '.';
        D(b, 20, (int)(t.Ticks % TimeSpan.TicksPerSecond / 10), 6); b[26] = 'Z';
        csv.WriteField((ReadOnlySpan<char>)b);

        static void D(Span<char> b, int at, int value, int width)
        {
            for (var i = at + width - 1; i >= at; i--, value /= 10) b[i] = (char)('0' + value % 10);
        }
    }

    private static void Id(CsvWriter csv, Guid? value)
    {
        if (value is { } g) csv.WriteField(g); else csv.WriteField((string?)null);
    }
}
