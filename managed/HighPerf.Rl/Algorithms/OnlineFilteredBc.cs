using HighPerf.Llama;
using HighPerf.Rl.Rollouts;

namespace HighPerf.Rl.Algorithms;

/// <summary>Hyperparameters of online filtered BC (spec §4.2: 128 rollouts a round, keep the top 30 %).</summary>
public sealed record OnlineFilteredBcOptions
{
    public int Iterations { get; init; } = 6;
    public int EpisodesPerIteration { get; init; } = 128;
    public int RolloutBatch { get; init; } = 32;
    /// <summary>Fraction of each round's episodes kept, best returns first (spec filter_percentage 0.3).</summary>
    public double KeepFraction { get; init; } = 0.3;
    /// <summary>BC passes over the kept episodes' action tokens per round.</summary>
    public int Epochs { get; init; } = 2;
    public int MinibatchSequences { get; init; } = 64;
    /// <summary>A tiny policy trained from scratch by BC at 3e-3; online rounds refine it at a smaller rate.</summary>
    public float LearningRate { get; init; } = 3e-4f;
    public float GradClip { get; init; } = 1f;
    public float Temperature { get; init; } = 1f;
    public int MaxActionTokens { get; init; } = 32;

    public void Validate()
    {
        PpoOptions.Check(Iterations is >= 1 and <= 1_000_000, nameof(Iterations), Iterations, "in [1, 10^6]");
        PpoOptions.Check(EpisodesPerIteration is >= 1 and <= 1_000_000, nameof(EpisodesPerIteration), EpisodesPerIteration, "in [1, 10^6]");
        PpoOptions.Check(RolloutBatch is >= 1 and <= 256, nameof(RolloutBatch), RolloutBatch, "in [1, 256]");
        PpoOptions.Check(KeepFraction is > 0 and <= 1, nameof(KeepFraction), KeepFraction, "in (0, 1]");
        PpoOptions.Check(Epochs is >= 1 and <= 1000, nameof(Epochs), Epochs, "in [1, 1000]");
        PpoOptions.Check(MinibatchSequences is >= 1 and <= 1_000_000, nameof(MinibatchSequences), MinibatchSequences, "in [1, 10^6]");
        PpoOptions.Check(LearningRate is > 0 and <= 1, nameof(LearningRate), LearningRate, "in (0, 1]");
        PpoOptions.Check(GradClip is >= 0 and <= 1e6f, nameof(GradClip), GradClip, "in [0, 10^6]");
        PpoOptions.Check(Temperature is > 0 and <= 100, nameof(Temperature), Temperature, "in (0, 100]");
        PpoOptions.Check(MaxActionTokens is >= 1 and <= 4096, nameof(MaxActionTokens), MaxActionTokens, "in [1, 4096]");
    }
}

/// <summary>
/// Online filtered BC (spec §4.2), one round: collect N episodes with the current policy, keep the ⌈f·N⌉ with the
/// highest return (ties: earlier episode first), and take <see cref="OnlineFilteredBcOptions.Epochs"/> passes of
/// behaviour cloning over their action tokens — the weighted step with w = 1 on kept action tokens
/// (L = −(1/n)·Σ log π(a_t|s_t), DESIGN D3). AdamW moments start fresh every round (see <see cref="Ppo"/>).
/// </summary>
public sealed class OnlineFilteredBc(OnlineFilteredBcOptions options, LlamaModel policy, int seed, int threads) : IOnlineAlgorithm
{
    public OnlineFilteredBcOptions Options { get; } = Validated(options);
    public string Name => "online-bc";
    public int EpisodesPerIteration => Options.EpisodesPerIteration;

    private static OnlineFilteredBcOptions Validated(OnlineFilteredBcOptions o)
    {
        ArgumentNullException.ThrowIfNull(o);
        o.Validate();
        return o;
    }

    public RolloutBuffer Collect(RolloutCollector collector, int iteration, Action<Gym.Core.EpisodeRecord>? onEpisode = null)
    {
        ArgumentNullException.ThrowIfNull(collector);
        return collector.Collect(Options.EpisodesPerIteration, OnlineSeeds.Rollout(seed, iteration), iteration, onEpisode);
    }

    /// <summary>Indices of the episodes a round keeps: the top ⌈f·N⌉ by return, earlier first among equals.</summary>
    public static int[] Keep(IReadOnlyList<double> returns, double fraction)
    {
        ArgumentNullException.ThrowIfNull(returns);
        var k = Math.Max(1, (int)Math.Ceiling(fraction * returns.Count - 1e-9));
        return [.. Enumerable.Range(0, returns.Count).OrderByDescending(i => returns[i]).ThenBy(i => i).Take(k).Order()];
    }

    public IReadOnlyDictionary<string, double> Train(RolloutBuffer buffer, int iteration)
    {
        ArgumentNullException.ThrowIfNull(buffer);
        var kept = Keep([.. buffer.Episodes.Select(e => e.Return)], Options.KeepFraction);
        // w = 1 on the kept episodes' action tokens, 0 elsewhere; minibatches of distinct LM inputs that hold any.
        var weights = new float[buffer.ActionTokenCount];
        var keptSequences = new HashSet<int>();
        foreach (var e in kept)
            for (var s = buffer.EpisodeSequenceOffsets[e]; s < buffer.EpisodeSequenceOffsets[e + 1]; s++)
            {
                keptSequences.Add(buffer.SequenceClass[s]);
                for (var j = buffer.SequenceActionOffsets[s]; j < buffer.SequenceActionOffsets[s + 1]; j++) weights[j] = 1f;
            }
        var classes = keptSequences.Order().ToArray();
        var rng = OnlineSeeds.Shuffle(seed, iteration);
        using var trainer = Ppo.NewTrainer(policy, buffer, Options.LearningRate, Options.GradClip, threads);
        double loss = 0;
        var steps = 0;
        for (var epoch = 0; epoch < Options.Epochs; epoch++)
        {
            var order = OnlineSeeds.Permutation(classes.Length, rng);
            for (var start = 0; start < order.Length; start += Options.MinibatchSequences)
            {
                var batch = order.AsSpan(start, Math.Min(Options.MinibatchSequences, order.Length - start)).ToArray().Select(i => classes[i]).ToArray();
                var actions = buffer.ActionsOfClasses(batch).Sum(j => weights[j]);
                if (actions == 0) continue;
                var step = trainer.Step(buffer.WeightedSequences(batch, weights, out _), overrides: trainer.Options with { Normalizer = actions });
                loss += step.Loss;
                steps++;
            }
        }
        return new Dictionary<string, double>
        {
            ["return_mean"] = buffer.MeanReturn,
            ["success_rate"] = buffer.SuccessRate,
            ["episodes"] = buffer.EpisodeCount,
            ["kept"] = kept.Length,
            ["kept_return_mean"] = kept.Average(e => buffer.Episodes[e].Return),
            ["bc_loss"] = steps == 0 ? 0 : loss / steps,
        };
    }

    public IReadOnlyList<(string Name, string Value)> Hyperparameters => HyperparameterTable.Of(Options);
}
