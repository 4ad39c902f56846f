using Microsoft.AspNetCore.Components.Server.Circuits;

namespace ActivityCrm.Web.Features.Health;

/// <summary>Blazor circuits on this instance: open (including ones kept for a reconnect) and connected right now.</summary>
public sealed class LiveConnections
{
    private int _open, _connected;

    public int OpenCircuits => Volatile.Read(ref _open);
    public int ConnectedCircuits => Volatile.Read(ref _connected);

    internal void Opened() => Interlocked.Increment(ref _open);
    internal void Closed() => Interlocked.Decrement(ref _open);
    internal void Up() => Interlocked.Increment(ref _connected);
    internal void Down() => Interlocked.Decrement(ref _connected);
}

/// <summary>One per circuit (scoped); reports its circuit's life to the instance-wide <see cref="LiveConnections"/>.
/// Blazor also reports "connection down" when it disposes a circuit whose connection is already down, so each
/// transition is counted once per circuit (the handler's calls are serialised on the circuit's dispatcher).</summary>
internal sealed class CircuitCounter(LiveConnections live) : CircuitHandler
{
    private bool _open, _connected;

    public override Task OnCircuitOpenedAsync(Circuit circuit, CancellationToken ct)
    {
        if (!_open) { _open = true; live.Opened(); }
        return Task.CompletedTask;
    }

    public override Task OnCircuitClosedAsync(Circuit circuit, CancellationToken ct)
    {
        if (_open) { _open = false; live.Closed(); }
        return Task.CompletedTask;
    }

    public override Task OnConnectionUpAsync(Circuit circuit, CancellationToken ct)
    {
        if (!_connected) { _connected = true; live.Up(); }
        return Task.CompletedTask;
    }

    public override Task OnConnectionDownAsync(Circuit circuit, CancellationToken ct)
    {
        if (_connected) { _connected = false; live.Down(); }
        return Task.CompletedTask;
    }
}
