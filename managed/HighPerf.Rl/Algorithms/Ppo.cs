using HighPerf.Kernels;
using HighPerf.Llama;
using HighPerf.Llama.Training;
using HighPerf.Rl.Critics;
using HighPerf.Rl.Policies;
using HighPerf.Rl.Rollouts;

namespace HighPerf.Rl.Algorithms;

/// <summary>Hyperparameters of token-level PPO (spec §4.5; CPU sizes for a tiny policy where the spec's GPT-2 sizes
/// do not fit two cores: the report prints every value).</summary>
public sealed record PpoOptions
{
    public int Iterations { get; init; } = 6;
    /// <summary>Episodes per iteration (spec n_rollouts: 512 on Maze).</summary>
    public int EpisodesPerIteration { get; init; } = 64;
    /// <summary>Episodes stepped together (spec rollout_bsize 32).</summary>
    public int RolloutBatch { get; init; } = 32;
    /// <summary>Passes over each iteration's data (spec epochs).</summary>
    public int Epochs { get; init; } = 2;
    /// <summary>LM sequences per minibatch step (spec train_bsize; a Maze FO turn is one sequence).</summary>
    public int MinibatchSequences { get; init; } = 64;
    /// <summary>Policy learning rate. The spec's 1e-6 fine-tunes GPT-2; a tiny policy trained from scratch at 3e-3 by BC
    /// needs a larger step to move within a few iterations.</summary>
    public float LearningRate { get; init; } = 2e-4f;
    public float GradClip { get; init; } = 1f;
    public float Gamma { get; init; } = 0.99f;
    public float Lambda { get; init; } = 0.95f;
    /// <summary>β of the shaped reward r − β·KL(π ‖ π_ref) (spec §4.7 Maze: 0.1; fixed, no adaptive controller).</summary>
    public float KlCoef { get; init; } = 0.1f;
    public KlEstimator KlEstimator { get; init; } = KlEstimator.K1;
    public float ClipEpsilon { get; init; } = 0.2f;
    public bool WhitenAdvantages { get; init; } = true;
    public float Temperature { get; init; } = 1f;
    public int MaxActionTokens { get; init; } = 32;
    /// <summary>Hidden width of the value head's MLP (a V head of the ggml critic library on the policy's features).</summary>
    public int ValueHidden { get; init; } = 128;
    public float ValueLearningRate { get; init; } = 1e-3f;
    /// <summary>Passes of the value head over each iteration's action tokens.</summary>
    public int ValueEpochs { get; init; } = 4;
    public int ValueBatchRows { get; init; } = 256;

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the first bad option.</summary>
    public void Validate()
    {
        Check(Iterations is >= 1 and <= 1_000_000, nameof(Iterations), Iterations, "in [1, 10^6]");
        Check(EpisodesPerIteration is >= 1 and <= 1_000_000, nameof(EpisodesPerIteration), EpisodesPerIteration, "in [1, 10^6]");
        Check(RolloutBatch is >= 1 and <= 256, nameof(RolloutBatch), RolloutBatch, "in [1, 256]");
        Check(Epochs is >= 1 and <= 1000, nameof(Epochs), Epochs, "in [1, 1000]");
        Check(MinibatchSequences is >= 1 and <= 1_000_000, nameof(MinibatchSequences), MinibatchSequences, "in [1, 10^6]");
        Check(LearningRate is > 0 and <= 1, nameof(LearningRate), LearningRate, "in (0, 1]");
        Check(GradClip is >= 0 and <= 1e6f, nameof(GradClip), GradClip, "in [0, 10^6]");
        Check(Gamma is >= 0 and <= 1, nameof(Gamma), Gamma, "in [0, 1]");
        Check(Lambda is >= 0 and <= 1, nameof(Lambda), Lambda, "in [0, 1]");
        Check(KlCoef is >= 0 and <= 1e3f, nameof(KlCoef), KlCoef, "in [0, 1000]");
        Check(ClipEpsilon is >= 0 and < 1, nameof(ClipEpsilon), ClipEpsilon, "in [0, 1)");
        Check(Temperature is > 0 and <= 100, nameof(Temperature), Temperature, "in (0, 100]");
        Check(MaxActionTokens is >= 1 and <= 4096, nameof(MaxActionTokens), MaxActionTokens, "in [1, 4096]");
        Check(ValueHidden is >= 1 and <= 65536, nameof(ValueHidden), ValueHidden, "in [1, 65536]");
        Check(ValueLearningRate is > 0 and <= 1, nameof(ValueLearningRate), ValueLearningRate, "in (0, 1]");
        Check(ValueEpochs is >= 0 and <= 1000, nameof(ValueEpochs), ValueEpochs, "in [0, 1000]");
        Check(ValueBatchRows is >= 1 and <= 1_000_000, nameof(ValueBatchRows), ValueBatchRows, "in [1, 10^6]");
    }

    internal static void Check(bool ok, string name, object value, string range)
    {
        if (!ok) throw new ArgumentOutOfRangeException(name, value, $"{name} must be {range}");
    }
}

/// <summary>
/// Token-level PPO as in LMRL-Gym (spec §4.5), one iteration:
/// <code>
///   collect      N episodes with π_θ (SamplingPolicy on the executor, KV kept across turns)
///   V(s_t)       value head on the policy's features at every action token
///   logπ_old     recomputed by the trainer before any update (ratio = 1 exactly at the first step)
///   logπ_ref     the frozen reference (the BC policy)
///   r'_t         = r_t − β·KL(logπ_old, logπ_ref)             (k1/k2/k3 estimators, per action token)
///   A_t          = GAE(γ, λ) over action tokens, observation tokens carried; R_t = A_t + V(s_t); A whitened
///   value head   min ½(V(s_t) − R_t)²
///   policy       epochs × minibatches: w_t = A_t·ρ_t where the clip does not bind, 0 where it does,
///                ρ_t = exp(logπ_θ − logπ_old);  one weighted step on −(1/n)·Σ w_t·log π_θ(a_t|s_t)  (DESIGN D3)
/// </code>
/// The gradient of the weighted step at θ equals the clipped surrogate's, −(1/n)Σ A_t·∇ρ_t on unclipped tokens.
/// AdamW moments start fresh every iteration (the trainer is sized to each buffer), which is also what makes a resumed
/// run bit-identical: an iteration depends only on the weights, the value head and the seed.
/// Left out (in the report): value clipping (the ggml value head has a plain MSE), the adaptive KL controller,
/// the BC-loss term (0 on Maze in the spec).
/// </summary>
public sealed class Ppo(PpoOptions options, LlamaModel policy, LlamaModel reference, TokenCritic value, int seed, int threads) : IOnlineAlgorithm
{
    public PpoOptions Options { get; } = Validated(options);
    public string Name => "ppo";
    public int EpisodesPerIteration => Options.EpisodesPerIteration;

    private static PpoOptions Validated(PpoOptions o)
    {
        ArgumentNullException.ThrowIfNull(o);
        o.Validate();
        return o;
    }

    /// <summary>A fresh value head for features of <paramref name="featureWidth"/> (one Q head exists for the library's
    /// shape and is trained with weight 0).</summary>
    public static TokenCritic CreateValueHead(int featureWidth, int vocabSize, PpoOptions options, int seed, int threads)
        => TokenCritic.Create(new CriticShape(featureWidth, options.ValueHidden, vocabSize, 1, WithValue: true, WithTarget: false, (ulong)seed, threads));

    public RolloutBuffer Collect(RolloutCollector collector, int iteration, Action<Gym.Core.EpisodeRecord>? onEpisode = null)
    {
        ArgumentNullException.ThrowIfNull(collector);
        if (collector.Policy.Options.Record is false || collector.Policy.Options.RecordFeatures is false)
            throw new ArgumentException("PPO's rollout policy must record turns and features", nameof(collector));
        return collector.Collect(Options.EpisodesPerIteration, OnlineSeeds.Rollout(seed, iteration), iteration, onEpisode);
    }

    public IReadOnlyDictionary<string, double> Train(RolloutBuffer buffer, int iteration)
    {
        ArgumentNullException.ThrowIfNull(buffer);
        if (buffer.PolicyVersion != iteration) throw new ArgumentException($"PPO is on-policy: the buffer comes from policy version {buffer.PolicyVersion}, this is iteration {iteration}", nameof(buffer));
        if (buffer.FeatureWidth != value.Shape.EmbeddingSize) throw new ArgumentException($"buffer features are {buffer.FeatureWidth} wide, the value head reads {value.Shape.EmbeddingSize}", nameof(buffer));
        var o = Options;
        var n = buffer.ActionTokenCount;
        var rng = OnlineSeeds.Shuffle(seed, iteration);

        // V(s_t) at every action token.
        var v = new float[n];
        value.Evaluate(buffer.Features, [], [], [], v);
        buffer.ToStream(v, buffer.Values);

        // log π_old and log π_ref with the trainer's own arithmetic.
        using var trainer = NewTrainer(policy, buffer);
        var all = Enumerable.Range(0, buffer.ClassCount).ToArray();
        var old = LogProbs(trainer, buffer, all);
        float[] refLp;
        using (var refTrainer = NewTrainer(reference, buffer)) refLp = LogProbs(refTrainer, buffer, all);
        buffer.ToStream(old, buffer.OldLogProbs);
        buffer.ToStream(refLp, buffer.RefLogProbs);

        // Shaped rewards and GAE over action tokens (the kernel).
        var adv = new float[buffer.TokenCount];
        var ret = new float[buffer.TokenCount];
        Advantages.Gae(buffer.Offsets, buffer.Rewards, buffer.Values, buffer.ActionMask, buffer.Dones, adv, ret,
            new GaeOptions(o.Gamma, o.Lambda, o.KlEstimator, o.KlCoef, o.WhitenAdvantages),
            logp: buffer.OldLogProbs, refLogp: buffer.RefLogProbs);
        var a = buffer.AtActions(adv);
        var r = buffer.AtActions(ret);

        var valueLoss = TrainValue(buffer, r, rng);

        // Clipped-surrogate epochs.
        var weights = new float[n];
        var newLp = new float[n];
        double clipped = 0, counted = 0, approxKl = 0, loss = 0;
        var steps = 0;
        for (var epoch = 0; epoch < o.Epochs; epoch++)
        {
            // Minibatches of distinct LM inputs (each with all its duplicates' action tokens).
            var order = OnlineSeeds.Permutation(buffer.ClassCount, rng);
            for (var start = 0; start < order.Length; start += o.MinibatchSequences)
            {
                var batch = order.AsSpan(start, Math.Min(o.MinibatchSequences, order.Length - start)).ToArray();
                var actions = buffer.ActionsOfClasses(batch);
                if (actions.Count == 0) continue;
                var lp = LogProbs(trainer, buffer, batch);
                var ma = new float[actions.Count];
                var mNew = new float[actions.Count];
                var mOld = new float[actions.Count];
                for (var i = 0; i < actions.Count; i++)
                {
                    ma[i] = a[actions[i]];
                    mNew[i] = lp[actions[i]];
                    mOld[i] = old[actions[i]];
                }
                var mw = new float[actions.Count];
                var ratio = new float[actions.Count];
                Advantages.PpoClipWeights(ma, mNew, mOld, o.ClipEpsilon, mw, ratio: ratio);
                for (var i = 0; i < actions.Count; i++)
                {
                    weights[actions[i]] = mw[i];
                    newLp[actions[i]] = mNew[i];
                    if (epoch == o.Epochs - 1)
                    {
                        if (Math.Abs(ratio[i] - 1f) > o.ClipEpsilon) clipped++;
                        approxKl += mOld[i] - mNew[i];
                        counted++;
                    }
                }
                var sequences = buffer.WeightedSequences(batch, weights, out _);
                var step = trainer.Step(sequences, overrides: trainer.Options with { Normalizer = actions.Count });
                loss += step.Loss;
                steps++;
                foreach (var j in actions) weights[j] = 0f;
            }
        }

        var kl = new float[n];
        Advantages.KlPenalty(old, refLp, o.KlEstimator, kl);
        return new Dictionary<string, double>
        {
            ["return_mean"] = buffer.MeanReturn,
            ["success_rate"] = buffer.SuccessRate,
            ["episodes"] = buffer.EpisodeCount,
            ["action_tokens"] = n,
            ["kl_ref"] = n == 0 ? 0 : kl.Average(),
            ["approx_kl"] = counted == 0 ? 0 : approxKl / counted,
            ["clip_frac"] = counted == 0 ? 0 : clipped / counted,
            ["policy_loss"] = steps == 0 ? 0 : loss / steps,
            ["value_loss"] = valueLoss,
            ["value_mean"] = n == 0 ? 0 : v.Average(),
            ["return_target_mean"] = n == 0 ? 0 : r.Average(),
            ["behaviour_logp_gap"] = n == 0 ? 0 : MeanAbsGap(buffer, old),
        };
    }

    private static double MeanAbsGap(RolloutBuffer buffer, float[] old)
    {
        var behaviour = buffer.AtActions(buffer.LogProbs);
        double s = 0;
        for (var j = 0; j < old.Length; j++) s += Math.Abs(behaviour[j] - old[j]);
        return s / old.Length;
    }

    /// <summary>½(V − R)² over the action tokens, <see cref="PpoOptions.ValueEpochs"/> shuffled passes; returns the last
    /// pass's mean loss.</summary>
    private double TrainValue(RolloutBuffer buffer, float[] returns, Random rng)
    {
        var n = buffer.ActionTokenCount;
        var w = buffer.FeatureWidth;
        var adamw = new AdamWOptions(Options.ValueLearningRate);
        double last = 0;
        for (var epoch = 0; epoch < Options.ValueEpochs; epoch++)
        {
            var order = OnlineSeeds.Permutation(n, rng);
            double sum = 0;
            var batches = 0;
            for (var start = 0; start < n; start += Options.ValueBatchRows)
            {
                var m = Math.Min(Options.ValueBatchRows, n - start);
                var x = new float[m * w];
                var tokens = new int[m];
                var vt = new float[m];
                var vw = new float[m];
                for (var i = 0; i < m; i++)
                {
                    var j = order[start + i];
                    buffer.Features.AsSpan(j * w, w).CopyTo(x.AsSpan(i * w, w));
                    tokens[i] = buffer.Tokens[buffer.ActionStreamIndex[j]];
                    vt[i] = returns[j];
                    vw[i] = 1f / m;
                }
                var zeros = new float[m];
                var l = value.TrainStep(new CriticBatch { Features = x, Tokens = tokens, QTargets = zeros, QWeights = zeros, VTargets = vt, VWeights = vw }, adamw);
                sum += l.V;
                batches++;
            }
            last = batches == 0 ? 0 : sum / batches;
        }
        return last;
    }

    /// <summary>log π(a_j | s_j) under the trainer's current weights for the action tokens of the sequence classes
    /// <paramref name="classes"/> (a full-length per-action array; other entries 0), in chunks of 64 classes.</summary>
    internal static float[] LogProbs(WeightedTrainer trainer, RolloutBuffer buffer, IReadOnlyList<int> classes, int chunk = 64)
    {
        var result = new float[buffer.ActionTokenCount];
        var ones = new float[buffer.ActionTokenCount];
        Array.Fill(ones, 1f);
        for (var start = 0; start < classes.Count; start += chunk)
        {
            var part = classes.Skip(start).Take(chunk).ToArray();
            var ws = buffer.WeightedSequences(part, ones, out var index);
            var lp = new float[ws.Sum(q => q.Tokens.Length)];
            trainer.Evaluate(ws, lp);
            buffer.ScatterLogProbs(lp, index, result);
        }
        return result;
    }

    internal WeightedTrainer NewTrainer(LlamaModel model, RolloutBuffer buffer) => NewTrainer(model, buffer, Options.LearningRate, Options.GradClip, threads);

    /// <summary>A weighted trainer whose per-sequence slot holds the buffer's longest LM sequence.</summary>
    internal static WeightedTrainer NewTrainer(LlamaModel model, RolloutBuffer buffer, float learningRate, float gradClip, int threads)
    {
        var slot = PolicyModel.SlotLength(Math.Max(2, buffer.MaxSequenceLength));
        return new WeightedTrainer(model, new WeightedTrainerOptions
        {
            LearningRate = learningRate,
            GradClip = gradClip,
            WeightDecay = 0f,
            MaxSequenceLength = slot,
            SequencesPerMicroBatch = Math.Clamp(2048 / slot, 1, 32),
            Threads = threads,
        });
    }

    public IReadOnlyList<(string Name, string Value)> Hyperparameters => HyperparameterTable.Of(Options);
}

/// <summary>Reports hyperparameters from the options record itself, so a report can never disagree with the run.</summary>
public static class HyperparameterTable
{
    public static IReadOnlyList<(string Name, string Value)> Of<T>(T options) where T : notnull
        => [.. typeof(T).GetProperties().Where(p => p.CanRead && p.GetIndexParameters().Length == 0)
            .Select(p => (p.Name, Convert.ToString(p.GetValue(options), System.Globalization.CultureInfo.InvariantCulture) ?? ""))];
}
