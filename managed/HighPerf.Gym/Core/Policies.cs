namespace HighPerf.Gym.Core;

/// <summary>One pending decision of a batched rollout.</summary>
/// <param name="EpisodeId">Stable id of the episode within the run (0..N-1): lets a policy keep per-conversation
/// state such as a KV cache, and lets it know when a new episode starts (<paramref name="Turn"/> == 0).</param>
/// <param name="Turn">How many actions this episode has taken so far.</param>
/// <param name="History">The history the environment returned (its context window).</param>
/// <param name="Rng">The episode's own random stream (seeded from the run seed and EpisodeId, so results do not depend on batch size).</param>
public readonly record struct PolicyRequest(int EpisodeId, int Turn, TextHistory History, Random Rng);

/// <summary>A policy that acts for many episodes at once (an LLM behind a batched decoder, a pool of scripted
/// policies, ...). Must return exactly one action per request, in request order; actions should end in "\n"
/// (the runner normalizes to exactly one trailing "\n", spec §1.1).</summary>
public interface IBatchTextPolicy
{
    IReadOnlyList<string> ActBatch(IReadOnlyList<PolicyRequest> requests);

    /// <summary>Called once when an episode ends (release per-episode state). Default: nothing.</summary>
    void EndEpisode(int episodeId) { }
}

/// <summary>Creates a per-episode policy for an environment instance. Reference policies (behaviour, expert) may
/// read the environment's privileged state, as LMRL-Gym's scripted data-collection policies do.</summary>
public delegate ITextPolicy PolicyFactory(ITextEnvironment environment);

/// <summary>Runs a single-episode <see cref="ITextPolicy"/> for every request of a batch.</summary>
public sealed class SharedPolicyBatch(ITextPolicy policy) : IBatchTextPolicy
{
    public IReadOnlyList<string> ActBatch(IReadOnlyList<PolicyRequest> requests)
    {
        var actions = new string[requests.Count];
        for (var i = 0; i < actions.Length; i++) actions[i] = policy.Act(requests[i].History, requests[i].Rng);
        return actions;
    }
}

/// <summary>Helpers shared by the policies.</summary>
public static class ActionText
{
    /// <summary>LMRL-Gym post-processing: strip trailing newlines, then append exactly one (returns the same
    /// instance when the text already ends in exactly one "\n").</summary>
    public static string Normalize(string action)
    {
        ArgumentNullException.ThrowIfNull(action);
        if (action.Length > 0 && action[^1] == '\n' && (action.Length == 1 || action[^2] != '\n')) return action;
        return action.TrimEnd('\n') + "\n";
    }
}
