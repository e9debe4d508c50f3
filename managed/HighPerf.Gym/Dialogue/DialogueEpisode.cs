using HighPerf.Gym.Core;

namespace HighPerf.Gym.Dialogue;

/// <summary>One finished (or truncated) dialogue episode: the full text history, the reward of every item (0 on
/// observations; LMRL-Gym puts rewards on action items only), and task metadata (the hidden word/city, the buyer persona
/// and outcome, ...).</summary>
public sealed record DialogueEpisode(string Task, int Seed, TextHistory History, IReadOnlyList<double> ItemRewards, bool Done, bool Success,
    IReadOnlyDictionary<string, string> Metadata)
{
    /// <summary>Undiscounted return.</summary>
    public double Return => ItemRewards.Sum();

    /// <summary>Number of agent turns (the "length" unit of LMRL-Gym's Table 1).</summary>
    public int Length => History.Items.Count(i => i.IsAction);
}

/// <summary>Runs a policy in an environment and records the episode.</summary>
public static class DialogueRollout
{
    /// <summary>Plays one episode. The policy's random stream is derived from <paramref name="seed"/>, so the same seed
    /// gives the same episode with deterministic simulators.</summary>
    public static DialogueEpisode Run(string task, ITextEnvironment env, ITextPolicy policy, int seed, int maxSteps,
        Func<ITextEnvironment, DialogueEpisode, bool> success, Func<ITextEnvironment, IReadOnlyDictionary<string, string>> metadata)
    {
        ArgumentNullException.ThrowIfNull(env);
        ArgumentNullException.ThrowIfNull(policy);
        var rng = new Random(unchecked(seed * 1_000_003 + 17));
        var history = env.Reset(seed);
        var rewards = new List<double>(history.Items.Select(_ => 0.0));
        var done = false;
        for (var step = 0; step < maxSteps && !done; step++)
        {
            var action = DialogueText.AsItem(policy.Act(history, rng));
            var withAction = history.AppendAction(action);
            var result = env.Step(withAction);
            rewards.Add(result.Reward);
            for (var i = withAction.Count; i < result.History.Count; i++) rewards.Add(0.0);
            history = result.History;
            done = result.Done;
        }
        var provisional = new DialogueEpisode(task, seed, history, rewards, done, false, new Dictionary<string, string>());
        return provisional with { Success = success(env, provisional), Metadata = metadata(env) };
    }
}

/// <summary>Summary statistics of a set of episodes, in the units of LMRL-Gym's Table 1.</summary>
public sealed record DialogueStats(int Episodes, double AvgLength, double StdLength, double SuccessRate, double AvgReturn, double StdReturn)
{
    public static DialogueStats Of(IReadOnlyCollection<DialogueEpisode> episodes)
    {
        if (episodes.Count == 0) return new DialogueStats(0, 0, 0, 0, 0, 0);
        static (double Mean, double Std) MeanStd(IEnumerable<double> xs)
        {
            var a = xs.ToArray();
            var m = a.Average();
            return (m, Math.Sqrt(a.Sum(x => (x - m) * (x - m)) / a.Length));
        }
        var (ml, sl) = MeanStd(episodes.Select(e => (double)e.Length));
        var (mr, sr) = MeanStd(episodes.Select(e => e.Return));
        return new DialogueStats(episodes.Count, ml, sl, episodes.Count(e => e.Success) / (double)episodes.Count, mr, sr);
    }

    public override string ToString() =>
        $"n={Episodes} len={AvgLength:F2}±{StdLength:F2} success={SuccessRate:F3} return={AvgReturn:F3}±{StdReturn:F3}";
}
