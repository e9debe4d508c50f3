using HighPerf.Gym.Core;
using HighPerf.Kernels;
using HighPerf.Llama;
using HighPerf.Rl.Algorithms;
using HighPerf.Rl.Policies;
using HighPerf.Rl.Rollouts;
using HighPerf.Rl.Training;

namespace HighPerf.Rl.Tests;

/// <summary>The Maze FO BC policy online runs start from (the demo preset's BC, seed 3), trained once per class.</summary>
public sealed class OnlineBcFixture : IDisposable
{
    public OnlineBcFixture()
    {
        Directory = System.IO.Directory.CreateTempSubdirectory("hp-rl-online-").FullName;
        Offline = ExperimentPresets.Cpu("maze-fo", Directory, seed: 3) with { EvalEpisodes = 256, Threads = 2 };
        using var exp = new OfflineExperiment(Offline);
        BcPath = exp.TrainPolicy(OfflineAlgorithm.Bc);
    }

    public string Directory { get; }
    public ExperimentOptions Offline { get; }
    public string BcPath { get; }

    /// <summary>A fresh output folder holding a copy of the fixture's dataset and BC policy (so runs do not retrain BC).</summary>
    public ExperimentOptions Fork(string name)
    {
        var dir = Path.Combine(Directory, name);
        System.IO.Directory.CreateDirectory(dir);
        foreach (var f in new[] { "dataset.jsonl", "base.gguf", "bc.gguf", "bc.state.json" })
            File.Copy(Path.Combine(Directory, f), Path.Combine(dir, f), overwrite: true);
        return Offline with { OutputDirectory = dir, Resume = true };
    }

    public void Dispose()
    {
        try { System.IO.Directory.Delete(Directory, true); } catch (IOException) { }
    }
}

public sealed class OnlineRlTests(OnlineBcFixture bc) : IClassFixture<OnlineBcFixture>
{
    // ---------------------------------------------------------------- rollouts

    private static RolloutBuffer Rollouts(string model, int resident, bool reEncode, int episodes, string task = "maze-fo")
    {
        using var m = LlamaModel.Load(model, new LlamaModelOptions { GpuLayers = 0 });
        using var policy = new SamplingPolicy(m, new SamplingPolicyOptions
        {
            MaxResidentConversations = resident, ReEncodeEachTurn = reEncode, Record = true, RecordFeatures = true, Threads = 2, MaxActionTokens = 8,
        });
        var buffer = new RolloutCollector(TaskRegistry.Get(task), policy).Collect(episodes, seed: 11, policyVersion: 0);
        var reEncoded = policy.PromptTokensSeen + policy.SampledTokens;
        if (!reEncode) Assert.True(policy.DecodedTokens < reEncoded, $"KV reuse decoded {policy.DecodedTokens} tokens, re-encoding {reEncoded}");
        else Assert.Equal(reEncoded, policy.DecodedTokens);
        return buffer;
    }

    /// <summary>Batched rollouts that keep each conversation's KV cache across turns give the same actions and
    /// behaviour log-probs as one-at-a-time rollouts that re-encode the whole prompt every turn (same seeds).</summary>
    [Theory]
    [InlineData("maze-fo")]
    [InlineData("twenty-questions")]
    public void BatchedRolloutsWithKvReuseMatchOneAtATimeReEncoding(string task)
    {
        var batched = Rollouts(bc.BcPath, resident: 6, reEncode: false, episodes: 6, task);
        var naive = Rollouts(bc.BcPath, resident: 1, reEncode: true, episodes: 6, task);
        Assert.Equal(naive.Tokens, batched.Tokens);
        Assert.Equal(naive.ActionMask, batched.ActionMask);
        Assert.Equal(naive.Rewards, batched.Rewards);
        Assert.Equal(naive.Offsets, batched.Offsets);
        for (var i = 0; i < naive.LogProbs.Length; i++)
            Assert.True(Math.Abs(naive.LogProbs[i] - batched.LogProbs[i]) <= 1e-4, $"token {i}: {naive.LogProbs[i]} vs {batched.LogProbs[i]}");
        for (var i = 0; i < naive.Features.Length; i++)
            Assert.True(Math.Abs(naive.Features[i] - batched.Features[i]) <= 1e-3, $"feature {i}: {naive.Features[i]} vs {batched.Features[i]}");
        Assert.Equal(naive.Episodes.Select(e => e.Return), batched.Episodes.Select(e => e.Return));
    }

    /// <summary>The behaviour log-probs recorded while sampling agree with the trainer's recomputation on the same tokens.</summary>
    [Fact]
    public void RecordedLogProbsMatchTheTrainer()
    {
        var buffer = Rollouts(bc.BcPath, resident: 4, reEncode: false, episodes: 4);
        using var model = LlamaModel.Load(bc.BcPath, LlamaModelOptions.Trainable);
        using var trainer = Ppo.NewTrainer(model, buffer, 1e-4f, 1f, 2);
        var lp = Ppo.LogProbs(trainer, buffer, Enumerable.Range(0, buffer.ClassCount).ToArray());
        var behaviour = buffer.AtActions(buffer.LogProbs);
        for (var j = 0; j < lp.Length; j++) Assert.True(Math.Abs(lp[j] - behaviour[j]) < 2e-3, $"action token {j}: trainer {lp[j]}, sampler {behaviour[j]}");
    }

    // ---------------------------------------------------------------- the buffer and PPO's math

    private static EpisodeRecord Episode(int seed, (string Text, bool Action, double Reward)[] items, bool done)
        => new("hand", seed, new TextTrajectory([.. items.Select(i => new TextItem(i.Text, i.Action))], [.. items.Select(i => i.Reward)], done), done);

    /// <summary>A hand-built batch: a growing history (one LM sequence, observation tokens between the actions) and a
    /// windowed one (a new LM sequence per turn), checked field by field, then GAE with KL shaping and the PPO weights
    /// against a managed recomputation of the equations.</summary>
    [Fact]
    public void HandBuiltBufferGaeAndPpoWeightsMatchAManagedReference()
    {
        var growing = Episode(1, [("o", false, 0), ("a", true, 0.5), ("p", false, 0), ("b", true, 1.0)], done: true);
        var windowed = Episode(2, [("o", false, 0), ("c", true, -1.0), ("q", false, 0), ("d", true, 2.0)], done: false);
        var turns = new List<IReadOnlyList<TurnRecord>>
        {
            new[]
            {
                new TurnRecord(0, 0, [1, 10, 11], [20, 21], [-0.5f, -0.25f], null),
                new TurnRecord(0, 1, [1, 10, 11, 20, 21, 12], [22], [-1.0f], null),
            },
            new[]
            {
                new TurnRecord(1, 0, [1, 10], [30], [-0.1f], null),
                new TurnRecord(1, 1, [1, 13], [31, 32], [-0.2f, -0.3f], null),
            },
        };
        var b = RolloutBuffer.Build([growing, windowed], turns, policyVersion: 0);
        Assert.Equal([0, 7, 14], b.Offsets);
        Assert.Equal([1, 10, 11, 20, 21, 12, 22, 1, 10, 30, 1, 13, 31, 32], b.Tokens);
        Assert.Equal(new byte[] { 0, 0, 0, 1, 1, 0, 1, 0, 0, 1, 0, 0, 1, 1 }, b.ActionMask);
        Assert.Equal([0, 0, 0, 0, 0.5f, 0, 1f, 0, 0, -1f, 0, 0, 0, 2f], b.Rewards);
        Assert.Equal([-1, -1, -1, 0, 0, -1, 1, -1, -1, 2, -1, -1, 3, 3], b.UtteranceIndex);
        Assert.Equal(new byte[] { 1, 0 }, b.Dones);
        Assert.Equal(3, b.SequenceCount); // growing: one; windowed: one per turn
        Assert.Equal([0, 1, 3], b.EpisodeSequenceOffsets);
        Assert.Equal([3, 4, 6], b.ActionPosition[..3]);
        Assert.Equal([0, 0, 0, 1, 2, 2], b.ActionSequence);

        // Weighted sequences: input t predicts target t+1; the weight of action j sits on position ActionPosition[j] − 1.
        var w = new float[] { 1, 2, 3, 4, 5, 6 };
        Assert.Equal(3, b.ClassCount);
        var ws = b.WeightedSequences([0, 2], w, out var actionAt);
        Assert.Equal([1, 10, 11, 20, 21, 12], ws[0].Tokens);
        Assert.Equal([10, 11, 20, 21, 12, 22], ws[0].Targets);
        Assert.Equal([0, 0, 1, 2, 0, 3], ws[0].Weights);
        Assert.Equal([0, 5, 6], ws[1].Weights);
        Assert.Equal([2, 3, 5, -1, 7, 8], actionAt);

        // GAE with k1 KL shaping over action tokens, against the equations.
        var values = new float[] { 0, 0, 0, 0.3f, 0.2f, 0, 0.7f, 0, 0, -0.4f, 0, 0, 0.1f, 0.5f };
        var old = new float[b.TokenCount];
        var refLp = new float[b.TokenCount];
        for (var i = 0; i < old.Length; i++) { old[i] = b.ActionMask[i] == 1 ? -0.5f - 0.1f * i : 0; refLp[i] = b.ActionMask[i] == 1 ? -0.7f : 0; }
        var adv = new float[b.TokenCount];
        var ret = new float[b.TokenCount];
        const float gamma = 0.9f, lambda = 0.8f, beta = 0.1f;
        Advantages.Gae(b.Offsets, b.Rewards, values, b.ActionMask, b.Dones, adv, ret, new GaeOptions(gamma, lambda, KlEstimator.K1, beta), logp: old, refLogp: refLp);
        var expected = new float[b.TokenCount];
        for (var e = 0; e < 2; e++)
        {
            double next = 0, running = 0; // truncated episode: bootstrap 0 (verl)
            for (var t = b.Offsets[e + 1] - 1; t >= b.Offsets[e]; t--)
            {
                if (b.ActionMask[t] == 0) continue;
                var shaped = b.Rewards[t] - beta * (old[t] - refLp[t]);
                var delta = shaped + gamma * next - values[t];
                running = delta + gamma * lambda * running;
                expected[t] = (float)running;
                next = values[t];
            }
        }
        for (var t = 0; t < adv.Length; t++)
        {
            Assert.Equal(expected[t], adv[t], 4);
            if (b.ActionMask[t] == 1) Assert.Equal(expected[t] + values[t], ret[t], 4);
        }

        // PPO-clip weights: w = A·ρ unless the clip binds (A > 0, ρ > 1 + ε or A < 0, ρ < 1 − ε), then 0.
        float[] a = [1f, -1f, 2f, -0.5f];
        float[] newLp = [-0.1f, -2f, -1f, -0.4f];
        float[] oldLp = [-0.5f, -1f, -1.1f, -0.6f];
        var weights = new float[4];
        Advantages.PpoClipWeights(a, newLp, oldLp, 0.2f, weights);
        for (var i = 0; i < 4; i++)
        {
            var rho = MathF.Exp(newLp[i] - oldLp[i]);
            var clippedOut = (a[i] > 0 && rho > 1.2f) || (a[i] < 0 && rho < 0.8f);
            Assert.Equal(clippedOut ? 0f : a[i] * rho, weights[i], 5);
        }
    }

    /// <summary>The weighted step's loss is −(1/n)·Σ w·log π on a real batch: PPO's loss as the trainer computes it equals the
    /// managed sum over the trainer's own log-probs.</summary>
    [Fact]
    public void PpoLossEqualsTheManagedSurrogate()
    {
        var buffer = Rollouts(bc.BcPath, resident: 4, reEncode: false, episodes: 2);
        using var model = LlamaModel.Load(bc.BcPath, LlamaModelOptions.Trainable);
        using var trainer = Ppo.NewTrainer(model, buffer, 1e-4f, 1f, 2);
        var all = Enumerable.Range(0, buffer.ClassCount).ToArray();
        var lp = Ppo.LogProbs(trainer, buffer, all);
        var rng = new Random(5);
        var a = new float[buffer.ActionTokenCount];
        for (var j = 0; j < a.Length; j++) a[j] = (float)(rng.NextDouble() * 2 - 1);
        var w = new float[a.Length];
        Advantages.PpoClipWeights(a, lp, lp, 0.2f, w); // ρ = 1: w = A
        Assert.Equal(a, w);
        var sequences = buffer.WeightedSequences(all, w, out _);
        Assert.True(buffer.ClassCount < buffer.SequenceCount, "Maze FO rollouts repeat LM inputs; duplicates are merged");
        var result = trainer.Evaluate(sequences);
        var managed = 0.0;
        for (var j = 0; j < a.Length; j++) managed -= w[j] * lp[j];
        managed /= sequences.Sum(q => q.Weights.Count(x => x != 0)); // the trainer's default normaliser: weighted positions
        Assert.True(Math.Abs(result.Loss - managed) < 1e-3 * Math.Max(1, Math.Abs(managed)), $"trainer {result.Loss}, managed {managed}");
    }

    // ---------------------------------------------------------------- end to end

    private static OnlineExperimentOptions Small(ExperimentOptions offline, int iterations) => OnlinePresets.Cpu(offline) with
    {
        Ppo = new PpoOptions { Iterations = iterations, EpisodesPerIteration = 16, RolloutBatch = 8, MinibatchSequences = 64, Epochs = 1, ValueEpochs = 1 },
        OnlineBc = new OnlineFilteredBcOptions { Iterations = iterations, EpisodesPerIteration = 16, RolloutBatch = 8 },
    };

    /// <summary>Stopping after an iteration and resuming gives the same policy and value head, bit for bit, as an
    /// uninterrupted run.</summary>
    [Fact]
    public void PpoResumeIsBitIdentical()
    {
        var straight = bc.Fork("ppo-straight");
        using (var exp = new OnlineExperiment(Small(straight, 2)))
            Train(exp, OnlineAlgorithm.Ppo);
        var split = bc.Fork("ppo-split");
        using (var exp = new OnlineExperiment(Small(split, 1)))
            Train(exp, OnlineAlgorithm.Ppo);
        using (var exp = new OnlineExperiment(Small(split, 2)))
            Train(exp, OnlineAlgorithm.Ppo);
        Assert.Equal(File.ReadAllBytes(Path.Combine(straight.OutputDirectory, "ppo.gguf")), File.ReadAllBytes(Path.Combine(split.OutputDirectory, "ppo.gguf")));
        Assert.Equal(File.ReadAllBytes(Path.Combine(straight.OutputDirectory, "ppo.value.gguf")), File.ReadAllBytes(Path.Combine(split.OutputDirectory, "ppo.value.gguf")));
        Assert.NotEqual(File.ReadAllBytes(bc.BcPath), File.ReadAllBytes(Path.Combine(split.OutputDirectory, "ppo.gguf")));
    }

    private static void Train(OnlineExperiment exp, OnlineAlgorithm which) => exp.Train(which);

    /// <summary>PPO from the BC policy improves the sampled policy on Maze FO within a CPU budget (seed 3).</summary>
    [Fact]
    public void PpoImprovesOnItsBcStartingPolicy()
    {
        using var exp = new OnlineExperiment(OnlinePresets.Cpu(bc.Fork("ppo")));
        var r = exp.Run(OnlineAlgorithm.Ppo);
        Assert.True(r.Trained.NormalizedScore >= r.Start.NormalizedScore + PpoMargin,
            $"PPO {r.Trained.NormalizedScore:F1} vs BC {r.Start.NormalizedScore:F1}; iterations: {string.Join(", ", r.Iterations.Select(i => i["return_mean"].ToString("F1")))}");
        Assert.True(File.Exists(Path.Combine(exp.Options.Offline.OutputDirectory, "eval-ppo.json")));
    }

    /// <summary>Margin (normalized points) PPO must gain over its start on this seed.</summary>
    private const double PpoMargin = 5;

    /// <summary>Online filtered BC is not worse than the BC policy it starts from.</summary>
    [Fact]
    public void OnlineFilteredBcIsNotWorseThanBc()
    {
        using var exp = new OnlineExperiment(OnlinePresets.Cpu(bc.Fork("online-bc")));
        var r = exp.Run(OnlineAlgorithm.OnlineFilteredBc);
        Assert.True(r.Trained.NormalizedScore >= r.Start.NormalizedScore - 2, $"online %BC {r.Trained.NormalizedScore:F1} vs BC {r.Start.NormalizedScore:F1}");
    }

    /// <summary>The seam takes offline data too: a dataset becomes a buffer (replayed prompts, item tokens), and the
    /// same training step (online %BC keeping every episode = BC) raises the log-likelihood of the dataset's actions.</summary>
    [Fact]
    public void DatasetBufferTrainsThroughTheSameSeam()
    {
        var task = TaskRegistry.Get("maze-fo");
        var episodes = Gym.Data.EpisodeJsonl.Read(Path.Combine(bc.Directory, "dataset.jsonl")).Take(24).ToList();
        using var model = LlamaModel.Load(Path.Combine(bc.Directory, "base.gguf"), LlamaModelOptions.Trainable);
        using var view = new PolicyModel(model, 2);
        var buffer = DatasetRollouts.FromEpisodes(episodes, task.CreateReplayEnvironment, view);
        Assert.Equal(episodes.Count, buffer.EpisodeCount);
        Assert.Equal(episodes.Sum(e => e.Trajectory.Items.Count(i => i.IsAction)), buffer.UtteranceIndex.Max() + 1); // one utterance per action
        Assert.Equal(episodes.Sum(e => e.Return), buffer.Rewards.Sum(r => (double)r), 3);
        Assert.True(buffer.ClassCount < buffer.SequenceCount);
        var all = Enumerable.Range(0, buffer.ClassCount).ToArray();
        double MeanLogProb()
        {
            using var t = Ppo.NewTrainer(model, buffer, 1e-3f, 1f, 2);
            return Ppo.LogProbs(t, buffer, all).Average();
        }
        var before = MeanLogProb();
        var bcOnData = new OnlineFilteredBc(new OnlineFilteredBcOptions { KeepFraction = 1, Epochs = 5, LearningRate = 3e-3f, MinibatchSequences = 256 }, model, seed: 1, threads: 2);
        var metrics = bcOnData.Train(buffer, 0);
        Assert.Equal(episodes.Count, metrics["kept"]);
        var after = MeanLogProb();
        Assert.True(after > before + 0.1, $"mean log π(a) of dataset actions {before:F3} → {after:F3}");
    }

    [Fact]
    public void BadOptionsNameTheOption()
    {
        Assert.Contains("Lambda", Assert.Throws<ArgumentOutOfRangeException>(() => new PpoOptions { Lambda = 1.5f }.Validate()).Message);
        Assert.Contains("EpisodesPerIteration", Assert.Throws<ArgumentOutOfRangeException>(() => new PpoOptions { EpisodesPerIteration = -4 }.Validate()).Message);
        Assert.Contains("KeepFraction", Assert.Throws<ArgumentOutOfRangeException>(() => new OnlineFilteredBcOptions { KeepFraction = 0 }.Validate()).Message);
        Assert.Contains("ClipEpsilon", Assert.Throws<ArgumentOutOfRangeException>(() => new PpoOptions { ClipEpsilon = float.NaN }.Validate()).Message);
    }

    [Fact]
    public void FilteredBcKeepsTheTopFractionEarliestFirstAmongTies()
    {
        Assert.Equal([1, 3], OnlineFilteredBc.Keep([0.0, 5.0, 1.0, 5.0, 2.0], 0.3));
        Assert.Equal([1], OnlineFilteredBc.Keep([0.0, 5.0, 1.0], 0.01));
        Assert.Equal([0, 1, 2], OnlineFilteredBc.Keep([0.0, 5.0, 1.0], 1.0));
    }
}
