using System.Diagnostics;
using System.Text.Json;
using HighPerf.Gym.Core;
using HighPerf.Gym.Data;
using HighPerf.Gym.Evaluation;
using HighPerf.Gym.TextNav;
using HighPerf.Llama;
using HighPerf.Llama.Training;
using HighPerf.Rl.Algorithms;
using HighPerf.Rl.Critics;
using HighPerf.Rl.Data;
using HighPerf.Rl.Policies;
using HighPerf.Rl.Reporting;
using AtomicFile = HighPerf.Rl.Reporting.AtomicFile;

namespace HighPerf.Rl.Training;

/// <summary>The four offline algorithms of spec §4.1–§4.4.</summary>
public enum OfflineAlgorithm
{
    Bc,
    FilteredBc,
    Mc,
    Ilql,
}

/// <summary>CLI names and paper labels of <see cref="OfflineAlgorithm"/>.</summary>
public static class OfflineAlgorithms
{
    public static readonly OfflineAlgorithm[] All = [OfflineAlgorithm.Bc, OfflineAlgorithm.FilteredBc, OfflineAlgorithm.Mc, OfflineAlgorithm.Ilql];

    public static string CliName(this OfflineAlgorithm a) => a switch
    {
        OfflineAlgorithm.Bc => "bc",
        OfflineAlgorithm.FilteredBc => "filtered-bc",
        OfflineAlgorithm.Mc => "mc",
        _ => "ilql",
    };

    public static string PaperLabel(this OfflineAlgorithm a) => a switch
    {
        OfflineAlgorithm.Bc => "BC",
        OfflineAlgorithm.FilteredBc => "%BC",
        OfflineAlgorithm.Mc => "MC Returns",
        _ => "ILQL",
    };

    public static OfflineAlgorithm Parse(string name) => All.FirstOrDefault(a => a.CliName() == name, (OfflineAlgorithm)(-1)) is var a && a >= 0
        ? a
        : throw new ArgumentException($"unknown algorithm '{name}'; known: {string.Join(", ", All.Select(x => x.CliName()))}", nameof(name));
}

/// <summary>Sizes and hyperparameters of one offline experiment (defaults: CPU sizes for this project's 2-core
/// machines; spec §4.7 for β, γ, τ, cql).</summary>
public sealed record ExperimentOptions
{
    public required string Task { get; init; }
    /// <summary>The task's definition when it differs from the registry's <see cref="Task"/> (e.g. the chess tasks'
    /// CPU-sized engines, <see cref="ExperimentPresets"/>); null = <c>TaskRegistry.Get(Task)</c>.</summary>
    public TaskDefinition? Definition { get; init; }
    public required string OutputDirectory { get; init; }
    public int Seed { get; init; } = 1;
    /// <summary>A GGUF policy to start from (F32 weights, since BC trains it); null = a tiny model generated from the
    /// dataset's text (DESIGN D6).</summary>
    public string? ModelPath { get; init; }
    /// <summary>Continue from the checkpoints in <see cref="OutputDirectory"/>.</summary>
    public bool Resume { get; init; }
    /// <summary>Dataset episodes (null: the task's default size).</summary>
    public int? DatasetEpisodes { get; init; }
    /// <summary>Evaluation episodes (null: the paper's protocol for the task).</summary>
    public int? EvalEpisodes { get; init; }
    public int BcSteps { get; init; } = 120;
    /// <summary>When set, BC runs this many passes over the distinct segments instead of <see cref="BcSteps"/>
    /// (one step per pass when they fit one batch, else ⌈segments / batch⌉ steps per pass).</summary>
    public int? BcEpochs { get; init; }
    public float BcLearningRate { get; init; } = 3e-3f;
    public int BcBatchSequences { get; init; } = 128;
    public int McSteps { get; init; } = 1500;
    public int IlqlSteps { get; init; } = 2000;
    public int CriticBatchRows { get; init; } = 256;
    public int CriticHidden { get; init; } = 256;
    public float CriticLearningRate { get; init; } = 3e-3f;
    /// <summary>Decoding strength (spec §4.7: Maze β 16).</summary>
    public float? Beta { get; init; }
    /// <summary>Decoding strength of MC Returns: 0.5, not the spec's 16. MC's Q is the behaviour policy's return fitted
    /// from few, noisy episodes; β 16 makes the policy greedy on its errors (on Maze a cell whose argmax bumps a wall traps
    /// every start that reaches it), while β 0.5 still favours a move one step better ×4.5 (ΣQ over 3 tokens).</summary>
    public float McBeta { get; init; } = 0.5f;
    public float Gamma { get; init; } = 0.99f;
    public float Tau { get; init; } = 0.95f;
    public float CqlWeight { get; init; } = 0.5f;
    /// <summary>MC Returns also regresses onto the cut reward-to-go of truncated episodes (LMRL-Gym's code has no notion of
    /// truncation). Default false: masked (see <see cref="McReturns"/>); measured on Maze FO (400 episodes, seed 1):
    /// masked 71.8, unmasked 50.3.</summary>
    public bool McIncludeTruncated { get; init; }
    /// <summary>Polyak rate of ILQL's target Q heads: <see cref="IlqlOptions"/>' default (spec §4.4's 0.005) unless a
    /// preset sets it (<see cref="ExperimentPresets"/>: 0.1 where the CPU step budget is too short for 0.005).</summary>
    public float PolyakAlpha { get; init; } = new IlqlOptions().PolyakAlpha;
    /// <summary>Text-Nav: choose among the admissible commands the observation lists (re-ranking, as on Maze) instead of
    /// generating a command token by token. A tiny policy trained for tens of steps does not learn to spell commands
    /// (free decoding measured 0.0 on every seed: it produced strings like "go north food from table"), so the
    /// CPU presets re-rank; false gives the paper's free decoding.</summary>
    public bool ReRankAdmissible { get; init; } = true;
    /// <summary>Steps between checkpoints (policy and critic).</summary>
    public int CheckpointEvery { get; init; } = 100;
    public int Threads { get; init; } = Math.Max(1, Math.Min(Environment.ProcessorCount, 4));
    public TinyModelSpec TinyModel { get; init; } = new() { EmbeddingSize = 64, LayerCount = 2, HeadCount = 4, HeadCountKv = 2, FeedForwardSize = 128, ContextLength = 2048, MaxWords = 200 };
}

/// <summary>Progress of a phase: what runs, how far it is (0 ≤ done ≤ total).</summary>
public readonly record struct ExperimentProgress(string Phase, long Done, long Total, string? Message = null);

/// <summary>The result of one algorithm: its evaluation and how long it took.</summary>
public sealed record AlgorithmResult(OfflineAlgorithm Algorithm, EvaluationReport Evaluation, double TrainSeconds, double EvalSeconds);

/// <summary>One offline-RL experiment on one task and seed, with every artifact under one directory:
/// <code>
///   dataset.jsonl                the offline dataset (generated with the task's behaviour policy)
///   base.gguf                    the initial policy (a tiny model from the dataset text, or a copy of --model)
///   bc.gguf, bc.state.json       BC policy (π_β of MC/ILQL) and its step count
///   filtered-bc.gguf, ...        filtered-BC policy
///   mc.critic.gguf               MC Returns critic (weights, AdamW moments, step)
///   ilql.critic.gguf             ILQL critic (online + target weights, moments, step)
///   metrics.jsonl, tensorboard/  training curves;  learning_curve.png
///   eval-&lt;algo&gt;.json/.md        evaluation reports
/// </code>
/// Every file is written atomically (temporary file, fsync, rename), so an interrupted run leaves the last complete
/// checkpoint, and <see cref="ExperimentOptions.Resume"/> continues from it. Critic resumes are bit-identical to an
/// uninterrupted run (optimizer state and step-seeded sampling are in the checkpoint); a policy resume continues the
/// saved weights and step count with fresh AdamW moments (the façade's weighted step does not export its moments).</summary>
public sealed class OfflineExperiment : IDisposable
{
    private readonly Action<ExperimentProgress>? _progress;
    private List<EpisodeRecord>? _episodes;
    private OfflineDataset? _data;
    private FeatureTable? _features;
    private PolicyModel? _behaviorPolicy;
    private LlamaModel? _behaviorModel;
    private string? _baseModel;
    private readonly Dictionary<OfflineAlgorithm, string> _trainedPolicies = [];

    public OfflineExperiment(ExperimentOptions options, Action<ExperimentProgress>? progress = null)
    {
        Options = options ?? throw new ArgumentNullException(nameof(options));
        Task = options.Definition ?? TaskRegistry.Get(options.Task);
        if (Task.Name != options.Task) throw new ArgumentException($"options.Definition is task '{Task.Name}' but options.Task is '{options.Task}'", nameof(options));
        _progress = progress;
        Store = new RunDirectory(options.OutputDirectory, options.Resume);
    }

    public ExperimentOptions Options { get; }
    public TaskDefinition Task { get; }
    /// <summary>The run folder's artifacts (shared with an <see cref="OnlineExperiment"/> on the same folder).</summary>
    public RunDirectory Store { get; }

    public MetricsLog Metrics => Store.Metrics;

    /// <summary>The action set policies re-rank on <paramref name="task"/> (the registry's
    /// <see cref="TaskDefinition.ActionCandidates"/>: Maze's four moves, Text-Nav's admissible commands), or null where
    /// they decode freely; per-state sets only when <paramref name="reRankAdmissible"/>.</summary>
    public static ActionCandidates? CandidateActions(TaskDefinition task, bool reRankAdmissible = true)
    {
        ArgumentNullException.ThrowIfNull(task);
        return task.ActionCandidates is { } c && (c.IsFixed || reRankAdmissible) ? c : null;
    }

    private float Beta => Options.Beta ?? 16f;

    private float BetaOf(OfflineAlgorithm which) => which == OfflineAlgorithm.Mc ? Options.McBeta : Beta;

    private void Report(string phase, long done, long total, string? message = null) => _progress?.Invoke(new ExperimentProgress(phase, done, total, message));

    // ---------------------------------------------------------------- data --------------------------------------

    /// <summary>The dataset: read from dataset.jsonl when resuming, else generated with the task's behaviour policy
    /// from the experiment seed and saved.</summary>
    public IReadOnlyList<EpisodeRecord> Episodes()
    {
        if (_episodes is not null) return _episodes;
        var path = Store.Dataset;
        if (Options.Resume && File.Exists(path))
        {
            _episodes = [.. EpisodeJsonl.Read(path)];
            Report("dataset", _episodes.Count, _episodes.Count, $"read {_episodes.Count} episodes from {path}");
            return _episodes;
        }
        var n = Options.DatasetEpisodes ?? Task.DatasetEpisodes;
        var list = new List<EpisodeRecord>(n);
        foreach (var e in Task.GenerateDataset(n, Options.Seed))
        {
            list.Add(e);
            if (list.Count % 100 == 0 || list.Count == n) Report("dataset", list.Count, n);
        }
        EpisodeJsonl.Write(path, list);
        _episodes = list;
        var ds = DatasetStatisticsOf(list);
        Metrics.Log("dataset", 0, ds);
        return list;
    }

    private static Dictionary<string, double> DatasetStatisticsOf(List<EpisodeRecord> list) => new()
    {
        ["episodes"] = list.Count,
        ["mean_return"] = list.Average(e => e.Return),
        ["success_rate"] = list.Count(e => e.Success) / (double)list.Count,
        ["mean_length"] = list.Average(e => e.Length),
    };

    /// <summary>The initial policy GGUF: --model, or a tiny model whose vocabulary comes from the dataset's text
    /// (deterministic: same dataset + spec + seed → same bytes).</summary>
    public string BaseModel()
    {
        if (Options.ModelPath is { } given) return given;
        if (_baseModel is not null) return _baseModel;
        var path = Store.BaseModel;
        if (!(Options.Resume && File.Exists(path)))
        {
            var corpus = Episodes().SelectMany(e => e.Trajectory.Items.Select(i => i.Text));
            var info = TinyModelFactory.Create(path, corpus, Options.TinyModel with { Seed = (ulong)Options.Seed });
            Report("model", 1, 1, $"tiny model {path}: vocabulary {info.VocabSize}, {Options.TinyModel.LayerCount} layers × {Options.TinyModel.EmbeddingSize}");
        }
        return _baseModel = path;
    }

    // ---------------------------------------------------------------- policies ----------------------------------

    /// <summary>Trains (or resumes) the BC policy (all episodes) or the filtered-BC policy (the task's filter) and returns its GGUF path.</summary>
    public string TrainPolicy(OfflineAlgorithm which)
    {
        if (which is not (OfflineAlgorithm.Bc or OfflineAlgorithm.FilteredBc)) throw new ArgumentOutOfRangeException(nameof(which));
        if (_trainedPolicies.TryGetValue(which, out var trained)) return trained;
        var name = which.CliName();
        var path = Store.Policy(name);
        long step = 0;
        var start = BaseModel();
        if (Options.Resume && File.Exists(path) && Store.ReadState(name, "step") is { } saved)
        {
            step = saved;
            start = path;
        }
        if (Options.Resume && step > 0 && Options.BcEpochs is null && step >= Options.BcSteps)
        {
            Report(name, step, Options.BcSteps, "complete (checkpoint)");
            return _trainedPolicies[which] = path;
        }
        var episodes = which == OfflineAlgorithm.Bc ? Episodes() : FilteredBehaviorCloning.Select(Task, Episodes());
        using var model = LlamaModel.Load(start, LlamaModelOptions.Trainable);
        using var tokenizerView = new PolicyModel(model, Options.Threads);
        var data = which == OfflineAlgorithm.Bc && _data is not null ? _data : OfflineDataset.Build(episodes, Task.CreateReplayEnvironment, tokenizerView.Tokenizer, tokenizerView.Bos, Math.Min(model.TrainContextLength, 2048));
        if (which == OfflineAlgorithm.Bc) _data ??= data;
        var total = Options.BcSteps;
        if (Options.BcEpochs is { } epochs)
        {
            var sequences = BehaviorCloning.Sequences(data).Count;
            total = epochs * Math.Max(1, (sequences + Options.BcBatchSequences - 1) / Options.BcBatchSequences);
        }
        if (step >= total)
        {
            Report(name, step, total, "complete (checkpoint)");
            return _trainedPolicies[which] = path;
        }
        var maxLen = 2;
        for (var s = 0; s < data.SegmentCount; s++) maxLen = Math.Max(maxLen, data.SegmentOffsets[s + 1] - data.SegmentOffsets[s]);
        var slot = PolicyModel.SlotLength(maxLen);
        using var trainer = new WeightedTrainer(model, new WeightedTrainerOptions
        {
            MaxSequenceLength = slot,
            SequencesPerMicroBatch = Math.Clamp(2048 / slot, 1, 32),
            Threads = Options.Threads,
            WeightDecay = 0f,
        });
        var bc = new BehaviorCloning(new BehaviorCloningOptions
        {
            LearningRate = Options.BcLearningRate,
            Steps = total,
            BatchSequences = Options.BcBatchSequences,
            Seed = (ulong)Options.Seed,
            Threads = Options.Threads,
            LogEvery = 10,
        });
        Report(name, step, total, $"{episodes.Count} episodes, {data.SegmentCount} distinct segments, {data.RowCount} action tokens");
        bc.Train(trainer, data, step,
            log: (s, values) => Metrics.Log(name, s, values),
            checkpoint: s =>
            {
                Report(name, s, total);
                if (s % Options.CheckpointEvery == 0 || s == total)
                {
                    model.Save(path);
                    Store.WriteState(name, "step", s, new Dictionary<string, object?> { ["task"] = Task.Name, ["seed"] = Options.Seed });
                }
            });
        return _trainedPolicies[which] = path;
    }

    /// <summary>The BC policy as π_β (frozen, inference only), its dataset rows and features (computed once).</summary>
    private (PolicyModel Policy, OfflineDataset Data, FeatureTable Features) Behavior()
    {
        if (_behaviorPolicy is not null && _data is not null && _features is not null) return (_behaviorPolicy, _data, _features);
        var path = TrainPolicy(OfflineAlgorithm.Bc);
        _behaviorModel ??= LlamaModel.Load(path, new LlamaModelOptions { GpuLayers = 0 });
        _behaviorPolicy ??= new PolicyModel(_behaviorModel, Options.Threads);
        _data ??= OfflineDataset.Build(Episodes(), Task.CreateReplayEnvironment, _behaviorPolicy.Tokenizer, _behaviorPolicy.Bos, Math.Min(_behaviorModel.TrainContextLength, 2048));
        Report("features", 0, 1, "hidden states of π_β for every dataset state");
        _features = FeatureTable.Compute(_data, _behaviorPolicy);
        Report("features", 1, 1, $"{_features.Count} distinct states × {_features.Width}");
        return (_behaviorPolicy, _data, _features);
    }

    // ---------------------------------------------------------------- critics -----------------------------------

    /// <summary>Trains (or resumes) the MC Returns or ILQL critic on π_β's features; returns it (caller disposes).</summary>
    public TokenCritic TrainCritic(OfflineAlgorithm which)
    {
        if (which is not (OfflineAlgorithm.Mc or OfflineAlgorithm.Ilql)) throw new ArgumentOutOfRangeException(nameof(which));
        var (policy, data, features) = Behavior();
        var name = which.CliName();
        var path = Store.Critic(name);
        var total = which == OfflineAlgorithm.Mc ? Options.McSteps : Options.IlqlSteps;
        TokenCritic critic;
        var mc = new McReturns(new McReturnsOptions
        {
            Gamma = Options.Gamma, CqlWeight = Options.CqlWeight, LearningRate = Options.CriticLearningRate, BatchRows = Options.CriticBatchRows,
            Steps = total, HiddenSize = Options.CriticHidden, Beta = BetaOf(OfflineAlgorithm.Mc), Seed = (ulong)Options.Seed, Threads = Options.Threads,
            IncludeTruncated = Options.McIncludeTruncated,
        });
        var ilql = new Ilql(new IlqlOptions
        {
            Gamma = Options.Gamma, Tau = Options.Tau, PolyakAlpha = Options.PolyakAlpha, CqlWeight = Options.CqlWeight, LearningRate = Options.CriticLearningRate, BatchRows = Options.CriticBatchRows,
            Steps = total, HiddenSize = Options.CriticHidden, Beta = Beta, Seed = (ulong)Options.Seed, Threads = Options.Threads,
        });
        if (Options.Resume && File.Exists(path)) critic = TokenCritic.Load(path, Options.Threads);
        else critic = which == OfflineAlgorithm.Mc ? mc.CreateCritic(features.Width, policy.VocabSize) : ilql.CreateCritic(features.Width, policy.VocabSize);
        try
        {
            Report(name, critic.Steps, total, $"{data.RowCount} action-token rows, {features.Count} states");
            void Log(long s, IReadOnlyDictionary<string, double> v) => Metrics.Log(name, s, v);
            void Checkpoint(long s)
            {
                if (s % 10 == 0 || s == total) Report(name, s, total);
                if (s % Options.CheckpointEvery == 0 || s == total) critic.Save(path);
            }
            if (which == OfflineAlgorithm.Mc) mc.Train(critic, data, features, Log, Checkpoint);
            else ilql.Train(critic, data, features, Log, Checkpoint);
            return critic;
        }
        catch
        {
            critic.Dispose();
            throw;
        }
    }

    // ---------------------------------------------------------------- evaluation --------------------------------

    /// <summary>Trains what <paramref name="which"/> needs (resuming where checkpoints exist), evaluates it with the
    /// paper's protocol and writes eval-&lt;algo&gt;.json/.md.</summary>
    public AlgorithmResult Run(OfflineAlgorithm which)
    {
        var clock = Stopwatch.StartNew();
        var episodes = Options.EvalEpisodes ?? Task.EvalEpisodes;
        var evalSeed = Options.Seed * 7919 + 1_000_003; // never the dataset's seed
        EvaluationReport report;
        double trainSeconds;
        var candidates = CandidateActions(Task, Options.ReRankAdmissible);
        if (which is OfflineAlgorithm.Bc or OfflineAlgorithm.FilteredBc)
        {
            var path = TrainPolicy(which);
            trainSeconds = clock.Elapsed.TotalSeconds;
            using var model = LlamaModel.Load(path, new LlamaModelOptions { GpuLayers = 0 });
            using var policy = new PolicyModel(model, Options.Threads);
            IBatchTextPolicy p = candidates is not null
                ? new ReRankerPolicy(policy, candidates, ReRankScore.BehaviorCloning)
                : new ValueGuidedPolicy(policy, null, 0f, useValue: false);
            using var owned = p as IDisposable;
            report = Evaluate(which, p, episodes, evalSeed);
        }
        else
        {
            using var critic = TrainCritic(which);
            trainSeconds = clock.Elapsed.TotalSeconds;
            var (policy, _, _) = Behavior();
            var ilql = which == OfflineAlgorithm.Ilql;
            IBatchTextPolicy p = candidates is not null
                ? new ReRankerPolicy(policy, candidates, ilql
                    ? new ReRankScore(0, Beta, true, PerToken: !candidates.IsFixed)
                    : new ReRankScore(1, BetaOf(which), false, PerToken: !candidates.IsFixed), critic)
                : new ValueGuidedPolicy(policy, critic, BetaOf(which), useValue: ilql);
            using var owned = p as IDisposable;
            report = Evaluate(which, p, episodes, evalSeed);
        }
        var total = clock.Elapsed.TotalSeconds;
        report.Save(Store.EvaluationReport(which.CliName()));
        Metrics.Log($"eval-{which.CliName()}", 0, new Dictionary<string, double>
        {
            ["return_mean"] = report.ReturnMean, ["return_se"] = report.ReturnStdError, ["success_rate"] = report.SuccessRate,
            ["normalized_score"] = report.NormalizedScore ?? double.NaN, ["train_s"] = trainSeconds, ["eval_s"] = total - trainSeconds,
        });
        return new AlgorithmResult(which, report, trainSeconds, total - trainSeconds);
    }

    private EvaluationReport Evaluate(OfflineAlgorithm which, IBatchTextPolicy policy, int episodes, int seed)
    {
        var name = $"eval {which.CliName()}";
        var played = new List<EpisodeRecord>(episodes);
        Report(name, 0, episodes);
        var report = Evaluator.Evaluate(Task, policy, which.CliName(), episodes, seed, 32, e =>
        {
            played.Add(e);
            if (played.Count % 32 == 0 || played.Count == episodes) Report(name, played.Count, episodes);
        });
        // The transcripts, in the dataset's JSONL format: what the policy actually said (readable, and `highperf
        // dataset`-compatible for inspection or reuse).
        EpisodeJsonl.Write(Store.Transcripts(which.CliName()), played);
        return report;
    }

    /// <summary>Writes learning_curve.png: one panel per trained phase (loss against step).</summary>
    public string WriteLearningCurve()
    {
        var panels = new List<(string, string, IReadOnlyList<ChartSeries>)>();
        foreach (var phase in new[] { "bc", "filtered-bc", "mc", "ilql" })
        {
            var loss = Metrics.Curve(phase, "loss");
            if (loss.Count == 0) continue;
            var series = new List<ChartSeries> { new("loss", loss) };
            if (phase == "ilql") series.Add(new ChartSeries("v_loss", Metrics.Curve(phase, "v_loss")));
            panels.Add(($"{Task.Name} {phase}", "step", series));
        }
        var path = Store.Chart("learning_curve");
        if (panels.Count > 0) AtomicFile.WriteAllBytes(path, LineChart.Render(panels));
        return path;
    }

    public void Dispose()
    {
        _behaviorPolicy?.Dispose();
        _behaviorModel?.Dispose();
        Store.Dispose();
    }
}
