using ActivityCrm.Data.Leads;
using Microsoft.AspNetCore.Components;
using Radzen;

namespace ActivityCrm.Web.Features.Leads.Actions;

/// <summary>
/// What the action dialogs share: one idempotency key per opened dialog (a double click or a retry after a
/// lost answer is recognised instead of done twice), a busy flag, and the refusal shown next to its field.
/// Closes with the <see cref="LeadActionResult"/> when the action succeeded.
/// </summary>
public abstract class LeadActionDialog : ComponentBase
{
    [Inject] protected LeadActions Actions { get; set; } = default!;
    [Inject] protected DialogService Dialogs { get; set; } = default!;
    [Inject] private ILogger<LeadActionDialog> Log { get; set; } = default!;

    [Parameter, EditorRequired] public Guid LeadId { get; set; }
    [Parameter, EditorRequired] public Guid UserId { get; set; }

    protected string IdempotencyKey { get; } = $"ui-{Guid.NewGuid():N}";
    protected bool Busy { get; private set; }
    protected LeadActionResult? Refusal { get; private set; }

    /// <summary>The refusal's message when it is about <paramref name="field"/> (or about nothing in particular and field is null).</summary>
    protected string? ErrorFor(string? field) => Refusal is { } r && r.Field == field ? r.Message : null;

    protected async Task SubmitAsync(Func<string, Task<LeadActionResult>> action)
    {
        if (Busy) return;
        Busy = true;
        Refusal = null;
        try
        {
            var result = await action(IdempotencyKey);
            if (result.Succeeded) Dialogs.Close(result);
            else Refusal = result;
        }
        catch (Exception e)
        {
            Log.LogError(e, "Lead action failed for lead {LeadId}", LeadId);
            Refusal = LeadActionResult.Refused($"Nothing was saved: {e.Message} Try again; a retry is never done twice.");
        }
        finally
        {
            Busy = false;
        }
    }
}
