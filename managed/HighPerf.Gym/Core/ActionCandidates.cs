namespace HighPerf.Gym.Core;

/// <summary>The action set a policy may choose from, owned by the task (<see cref="TaskDefinition.ActionCandidates"/>): one fixed list (Maze's four moves) or a list read from each state
/// (Text-Nav's "Admissible commands:" line, which the observation itself shows the agent).</summary>
public sealed class ActionCandidates
{
    private readonly IReadOnlyList<string>? _fixed;
    private readonly Func<TextHistory, IReadOnlyList<string>>? _perState;

    private ActionCandidates(IReadOnlyList<string>? fixedSet, Func<TextHistory, IReadOnlyList<string>>? perState)
        => (_fixed, _perState) = (fixedSet, perState);

    /// <summary>The same actions in every state.</summary>
    public static ActionCandidates Fixed(IReadOnlyList<string> actions)
        => new(actions is { Count: > 0 } ? actions.ToArray() : throw new ArgumentException("no candidate actions", nameof(actions)), null);

    /// <summary>Actions that depend on the state (each call must return at least one).</summary>
    public static ActionCandidates PerState(Func<TextHistory, IReadOnlyList<string>> actions)
        => new(null, actions ?? throw new ArgumentNullException(nameof(actions)));

    public bool IsFixed => _fixed is not null;

    /// <summary>The candidates in <paramref name="state"/>.</summary>
    public IReadOnlyList<string> For(TextHistory state)
    {
        if (_fixed is not null) return _fixed;
        var list = _perState!(state);
        return list is { Count: > 0 } ? list : throw new InvalidOperationException($"no candidate actions in the state after {state.Count} items");
    }
}
