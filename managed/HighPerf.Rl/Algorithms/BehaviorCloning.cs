using HighPerf.Llama.Training;
using HighPerf.Rl.Data;

namespace HighPerf.Rl.Algorithms;

/// <summary>Hyperparameters of (filtered) behaviour cloning (spec §4.1). A tiny model trained from scratch needs a far
/// larger learning rate than the paper's fine-tuning of GPT-2 (1e-4).</summary>
public sealed record BehaviorCloningOptions
{
    public float LearningRate { get; init; } = 3e-3f;
    public int Steps { get; init; } = 300;
    /// <summary>Segments per step when the dataset has more distinct segments than this; otherwise every step is a
    /// full-batch step over all distinct segments weighted by multiplicity.</summary>
    public int BatchSequences { get; init; } = 64;
    public float GradClip { get; init; } = 1f;
    public ulong Seed { get; init; } = 1;
    public int Threads { get; init; } = 2;
    public int LogEvery { get; init; } = 10;
}

/// <summary>Behaviour cloning through the weighted next-token step (DESIGN D3):
/// <code>
///   L(θ) = −(1/N) Σ_segments m_s Σ_t w_t · log π_θ(x_{t+1} | x_≤t),   w_t = 1 on action tokens, 0 elsewhere
/// </code>
/// m_s is the number of dataset steps that produced segment s (identical inputs are stored once) and
/// N = Σ_s m_s·|action tokens of s|, so a full-batch step is exactly the dataset-mean action-token cross-entropy.
/// When there are more distinct segments than <see cref="BehaviorCloningOptions.BatchSequences"/>, each step samples that
/// many segments ∝ m_s (the same objective in expectation). Filtered BC is this on a filtered dataset
/// (<see cref="FilteredBehaviorCloning"/>).</summary>
public sealed class BehaviorCloning(BehaviorCloningOptions options)
{
    public BehaviorCloningOptions Options { get; } = options ?? throw new ArgumentNullException(nameof(options));

    /// <summary>Segments as training sequences: inputs x_0..x_{n−2}, targets x_1..x_{n−1}, weight 1 where the target is an
    /// action token. Prompt-only (bootstrap) segments are skipped.</summary>
    public static List<(WeightedSequence Sequence, int Multiplicity, int ActionTokens)> Sequences(OfflineDataset data)
    {
        var list = new List<(WeightedSequence, int, int)>();
        for (var s = 0; s < data.SegmentCount; s++)
        {
            if (data.Multiplicity[s] == 0) continue;
            var tokens = data.Segment(s);
            var mask = data.SegmentMask(s);
            var weights = new float[tokens.Length - 1];
            var count = 0;
            for (var t = 1; t < tokens.Length; t++)
                if (mask[t] != 0) { weights[t - 1] = 1f; count++; }
            if (count == 0) continue;
            list.Add((WeightedSequence.FromEpisode(tokens, weights), data.Multiplicity[s], count));
        }
        return list;
    }

    /// <summary>Runs steps [firstStep, Steps). <paramref name="checkpoint"/> is called after every step with the step count.</summary>
    public void Train(WeightedTrainer trainer, OfflineDataset data, long firstStep = 0, Action<long, IReadOnlyDictionary<string, double>>? log = null, Action<long>? checkpoint = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(trainer);
        var o = Options;
        var sequences = Sequences(data);
        if (sequences.Count == 0) throw new ArgumentException("the dataset has no action tokens", nameof(data));
        var fullBatch = sequences.Count <= o.BatchSequences;
        List<WeightedSequence> full = [];
        float normalizer = 0;
        if (fullBatch)
        {
            foreach (var (seq, m, count) in sequences)
            {
                full.Add(seq with { Weights = [.. seq.Weights.Select(w => w * m)] });
                normalizer += m * count;
            }
        }
        var cumulative = new long[sequences.Count];
        long acc = 0;
        for (var i = 0; i < sequences.Count; i++) cumulative[i] = acc += sequences[i].Multiplicity;
        var stepOptions = trainer.Options with { LearningRate = o.LearningRate, GradClip = o.GradClip, Normalizer = fullBatch ? normalizer : 0f };
        for (var step = firstStep; step < o.Steps; step++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            List<WeightedSequence> batch;
            if (fullBatch) batch = full;
            else
            {
                var rng = new Random(unchecked((int)(o.Seed * 0x2545F491UL) ^ (int)step));
                batch = new List<WeightedSequence>(o.BatchSequences);
                for (var i = 0; i < o.BatchSequences; i++)
                {
                    var u = rng.NextInt64(acc);
                    var k = Array.BinarySearch(cumulative, u + 1);
                    batch.Add(sequences[k >= 0 ? k : ~k].Sequence);
                }
            }
            var r = trainer.Step(batch, default, stepOptions);
            var done = step + 1;
            if (log is not null && (done % o.LogEvery == 0 || done == o.Steps))
                log(done, new Dictionary<string, double> { ["loss"] = r.Loss, ["grad_norm"] = r.GradNorm });
            checkpoint?.Invoke(done);
        }
    }
}
