using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using ActivityCrm.Data.Entities;
using ActivityCrm.Web.Features.Ingestion;

namespace ActivityCrm.Web.Features.Imports;

public sealed record RetryQueueReport(int Rows, int Created, int Duplicates, int Rejected, IReadOnlyList<ImportRowProblem> RejectedRows, TimeSpan Elapsed)
{
    public const int MaxListedRows = 200;
}

/// <summary>
/// Replays the PRD's Airtable Retry_Queue export (queue_id, operation_type, lead_id, payload, retry_count,
/// next_retry_at, created_at; payload = the JSON the n8n node would have sent) through the ingestion service.
/// Each row keeps the key its original request had: the payload's idempotencyKey, else the natural key the API
/// derives from executionId/timestamp (so an event whose request did reach the server is not stored again),
/// else one derived from queue_id. Importing the same file twice therefore creates nothing new. Rejected rows
/// go to the dead-letter store with reason import, replayable from there once their cause is fixed.
/// </summary>
public sealed class RetryQueueImport(IngestionService ingestion, Ingestion.DeadLetters deadLetters, TimeProvider clock)
{
    public const string What = "Retry_Queue";
    private const int ChunkSize = 200;

    public async Task<RetryQueueReport> ImportAsync(Stream csvStream, IProgress<ImportProgress>? progress = null, CancellationToken ct = default)
    {
        var started = clock.GetTimestamp();
        using var csv = await CsvFile.OpenAsync(csvStream, What);
        var payloadColumn = csv.Column("payload", "json", "body")
            ?? throw new ImportFileException($"The file has no payload column (found: {string.Join(", ", csv.Headers)}). A {What} export has queue_id, operation_type, lead_id, payload, retry_count, next_retry_at, created_at.");
        var queueIdColumn = csv.Column("queue_id", "id", "record_id");
        var operationColumn = csv.Column("operation_type", "operation");
        var leadColumn = csv.Column("lead_id", "lead_airtable_id", "lead");
        var createdColumn = csv.Column("created_at", "created");

        int rows = 0, created = 0, duplicates = 0, rejected = 0;
        var problems = new List<ImportRowProblem>();
        var chunk = new List<(int Row, IngestRequest Request, JsonDocument Doc)>();

        async Task FlushAsync()
        {
            if (chunk.Count == 0) return;
            try
            {
                var outcomes = await ingestion.IngestAsync(chunk.Select(c => c.Request).ToList(), IngestionCaller.Import, IngestionFailureReasons.Import, ct);
                if (outcomes.Any(o => o.Status == IngestStatus.Unavailable))
                    throw new ImportDatabaseUnavailableException(chunk[0].Row);
                for (var i = 0; i < outcomes.Count; i++)
                {
                    switch (outcomes[i].Status)
                    {
                        case IngestStatus.Created: created++; break;
                        case IngestStatus.Duplicate: duplicates++; break;
                        default:
                            rejected++;
                            var first = outcomes[i].Errors?.Where(kv => kv.Key != "origin").SelectMany(kv => kv.Value.Select(m => $"{kv.Key}: {m}")).FirstOrDefault();
                            Problem(chunk[i].Row, outcomes[i].Reason ?? IngestionFailureReasons.Import, first ?? "rejected");
                            break;
                    }
                }
            }
            finally
            {
                foreach (var c in chunk) c.Doc.Dispose();
                chunk.Clear();
            }
            progress?.Report(csv.Progress(rows));
        }

        void Problem(int row, string reason, string message)
        {
            if (problems.Count < RetryQueueReport.MaxListedRows) problems.Add(new ImportRowProblem(row, reason, message));
        }

        async Task RejectRowAsync(int row, string? queueId, string field, string message, string payload)
        {
            rejected++;
            Problem(row, IngestionFailureReasons.Import, $"{field}: {message}");
            await deadLetters.RecordAsync(null, null, null, IngestionFailureReasons.Import,
                new Dictionary<string, string[]> { [field] = [message], ["origin"] = [Origin(row, queueId)] }, payload, ct);
        }

        while (await csv.ReadAsync())
        {
            ct.ThrowIfCancellationRequested();
            rows++;
            var row = csv.Row;
            var queueId = csv.Get(queueIdColumn);
            var payload = csv.Get(payloadColumn) ?? "";
            if (csv.Get(operationColumn) is { } operation && !operation.Equals("activity_log", StringComparison.OrdinalIgnoreCase))
            {
                await RejectRowAsync(row, queueId, "operation_type", $"'{operation}' is not an activity_log operation; only activity_log rows are replayed here.", payload);
                continue;
            }
            JsonNode? node;
            try { node = JsonNode.Parse(payload, documentOptions: IngestionService.JsonOptions); }
            catch (JsonException e)
            {
                await RejectRowAsync(row, queueId, "payload", $"is not valid JSON ({e.Message}).", payload);
                continue;
            }
            if (node is JsonObject obj && obj["leadAirtableId"] is null && obj["leadId"] is null && csv.Get(leadColumn) is { } lead)
                obj["leadAirtableId"] = lead; // the row's lead_id is what the node queued the event for
            var text = node?.ToJsonString() ?? payload;
            var doc = JsonDocument.Parse(text, IngestionService.JsonOptions);
            chunk.Add((row, new IngestRequest(doc.RootElement, text)
            {
                Context = new ActivityPayloadParser.Context(ParseTime(csv.Get(createdColumn)), queueId is null ? null : $"retry-queue:{queueId}"),
                Origin = Origin(row, queueId),
            }, doc));
            if (chunk.Count >= ChunkSize) await FlushAsync();
        }
        await FlushAsync();
        return new RetryQueueReport(rows, created, duplicates, rejected, problems.OrderBy(p => p.Row).ToList(), clock.GetElapsedTime(started));
    }

    private static string Origin(int row, string? queueId) => $"{What} import, row {row}" + (queueId is null ? "" : $", queue_id {queueId}");

    internal static DateTimeOffset? ParseTime(string? value) =>
        value is not null && DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var t) ? t : null;
}

/// <summary>The database went away during an import; rows before <see cref="Row"/> were stored, and importing again is safe.</summary>
public sealed class ImportDatabaseUnavailableException(int row)
    : Exception($"The database became unreachable at row {row}. Rows before it were stored; import the file again when it is back (nothing is duplicated).")
{
    public int Row { get; } = row;
}
