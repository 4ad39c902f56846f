using ActivityCrm.Data.Integrity;

namespace ActivityCrm.Web.Features.Integrity;

/// <summary>
/// One integrity check at a time for the whole app: the admin page starts it and watches it, and another
/// admin (or the same one after navigating away) sees the same run and its last result instead of starting
/// a second full scan.
/// </summary>
public sealed class IntegrityRuns(IntegrityCheck check, ILogger<IntegrityRuns> log)
{
    private readonly Lock gate = new();
    private readonly List<Action> listeners = [];

    public bool Running { get; private set; }
    public IntegrityProgress? Progress { get; private set; }
    public IntegrityReport? Last { get; private set; }
    public string? LastError { get; private set; }
    public string? StartedBy { get; private set; }

    /// <summary>Starts a run unless one is going; false if one was already running.</summary>
    public bool TryStart(string startedBy)
    {
        lock (gate)
        {
            if (Running) return false;
            Running = true;
            StartedBy = startedBy;
            Progress = null;
            LastError = null;
        }
        _ = Task.Run(RunAsync);
        Changed();
        return true;
    }

    private async Task RunAsync()
    {
        try
        {
            var report = await check.RunAsync(new InlineProgress<IntegrityProgress>(p =>
            {
                Progress = p;
                Changed();
            }));
            Last = report;
            if (report.Clean) log.LogInformation("Integrity check: {Checked} events, {Verified} verified, {Redacted} redacted, no mismatch", report.Checked, report.Verified, report.Redacted);
            else log.LogWarning("Integrity check: {Mismatched} events do not match their content hash, e.g. {Ids}", report.Mismatched, string.Join(", ", report.MismatchedIds.Take(10)));
        }
        catch (Exception e)
        {
            LastError = e.Message;
            log.LogError(e, "The integrity check failed");
        }
        finally
        {
            lock (gate) Running = false;
            Changed();
        }
    }

    /// <summary>Called (on a background thread) whenever the run moves on; dispose to stop listening.</summary>
    public IDisposable Subscribe(Action onChange)
    {
        lock (gate) listeners.Add(onChange);
        return new Subscription(this, onChange);
    }

    private void Changed()
    {
        Action[] copy;
        lock (gate) copy = [.. listeners];
        foreach (var l in copy)
        {
            try { l(); }
            catch (Exception e) { log.LogWarning(e, "An integrity progress listener failed"); }
        }
    }

    private sealed class Subscription(IntegrityRuns runs, Action listener) : IDisposable
    {
        public void Dispose()
        {
            lock (runs.gate) runs.listeners.Remove(listener);
        }
    }
}

/// <summary>Reports on the caller's thread (Progress&lt;T&gt; would post to a captured context, which a
/// background run or a console command does not have).</summary>
internal sealed class InlineProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}
