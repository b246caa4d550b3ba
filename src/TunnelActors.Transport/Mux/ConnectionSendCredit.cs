using TunnelActors.Protocol;

namespace TunnelActors.Transport.Mux;

/// <summary>
/// The send side of a connection-level window: credit every stream's DATA also needs. Until
/// <see cref="Enable"/> (both ends agreed on it at REGISTER) it is unlimited, as with an older peer.
/// Writers that find none wait in line and are served in order, each up to what it asked for,
/// so a busy stream cannot starve the others of the credit that comes back. Thread-safe.
/// </summary>
internal sealed class ConnectionSendCredit
{
    private sealed class Waiter(int wanted)
    {
        public int Wanted { get; } = wanted;
        // Asynchronous continuations: a writer never resumes inside the dispatcher or a cancellation callback.
        public TaskCompletionSource<int> Granted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private readonly object _gate = new();
    private readonly LinkedList<Waiter> _waiting = new();
    private long _credit;
    private bool _limited;
    private Exception? _closed;

    public bool Limited { get { lock (_gate) return _limited; } }
    public long Credit { get { lock (_gate) return _credit; } }

    /// <summary>For operators: the credit left (when limited) and how many writers wait for some.</summary>
    public string Describe()
    {
        lock (_gate)
            return !_limited ? "no connection window" : $"connection credit {_credit} B, {_waiting.Count} writers waiting";
    }

    public void Enable(uint peerWindow)
    {
        lock (_gate) (_limited, _credit) = (true, peerWindow);
    }

    /// <summary>Up to <paramref name="wanted"/> bytes of credit, at least one: at once if there is some and nobody waits, else in turn.</summary>
    public ValueTask<int> TakeAsync(int wanted, CancellationToken cancellationToken)
    {
        Waiter waiter;
        lock (_gate)
        {
            if (_closed is not null) throw _closed;
            if (!_limited) return ValueTask.FromResult(wanted);
            if (_credit > 0 && _waiting.Count == 0)
            {
                var taken = (int)Math.Min(wanted, _credit);
                _credit -= taken;
                return ValueTask.FromResult(taken);
            }
            waiter = new Waiter(wanted);
            _waiting.AddLast(waiter);
        }
        return new ValueTask<int>(WaitAsync(waiter, cancellationToken));
    }

    private async Task<int> WaitAsync(Waiter waiter, CancellationToken cancellationToken)
    {
        await using (cancellationToken.Register(() =>
        {
            lock (_gate)
                if (!_waiting.Remove(waiter)) return; // already served: the writer gets the credit, and gives it back if it cannot send
            waiter.Granted.TrySetCanceled(cancellationToken);
        }))
            return await waiter.Granted.Task;
    }

    /// <summary>Credit that was taken and not spent (the stream reset meanwhile).</summary>
    public void Return(int unused) => Add((uint)unused, fromPeer: false);

    /// <summary>The peer's connection-level WINDOW_UPDATE.</summary>
    public void OnWindowUpdate(uint increment) => Add(increment, fromPeer: true);

    private void Add(uint increment, bool fromPeer)
    {
        List<(Waiter, int)>? served = null;
        lock (_gate)
        {
            if (!_limited) return;
            if (fromPeer && (increment == 0 || _credit + increment > CreditWindow.MaxWindow))
                throw new ProtocolException(ProtocolError.FlowControl,
                    $"connection WINDOW_UPDATE of {increment} would make the connection window {_credit + increment} (allowed 1..{CreditWindow.MaxWindow})");
            _credit += increment;
            while (_credit > 0 && _waiting.First is { } first)
            {
                _waiting.RemoveFirst();
                var taken = (int)Math.Min(first.Value.Wanted, _credit);
                _credit -= taken;
                (served ??= []).Add((first.Value, taken));
            }
        }
        if (served is not null) foreach (var (waiter, taken) in served) waiter.Granted.TrySetResult(taken);
    }

    /// <summary>The connection ended: every waiting writer fails with <paramref name="reason"/>.</summary>
    public void Close(Exception reason)
    {
        List<Waiter> waiting;
        lock (_gate)
        {
            _closed ??= reason;
            waiting = [.. _waiting];
            _waiting.Clear();
        }
        foreach (var waiter in waiting) waiter.Granted.TrySetException(reason);
    }
}
