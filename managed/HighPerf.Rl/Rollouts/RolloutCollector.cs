using HighPerf.Gym.Core;
using HighPerf.Rl.Policies;

namespace HighPerf.Rl.Rollouts;

/// <summary>
/// Batched multi-turn rollouts (the "collect" half of online RL): <see cref="SamplingPolicy.Options"/>'s resident
/// conversations' worth of environments step in lockstep through <see cref="EpisodeRunner"/>, every live episode's
/// action decodes in one batch on the executor with its KV cache kept across turns, finished episodes free their
/// sequence and the next episode starts in their slot. Episode i of a run is reset with the runner's seed for
/// (seed, i) and samples with its own RNG, so the same seed gives the same buffer whatever the batch size
/// (up to llama.cpp's arithmetic across batch shapes, ~1e-7 in logits).
/// </summary>
public sealed class RolloutCollector(TaskDefinition task, SamplingPolicy policy)
{
    public TaskDefinition Task { get; } = task ?? throw new ArgumentNullException(nameof(task));
    public SamplingPolicy Policy { get; } = policy ?? throw new ArgumentNullException(nameof(policy));

    /// <summary>Runs <paramref name="episodes"/> episodes with the policy's current weights and returns them as a
    /// buffer tagged with <paramref name="policyVersion"/>. <paramref name="onEpisode"/> sees each finished episode.</summary>
    public RolloutBuffer Collect(int episodes, int seed, int policyVersion, Action<EpisodeRecord>? onEpisode = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(episodes, 1);
        if (!Policy.Options.Record) throw new InvalidOperationException("the rollout policy must record its turns (SamplingPolicyOptions.Record)");
        Policy.Reset();
        var records = new List<EpisodeRecord>(episodes);
        var turns = new List<IReadOnlyList<TurnRecord>>(episodes);
        var options = Task.RunOptions(seed, Policy.Options.MaxResidentConversations);
        var index = 0;
        foreach (var record in EpisodeRunner.Run(Task.CreateEnvironment, Policy, episodes, options))
        {
            records.Add(record);
            turns.Add(Policy.TakeTurns(index++));
            onEpisode?.Invoke(record);
        }
        Policy.Reset();
        return RolloutBuffer.Build(records, turns, policyVersion, Policy.Options.RecordFeatures ? Policy.FeatureWidth : 0);
    }
}
