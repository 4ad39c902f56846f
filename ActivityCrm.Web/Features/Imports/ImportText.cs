using Humanizer;

namespace ActivityCrm.Web.Features.Imports;

/// <summary>Import results in words, the same on the console and on the page.</summary>
public static class ImportText
{
    public static readonly IReadOnlyDictionary<string, string> Reasons = new Dictionary<string, string>
    {
        ["already_imported"] = "already imported by an earlier backfill",
        ["same_provider_message_id"] = "already logged by a workflow (same SimpleTexting message id)",
        ["same_time_and_text"] = $"already logged by a workflow (same lead, type and text within {SmsAuditBackfill.SameMessageWindow.TotalMinutes:0} minutes)",
        ["repeated_in_file"] = "repeated in this file",
        ["missing_lead"] = "no lead record id",
        ["several_leads"] = "more than one lead in the lead cell",
        ["missing_status"] = "no status",
        ["unknown_status"] = "status is not sent, delivered or failed",
        ["missing_time"] = "no sent_at",
        ["bad_time"] = "sent_at is not a usable date",
        ["field_too_long"] = "a field is too long",
        ["invalid_text"] = "a field holds NUL or invalid characters",
        ["malformed_row"] = "broken CSV quoting",
        ["rejected"] = "refused by the database",
    };

    public static string Reason(string code) => Reasons.GetValueOrDefault(code, code.Humanize());

    public static IEnumerable<string> Describe(BackfillReport r)
    {
        yield return $"{r.Rows:N0} rows read in {r.Elapsed.TotalSeconds:0.0} s → {r.Events:N0} events.";
        yield return $"  {(r.DryRun ? "new (would be stored)" : "new (stored)")}: {r.New:N0}" + (r.NewForUnsyncedLeads > 0 ? $" ({r.NewForUnsyncedLeads:N0} for leads not synced yet)" : "");
        yield return $"  duplicate (skipped): {r.DuplicateTotal:N0}";
        foreach (var (code, n) in r.Duplicates.OrderByDescending(kv => kv.Value)) yield return $"    {n,8:N0}  {Reason(code)}";
        yield return $"  unusable rows: {r.UnusableRows:N0}";
        foreach (var (code, n) in r.Unusable.OrderByDescending(kv => kv.Value)) yield return $"    {n,8:N0}  {Reason(code)}";
        foreach (var e in r.Examples) yield return $"      row {e.Row}: {e.Message}";
        if (r.DryRun) yield return "Dry run: nothing was written. Run without --dry-run to store the new events.";
    }

    public static IEnumerable<string> Describe(RetryQueueReport r)
    {
        yield return $"{r.Rows:N0} rows in {r.Elapsed.TotalSeconds:0.0} s: {r.Created:N0} created, {r.Duplicates:N0} duplicate (already stored), {r.Rejected:N0} rejected.";
        foreach (var p in r.RejectedRows) yield return $"  row {p.Row}: {p.Message}";
        if (r.Rejected > 0) yield return "Rejected rows are in the dead-letter store (reason: import): fix the cause, then replay them from /admin/dead-letters.";
    }
}
