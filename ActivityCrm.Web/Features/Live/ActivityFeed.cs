using ActivityCrm.Data.Activities;

namespace ActivityCrm.Web.Features.Live;

/// <summary>
/// Hands out subscriptions to newly committed events. Fed by <see cref="ActivityNotificationListener"/>
/// (PostgreSQL LISTEN), so an event ingested on any app instance reaches every instance's circuits.
/// A slow or failing subscriber never holds up the others, and never the write.
/// </summary>
public sealed class ActivityFeed(ILogger<ActivityFeed> log)
{
    private readonly Lock _gate = new();
    private ImmutableSubscribers _subscribers = new([]);

    public IDisposable Subscribe(Func<IReadOnlyList<ActivityRow>, Task> handler)
    {
        var sub = new Subscription(this, handler);
        lock (_gate) _subscribers = new(_subscribers.Items.Add(sub));
        return sub;
    }

    public int SubscriberCount => _subscribers.Items.Count;

    internal void Publish(IReadOnlyList<ActivityRow> rows)
    {
        if (rows.Count == 0) return;
        foreach (var sub in _subscribers.Items)
            _ = DeliverAsync(sub, rows);
    }

    private async Task DeliverAsync(Subscription sub, IReadOnlyList<ActivityRow> rows)
    {
        try { await sub.Handler(rows); }
        catch (Exception e) { log.LogWarning(e, "A live-update subscriber failed; the event is stored and will show on reload"); }
    }

    private void Remove(Subscription sub)
    {
        lock (_gate) _subscribers = new(_subscribers.Items.Remove(sub));
    }

    private sealed record ImmutableSubscribers(System.Collections.Immutable.ImmutableList<Subscription> Items);

    private sealed class Subscription(ActivityFeed feed, Func<IReadOnlyList<ActivityRow>, Task> handler) : IDisposable
    {
        public Func<IReadOnlyList<ActivityRow>, Task> Handler { get; } = handler;
        public void Dispose() => feed.Remove(this);
    }
}
