using HighPerf.Gym.Core;
using HighPerf.Rl.Data;
using HighPerf.Rl.Policies;

namespace HighPerf.Rl.Rollouts;

/// <summary>
/// Recorded episodes (an offline dataset, another worker's JSONL) as a <see cref="RolloutBuffer"/>: the "collect" of an
/// offline algorithm, so offline and online algorithms train on the same token-level input. Each episode is replayed in
/// its task's environment to recover the prompt the policy was shown at every step (the environment owns its context
/// window, spec §1.1); prompts are [BOS] + items tokenized one at a time, as <see cref="SamplingPolicy"/> feeds them, and
/// an action's tokens are its item's tokens (the trailing newline included). Behaviour log-probs are unknown (0).
/// </summary>
public static class DatasetRollouts
{
    /// <summary>The buffer of <paramref name="episodes"/>, tagged with <paramref name="policyVersion"/> (−1: not produced
    /// by a policy of this run). Throws <see cref="InvalidDataException"/> naming the episode when a replay diverges.</summary>
    public static RolloutBuffer FromEpisodes(IReadOnlyList<EpisodeRecord> episodes, Func<EpisodeRecord, ITextEnvironment> replayEnvironment,
        PolicyModel policy, int policyVersion = -1)
    {
        ArgumentNullException.ThrowIfNull(episodes);
        ArgumentNullException.ThrowIfNull(replayEnvironment);
        ArgumentNullException.ThrowIfNull(policy);
        var turns = new List<IReadOnlyList<TurnRecord>>(episodes.Count);
        for (var e = 0; e < episodes.Count; e++)
        {
            var (steps, _) = OfflineDataset.Replay(episodes[e], replayEnvironment);
            var list = new List<TurnRecord>(steps.Count);
            for (var k = 0; k < steps.Count; k++)
            {
                var prompt = policy.PromptTokens(steps[k].Prompt).ToArray();
                var action = policy.Tokenizer(ActionText.Normalize(steps[k].Action));
                if (action.Length == 0) throw new InvalidDataException($"episode {e} (seed {episodes[e].Seed}) step {k}: the action has no tokens");
                list.Add(new TurnRecord(e, k, prompt, action, new float[action.Length], null));
            }
            turns.Add(list);
        }
        return RolloutBuffer.Build(episodes, turns, policyVersion);
    }
}
