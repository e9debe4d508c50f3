using HighPerf.Rl.Rollouts;

namespace HighPerf.Rl.Algorithms;

/// <summary>
/// The seam every online algorithm implements (Stable-Baselines3's collect/train split, DESIGN D12): an iteration
/// collects a <see cref="RolloutBuffer"/> with the current policy, then trains on it. The loop around it
/// (<see cref="Training.OnlineExperiment"/>) owns checkpoints, metrics, progress and evaluation, so an algorithm is its
/// math and nothing else. Inputs and outputs are plain data, so a remote rollout worker can stand where the local
/// collector does (DESIGN D10).
/// </summary>
public interface IOnlineAlgorithm
{
    /// <summary>The CLI name ("ppo", "online-bc").</summary>
    string Name { get; }

    /// <summary>Episodes per iteration.</summary>
    int EpisodesPerIteration { get; }

    /// <summary>Rollouts of iteration <paramref name="iteration"/> (seeded from the run seed and the iteration, so a
    /// resumed run collects exactly what an uninterrupted one would).</summary>
    RolloutBuffer Collect(RolloutCollector collector, int iteration, Action<Gym.Core.EpisodeRecord>? onEpisode = null);

    /// <summary>Updates the policy (and its critics) on one buffer; returns the iteration's metrics.</summary>
    IReadOnlyDictionary<string, double> Train(RolloutBuffer buffer, int iteration);

    /// <summary>Every hyperparameter as (name, value), for reports.</summary>
    IReadOnlyList<(string Name, string Value)> Hyperparameters { get; }
}

/// <summary>Seeds shared by the online algorithms.</summary>
public static class OnlineSeeds
{
    /// <summary>The rollout seed of an iteration (never the evaluation's or the dataset's).</summary>
    public static int Rollout(int seed, int iteration) => Gym.Core.EpisodeRunner.EpisodeSeed(seed * 31 + 17, iteration);

    /// <summary>The minibatch-shuffle RNG of an iteration.</summary>
    public static Random Shuffle(int seed, int iteration) => new(Gym.Core.EpisodeRunner.EpisodeSeed(seed * 131 + 7, iteration));

    /// <summary>Fisher–Yates permutation of 0..n−1.</summary>
    public static int[] Permutation(int n, Random rng)
    {
        var p = new int[n];
        for (var i = 0; i < n; i++) p[i] = i;
        for (var i = n - 1; i > 0; i--)
        {
            var j = rng.Next(i + 1);
            (p[i], p[j]) = (p[j], p[i]);
        }
        return p;
    }
}
