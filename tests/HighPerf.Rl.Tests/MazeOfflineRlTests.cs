using HighPerf.Gym.Core;
using HighPerf.Llama;
using HighPerf.Llama.Training;
using HighPerf.Rl.Algorithms;
using HighPerf.Rl.Critics;
using HighPerf.Rl.Data;
using HighPerf.Rl.Policies;
using HighPerf.Rl.Training;

namespace HighPerf.Rl.Tests;

/// <summary>One small, seeded fully observed Maze run of all four algorithms, shared by the tests of this class
/// (the demo's reduced sizes; deterministic on CPU for a fixed seed).</summary>
public sealed class MazeRunFixture : IDisposable
{
    public MazeRunFixture()
    {
        Directory = System.IO.Directory.CreateTempSubdirectory("hp-rl-maze-").FullName;
        Options = SmallOptions(Directory);
        using var exp = new OfflineExperiment(Options);
        Results = OfflineAlgorithms.All.ToDictionary(a => a, exp.Run);
        exp.WriteLearningCurve();
    }

    /// <summary>The demo's preset (seed 3) with half its evaluation episodes.</summary>
    public static ExperimentOptions SmallOptions(string dir) => ExperimentPresets.Cpu("maze-fo", dir, seed: 3) with { EvalEpisodes = 400, Threads = 2 };

    public string Directory { get; }
    public ExperimentOptions Options { get; }
    public Dictionary<OfflineAlgorithm, AlgorithmResult> Results { get; }

    public double Score(OfflineAlgorithm a) => Results[a].Evaluation.NormalizedScore!.Value;

    public void Dispose()
    {
        try { System.IO.Directory.Delete(Directory, true); } catch (IOException) { }
    }
}

public sealed class MazeOfflineRlTests(MazeRunFixture run) : IClassFixture<MazeRunFixture>
{
    /// <summary>Margins (normalized-score points) by which the value-based methods must beat BC on this run. The paper's
    /// FO Maze gaps are +16.8 (MC) and +41.7 (ILQL).</summary>
    private const double IlqlMargin = 10, McMargin = 5, FilteredTolerance = 2;

    /// <summary>Measured on this fixture (seed 3): ILQL clears the margin. Not robust across seeds at this CPU budget:
    /// seed 1 of docs/results.md has ILQL below BC (see there).</summary>
    [Fact]
    public void IlqlBeatsBehaviorCloning()
    {
        var bc = run.Score(OfflineAlgorithm.Bc);
        Assert.True(run.Score(OfflineAlgorithm.Ilql) >= bc + IlqlMargin, $"ILQL {run.Score(OfflineAlgorithm.Ilql):F1} vs BC {bc:F1}");
    }

    /// <summary>MC Returns decodes with β 0.5 (<see cref="ExperimentOptions.McBeta"/>): with the spec's β 16 the re-ranker
    /// was greedy on noisy per-cell Q and lost to BC on this fixture (seed 3: 53.8 vs 60.3). Measured with β 0.5 in the demo
    /// configuration, seeds 1–3: MC 86.6 / 81.9 / 86.9 vs BC 58.6 / 57.5 / 59.4.</summary>
    [Fact]
    public void McReturnsBeatsBehaviorCloning()
    {
        var bc = run.Score(OfflineAlgorithm.Bc);
        Assert.True(run.Score(OfflineAlgorithm.Mc) >= bc + McMargin, $"MC {run.Score(OfflineAlgorithm.Mc):F1} vs BC {bc:F1}");
    }

    [Fact]
    public void FilteredBcIsNotWorseThanBc()
        => Assert.True(run.Score(OfflineAlgorithm.FilteredBc) >= run.Score(OfflineAlgorithm.Bc) - FilteredTolerance,
            $"%BC {run.Score(OfflineAlgorithm.FilteredBc):F1} vs BC {run.Score(OfflineAlgorithm.Bc):F1}");

    [Fact]
    public void RunWritesCheckpointsMetricsAndCurves()
    {
        foreach (var f in new[] { "dataset.jsonl", "base.gguf", "bc.gguf", "filtered-bc.gguf", "mc.critic.gguf", "ilql.critic.gguf", "metrics.jsonl", "learning_curve.png", "eval-ilql.json" })
            Assert.True(File.Exists(Path.Combine(run.Directory, f)), f);
        Assert.NotEmpty(System.IO.Directory.GetFiles(Path.Combine(run.Directory, "tensorboard")));
        Assert.Empty(System.IO.Directory.GetFiles(run.Directory, "*.tmp"));
        var png = File.ReadAllBytes(Path.Combine(run.Directory, "learning_curve.png"));
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, png[..4]);
    }

    /// <summary>The BC objective the weighted step optimises equals the managed reference on the run's policy:
    /// −(1/N) Σ_s m_s Σ_t∈actions log softmax(logits_t)[x_{t+1}], N = Σ_s m_s·|actions of s|.</summary>
    [Fact]
    public void BehaviorCloningLossEqualsManagedReference()
    {
        var episodes = HighPerf.Gym.Data.EpisodeJsonl.Read(Path.Combine(run.Directory, "dataset.jsonl")).Take(20).ToList();
        using var model = LlamaModel.Load(Path.Combine(run.Directory, "bc.gguf"), LlamaModelOptions.Trainable);
        using var policy = new PolicyModel(model, 2);
        var task = TaskRegistry.Get("maze-fo");
        var data = OfflineDataset.Build(episodes, task.CreateEnvironment, policy.Tokenizer, policy.Bos);
        var seqs = BehaviorCloning.Sequences(data);
        double n = 0, sum = 0;
        foreach (var (seq, m, count) in seqs)
        {
            n += m * count;
            var positions = Enumerable.Range(0, seq.Tokens.Length).Where(t => seq.Weights[t] != 0).ToArray();
            var full = seq.Tokens.Append(seq.Targets[^1]).ToArray();
            var logits = policy.Outputs([(full.AsMemory(), positions)], embeddings: false);
            for (var i = 0; i < positions.Length; i++)
            {
                var row = logits.AsSpan(i * policy.VocabSize, policy.VocabSize);
                var max = double.NegativeInfinity;
                foreach (var x in row) max = Math.Max(max, x);
                var lse = 0.0;
                foreach (var x in row) lse += Math.Exp(x - max);
                sum += m * (row[seq.Targets[positions[i]]] - max - Math.Log(lse));
            }
        }
        var reference = -sum / n;
        using var trainer = new WeightedTrainer(model, new WeightedTrainerOptions { MaxSequenceLength = 128, SequencesPerMicroBatch = 8, Threads = 2, Normalizer = (float)n });
        var weighted = seqs.Select(s => s.Sequence with { Weights = [.. s.Sequence.Weights.Select(w => w * s.Multiplicity)] }).ToList();
        var r = trainer.Evaluate(weighted);
        Assert.Equal(reference, r.Loss, tolerance: 1e-3);
    }

    /// <summary>MC targets: G_t = r_t + γ·G_{t+1} per episode over action tokens, and truncated episodes carry no
    /// Q-weight.</summary>
    [Fact]
    public void McReturnsTargetsEqualManagedReference()
    {
        var episodes = HighPerf.Gym.Data.EpisodeJsonl.Read(Path.Combine(run.Directory, "dataset.jsonl")).Take(30).ToList();
        using var model = LlamaModel.Load(Path.Combine(run.Directory, "bc.gguf"));
        using var policy = new PolicyModel(model, 2);
        var data = OfflineDataset.Build(episodes, TaskRegistry.Get("maze-fo").CreateEnvironment, policy.Tokenizer, policy.Bos);
        var g = McReturns.ReturnsToGo(data, 0.99f);
        var complete = McReturns.CompleteRows(data, includeTruncated: false);
        for (var e = 0; e < data.EpisodeCount; e++)
        {
            double acc = 0;
            for (var r = data.EpisodeRowOffsets[e + 1] - 1; r >= data.EpisodeRowOffsets[e]; r--)
            {
                acc = data.RowReward[r] + 0.99 * acc;
                Assert.Equal(acc, g[r], tolerance: 1e-3);
                Assert.Equal(episodes[e].Done, complete[r]);
            }
            Assert.Equal(episodes[e].Return, data.RowReward.AsSpan(data.EpisodeRowOffsets[e], data.EpisodeRowOffsets[e + 1] - data.EpisodeRowOffsets[e]).ToArray().Sum(x => (double)x), tolerance: 1e-3);
        }
    }

    /// <summary>A critic checkpoint written mid-run and resumed by a new experiment ends bit-identical to the
    /// uninterrupted run (same π_β, dataset, step-seeded batches, AdamW moments in the checkpoint).</summary>
    [Fact]
    public void InterruptedCriticRunResumesToIdenticalWeights()
    {
        var a = System.IO.Directory.CreateTempSubdirectory("hp-rl-resume-a-").FullName;
        var b = System.IO.Directory.CreateTempSubdirectory("hp-rl-resume-b-").FullName;
        try
        {
            foreach (var dir in new[] { a, b })
                foreach (var f in new[] { "dataset.jsonl", "base.gguf", "bc.gguf", "bc.state.json" })
                    File.Copy(Path.Combine(run.Directory, f), Path.Combine(dir, f));
            var opts = run.Options with { Resume = true, IlqlSteps = 60, CheckpointEvery = 30 };
            using (var straight = new OfflineExperiment(opts with { OutputDirectory = a }))
                straight.TrainCritic(OfflineAlgorithm.Ilql).Dispose();
            using (var first = new OfflineExperiment(opts with { OutputDirectory = b, IlqlSteps = 30 }))
                first.TrainCritic(OfflineAlgorithm.Ilql).Dispose();
            using (var second = new OfflineExperiment(opts with { OutputDirectory = b }))
                second.TrainCritic(OfflineAlgorithm.Ilql).Dispose();
            using var ca = TokenCritic.Load(Path.Combine(a, "ilql.critic.gguf"));
            using var cb = TokenCritic.Load(Path.Combine(b, "ilql.critic.gguf"));
            Assert.Equal(60, ca.Steps);
            Assert.Equal(60, cb.Steps);
            foreach (var p in ca.Parameters)
                foreach (var kind in new[] { CriticTensorKind.Online, CriticTensorKind.Target, CriticTensorKind.AdamM, CriticTensorKind.AdamV })
                    Assert.True(ca.TensorData(p.Index, kind).SequenceEqual(cb.TensorData(p.Index, kind)), $"{p.Name} {kind}");
        }
        finally
        {
            System.IO.Directory.Delete(a, true);
            System.IO.Directory.Delete(b, true);
        }
    }
    /// <summary>The two scoring paths of the re-ranker agree: per-state candidates (the prompt decoded once, each
    /// candidate forking its KV sequence; logits and hidden states of one pass) give the same log π_β, ΣQ and ΣV as the
    /// fixed-set path (each prompt + candidate decoded whole), on the run's BC policy and ILQL critic.</summary>
    [Fact]
    public void ForkedCandidateScoringEqualsPackedScoring()
    {
        using var model = LlamaModel.Load(Path.Combine(run.Directory, "bc.gguf"));
        using var policy = new PolicyModel(model, 2);
        using var critic = TokenCritic.Load(Path.Combine(run.Directory, "ilql.critic.gguf"));
        var moves = OfflineExperiment.CandidateActions(TaskRegistry.Get("maze-fo"))!.For(TextHistory.Empty);
        var episodes = HighPerf.Gym.Data.EpisodeJsonl.Read(Path.Combine(run.Directory, "dataset.jsonl")).Take(3).ToList();
        var prompts = episodes.SelectMany(e => OfflineDataset.Replay(e, TaskRegistry.Get("maze-fo").CreateEnvironment).Steps.Take(3).Select(s => s.Prompt)).ToList();
        var score = new ReRankScore(0, 16, true);
        using var packed = new ReRankerPolicy(policy, moves, score, critic);
        using var forked = new ReRankerPolicy(policy, ActionCandidates.PerState(_ => moves), score, critic);
        foreach (var prompt in prompts)
        {
            var a = packed.Stats(prompt);
            var (actions, b) = forked.Scored(prompt);
            Assert.Equal(moves, actions);
            for (var c = 0; c < moves.Count; c++)
            {
                Assert.Equal(a[c].LogProb, b[c].LogProb, 1e-3);
                Assert.Equal(a[c].SumQ, b[c].SumQ, 1e-3);
                Assert.Equal(a[c].SumV, b[c].SumV, 1e-3);
            }
        }
        // Per-state sets: the policy only ever answers with a candidate of the state it is in.
        static bool FirstHalf(TextHistory h) => h.Items[^1].Text.Sum(ch => ch) % 2 == 0;
        using var varying = new ReRankerPolicy(policy, ActionCandidates.PerState(h => FirstHalf(h) ? moves.Take(2).ToList() : moves.Skip(2).ToList()), ReRankScore.BehaviorCloning);
        var answers = varying.ActBatch([.. prompts.Select((p, i) => new PolicyRequest(i, 0, p, new Random(i)))]);
        for (var i = 0; i < prompts.Count; i++)
            Assert.Contains(answers[i], FirstHalf(prompts[i]) ? moves.Take(2) : moves.Skip(2));
    }
}
