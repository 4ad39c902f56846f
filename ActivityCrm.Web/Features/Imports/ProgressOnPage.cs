namespace ActivityCrm.Web.Features.Imports;

/// <summary>
/// Import progress for a component: keeps the latest value and asks for a render at most every 200 ms, so a
/// 100,000-row file does not flood the circuit with renders.
/// </summary>
public sealed class ProgressOnPage<T>(Action<T> keep, Func<Task> render) : IProgress<T>
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(200);
    private DateTime _last = DateTime.MinValue;

    public void Report(T value)
    {
        keep(value);
        if (DateTime.UtcNow - _last < Interval) return;
        _last = DateTime.UtcNow;
        _ = render(); // the component's InvokeAsync(StateHasChanged): a failed render must not fail the import
    }
}
