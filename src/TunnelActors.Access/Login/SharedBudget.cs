namespace TunnelActors.Access.Login;

/// <summary>
/// A sliding-window budget kept in the shared login state, so every edge of a cluster counts
/// against the same limit: each use is one short-lived entry of its scope, and a scope holding
/// <c>limit</c> live entries refuses more until the oldest expire. For budgets a stranger could
/// otherwise multiply by the number of edges (PINs per address, PIN guesses per application).
/// </summary>
public sealed class SharedBudget(ILoginStateStore store, TimeProvider clock)
{
    /// <summary>Takes one use of <paramref name="scope"/>; false when <paramref name="limit"/> uses fall within the last <paramref name="window"/>.</summary>
    public bool TryTake(string scope, int limit, TimeSpan window)
    {
        var now = clock.GetUtcNow();
        return store.Claim($"budget:{scope}", Guid.NewGuid().ToString("N"), now + window, limit, now);
    }
}
