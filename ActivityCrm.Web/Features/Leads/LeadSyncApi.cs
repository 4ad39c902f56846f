using System.Text.Json;
using ActivityCrm.Data.Entities;
using ActivityCrm.Web.Features.Ingestion;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;

namespace ActivityCrm.Web.Features.Leads;

public sealed record LeadSyncResponse(Guid LeadId, bool Created, int LinkedActivities);

/// <summary>
/// PUT /api/internal/leads/{airtableRecordId}: the Airtable → PostgreSQL lead sync target. Upserts the
/// lead (fields left out keep their value) and, in the same transaction, links the events that arrived
/// before the lead did.
/// </summary>
public static class LeadSyncApi
{
    public static RouteGroupBuilder MapLeadSyncApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/internal/leads").WithTags("Lead sync").AllowAnonymous()
            .AddEndpointFilter<ApiKeyFilter>().DisableAntiforgery()
            .RequireRateLimiting(Hosting.Hardening.IngestionPolicy);
        group.MapPut("/{airtableRecordId}", UpsertAsync)
            .WithMetadata(new DocumentedBody(typeof(LeadSyncRequest)))
            .WithSummary("Upsert a lead from Airtable and link its orphaned events.")
            .Produces<LeadSyncResponse>(StatusCodes.Status201Created)
            .Produces<LeadSyncResponse>()
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        return group;
    }

    private static readonly string[] TextFields = ["firstName", "lastName", "email", "phone", "company", "title", "status", "icpBand", "ownerEmail"];

    private static async Task<Results<Created<LeadSyncResponse>, Ok<LeadSyncResponse>, ValidationProblem, ProblemHttpResult>> UpsertAsync(
        string airtableRecordId, HttpContext http, NpgsqlDataSource dataSource, CancellationToken ct)
    {
        var body = await JsonBody.ReadAsync(http, IngestionApi.MaxBodyBytes, ct);
        if (body.Problem is { } problem) return problem;
        using var doc = body.Document!;
        var json = doc.RootElement;
        var errors = new Dictionary<string, string[]>();
        if (airtableRecordId.Length > 255 || string.IsNullOrWhiteSpace(airtableRecordId))
            errors["airtableRecordId"] = ["airtableRecordId must be 1 to 255 characters."];
        if (json.ValueKind != JsonValueKind.Object)
            return IngestionApi.Validation(new() { ["$"] = ["The body must be a JSON object with the lead's fields."] });

        var values = new Dictionary<string, string?>();
        foreach (var f in TextFields)
        {
            if (!json.TryGetProperty(f, out var v) || v.ValueKind == JsonValueKind.Null) continue;
            if (v.ValueKind != JsonValueKind.String) { errors[f] = [$"{f} must be a string."]; continue; }
            var s = v.GetString()!.Trim();
            if (s.Length > 320 || s.Contains('\0')) { errors[f] = [$"{f} must be at most 320 characters, without NUL."]; continue; }
            values[f] = s;
        }
        if (values.TryGetValue("email", out var email) && email is { Length: > 0 } && !email.Contains('@'))
            errors["email"] = ["email must be an email address."];
        if (values.TryGetValue("status", out var status) && status is not null && !LeadStatuses.All.Contains(status))
            errors["status"] = [$"Unknown status '{status}'. Valid statuses: {string.Join(", ", LeadStatuses.All)}."];
        int? score = null;
        if (json.TryGetProperty("icpScore", out var sc) && sc.ValueKind != JsonValueKind.Null)
        {
            if (sc.ValueKind != JsonValueKind.Number || !sc.TryGetInt32(out var n) || n is < 0 or > 100) errors["icpScore"] = ["icpScore must be a whole number from 0 to 100."];
            else score = n;
        }
        Guid? clientId = null;
        if (json.TryGetProperty("clientId", out var cl) && cl.ValueKind != JsonValueKind.Null)
        {
            if (cl.ValueKind != JsonValueKind.String || !Guid.TryParse(cl.GetString(), out var g)) errors["clientId"] = ["clientId must be a UUID."];
            else clientId = g;
        }
        clientId ??= http.ApiKey().ClientId;
        if (errors.Count > 0) return IngestionApi.Validation(errors);

        try
        {
            await using var conn = await dataSource.OpenConnectionAsync(ct);
            await using var tx = await conn.BeginTransactionAsync(ct);
            await using var upsert = new NpgsqlCommand("""
                INSERT INTO leads (airtable_record_id, first_name, last_name, email, phone, company, title, status, icp_score, icp_band, client_id, owner_id)
                VALUES (@rec, @first, @last, @email, @phone, @company, @title, coalesce(@status, 'new'), @score, @band, @client,
                        (SELECT id FROM users WHERE normalized_email = upper(@owner)))
                ON CONFLICT (airtable_record_id) DO UPDATE SET
                    first_name = coalesce(excluded.first_name, leads.first_name),
                    last_name = coalesce(excluded.last_name, leads.last_name),
                    email = coalesce(excluded.email, leads.email),
                    phone = coalesce(excluded.phone, leads.phone),
                    company = coalesce(excluded.company, leads.company),
                    title = coalesce(excluded.title, leads.title),
                    status = coalesce(@status, leads.status),
                    icp_score = coalesce(excluded.icp_score, leads.icp_score),
                    icp_band = coalesce(excluded.icp_band, leads.icp_band),
                    client_id = coalesce(excluded.client_id, leads.client_id),
                    owner_id = coalesce(excluded.owner_id, leads.owner_id),
                    updated_at = now()
                RETURNING id, (xmax = 0) AS inserted
                """, conn, tx);
            upsert.Parameters.AddWithValue("rec", airtableRecordId);
            foreach (var (param, field) in new[] { ("first", "firstName"), ("last", "lastName"), ("email", "email"), ("phone", "phone"), ("company", "company"), ("title", "title"), ("status", "status"), ("band", "icpBand"), ("owner", "ownerEmail") })
                upsert.Parameters.Add(new NpgsqlParameter(param, NpgsqlTypes.NpgsqlDbType.Text) { Value = (object?)values.GetValueOrDefault(field) ?? DBNull.Value });
            upsert.Parameters.Add(new NpgsqlParameter("score", NpgsqlTypes.NpgsqlDbType.Integer) { Value = (object?)score ?? DBNull.Value });
            upsert.Parameters.Add(new NpgsqlParameter("client", NpgsqlTypes.NpgsqlDbType.Uuid) { Value = (object?)clientId ?? DBNull.Value });
            Guid leadId;
            bool created;
            await using (var r = await upsert.ExecuteReaderAsync(ct))
            {
                await r.ReadAsync(ct);
                leadId = r.GetGuid(0);
                created = r.GetBoolean(1);
            }

            // Orphan linking is one of the two updates the append-only trigger allows.
            await using var link = new NpgsqlCommand("""
                WITH linked AS (
                    UPDATE lead_activity_log SET lead_id = @lead
                    WHERE lead_id IS NULL AND lead_airtable_id = @rec
                    RETURNING "timestamp"
                ), touch AS (
                    UPDATE leads SET last_activity_at = greatest(coalesce(last_activity_at, '-infinity'), (SELECT max("timestamp") FROM linked))
                    WHERE id = @lead AND EXISTS (SELECT 1 FROM linked)
                )
                SELECT count(*) FROM linked
                """, conn, tx);
            link.Parameters.AddWithValue("lead", leadId);
            link.Parameters.AddWithValue("rec", airtableRecordId);
            var linkedCount = (int)(long)(await link.ExecuteScalarAsync(ct))!;
            await tx.CommitAsync(ct);

            var response = new LeadSyncResponse(leadId, created, linkedCount);
            return created ? TypedResults.Created($"/leads/{leadId}", response) : TypedResults.Ok(response);
        }
        catch (Exception e) when (DatabaseErrors.IsUnavailable(e))
        {
            return (ProblemHttpResult)DatabaseErrors.Unavailable(http);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation && e.ConstraintName?.Contains("email") == true)
        {
            return IngestionApi.Validation(new() { ["email"] = ["Another lead already has this email."] });
        }
    }
}
