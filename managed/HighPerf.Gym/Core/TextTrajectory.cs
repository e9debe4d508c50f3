using System.Collections.Immutable;

namespace HighPerf.Gym.Core;

/// <summary>A complete episode as text: every item the agent saw or produced, in order, with the reward of each
/// item (non-zero only on actions, spec §1.1) and whether the episode ended in a terminal state.
/// Unlike the <see cref="TextHistory"/> the environment hands to the policy (which the environment may window or
/// rewrite), a trajectory is the full, unwindowed log of the episode.</summary>
public sealed class TextTrajectory
{
    public TextTrajectory(ImmutableArray<TextItem> items, ImmutableArray<double> rewards, bool done)
    {
        if (items.Length != rewards.Length)
            throw new ArgumentException($"items ({items.Length}) and rewards ({rewards.Length}) must have the same length");
        for (var i = 0; i < items.Length; i++)
        {
            if (!items[i].IsAction && rewards[i] != 0.0)
                throw new ArgumentException($"item {i} is an observation but has reward {rewards[i]}; rewards live on actions only (spec §1.1)");
            if (!double.IsFinite(rewards[i]))
                throw new ArgumentException($"item {i} has a non-finite reward {rewards[i]}");
        }
        Items = items;
        Rewards = rewards;
        Done = done;
    }

    public ImmutableArray<TextItem> Items { get; }

    /// <summary>One reward per item; 0 on observations.</summary>
    public ImmutableArray<double> Rewards { get; }

    /// <summary>True when the episode reached a terminal state (false when it was truncated).</summary>
    public bool Done { get; }

    /// <summary>Undiscounted return: the sum of all rewards.</summary>
    public double Return
    {
        get
        {
            var sum = 0.0;
            foreach (var r in Rewards) sum += r;
            return sum;
        }
    }

    /// <summary>Number of agent actions (the "length" unit of the paper's Table 1).</summary>
    public int ActionCount
    {
        get
        {
            var n = 0;
            foreach (var item in Items) if (item.IsAction) n++;
            return n;
        }
    }

    /// <summary>The whole episode as one history (for replay or rendering).</summary>
    public TextHistory ToHistory() => new(Items);
}

/// <summary>One recorded episode of a task: the trajectory plus the bookkeeping datasets and evaluation need.</summary>
/// <param name="Task">Registered task name (e.g. "maze-fo").</param>
/// <param name="Seed">The seed passed to <see cref="ITextEnvironment.Reset"/>.</param>
/// <param name="Trajectory">The full episode.</param>
/// <param name="Success">The task's success criterion (goal reached, word solved, game won, ...).</param>
public sealed record EpisodeRecord(string Task, int Seed, TextTrajectory Trajectory, bool Success)
{
    public double Return => Trajectory.Return;

    public int Length => Trajectory.ActionCount;

    public bool Done => Trajectory.Done;
}

/// <summary>Optional interface for environments that know whether the episode they just finished was a success
/// (the episode runner prefers it over the task's trajectory-based rule).</summary>
public interface IEpisodeOutcome
{
    /// <summary>Whether the current (finished) episode met the task's success criterion.</summary>
    bool Succeeded { get; }
}
