using System.Diagnostics;
using System.Text.Json;
using HighPerf.Gym.Core;
using HighPerf.Gym.Data;
using HighPerf.Gym.Evaluation;
using HighPerf.Llama;
using HighPerf.Rl.Algorithms;
using HighPerf.Rl.Critics;
using HighPerf.Rl.Policies;
using HighPerf.Rl.Reporting;
using HighPerf.Rl.Rollouts;
using AtomicFile = HighPerf.Rl.Reporting.AtomicFile;

namespace HighPerf.Rl.Training;

/// <summary>The online algorithms of spec §4.2 and §4.5.</summary>
public enum OnlineAlgorithm
{
    Ppo,
    OnlineFilteredBc,
}

/// <summary>CLI names and paper labels of <see cref="OnlineAlgorithm"/>.</summary>
public static class OnlineAlgorithms
{
    public static readonly OnlineAlgorithm[] All = [OnlineAlgorithm.Ppo, OnlineAlgorithm.OnlineFilteredBc];

    public static string CliName(this OnlineAlgorithm a) => a == OnlineAlgorithm.Ppo ? "ppo" : "online-bc";

    public static string PaperLabel(this OnlineAlgorithm a) => a == OnlineAlgorithm.Ppo ? "Online PPO" : "Online %BC";

    public static bool TryParse(string name, out OnlineAlgorithm algorithm)
    {
        foreach (var a in All)
            if (a.CliName() == name) { algorithm = a; return true; }
        algorithm = default;
        return false;
    }
}

/// <summary>One online run: the offline experiment's settings (task, seed, output folder, the BC policy it starts
/// from, threads, evaluation size) plus the algorithm's own options record — one source for every hyperparameter.</summary>
public sealed record OnlineExperimentOptions
{
    public required ExperimentOptions Offline { get; init; }
    public PpoOptions Ppo { get; init; } = new();
    public OnlineFilteredBcOptions OnlineBc { get; init; } = new();
}

/// <summary>The result of an online run: the starting policy's and the trained policy's evaluation (the same sampling
/// decoding, seed and episodes), the per-iteration metrics and the time taken.</summary>
public sealed record OnlineResult(OnlineAlgorithm Algorithm, EvaluationReport Start, EvaluationReport Trained,
    IReadOnlyList<IReadOnlyDictionary<string, double>> Iterations, double TrainSeconds, double EvalSeconds);

/// <summary>
/// Online RL on one task and seed, with every artifact in the offline experiment's folder:
/// <code>
///   bc.gguf                      the starting policy (trained by the offline experiment unless --model is given)
///   &lt;algo&gt;.gguf               the policy after the last finished iteration
///   ppo.value.gguf               PPO's value head (weights and AdamW moments)
///   &lt;algo&gt;.state.json         finished iterations, episodes seen
///   metrics.jsonl, tensorboard/  one record per iteration; &lt;algo&gt;_curve.png (mean return against episodes)
///   eval-&lt;algo&gt;.json, eval-start.json   trained and starting policy, same sampling evaluation
/// </code>
/// Checkpoints are written atomically after every iteration; <see cref="ExperimentOptions.Resume"/> continues from the
/// last one bit-identically (an iteration depends only on the saved weights, value head and seed).
/// </summary>
public sealed class OnlineExperiment : IDisposable
{
    private readonly Action<ExperimentProgress>? _progress;
    private readonly OfflineExperiment _offline;
    private readonly Dictionary<string, EvaluationReport> _startReports = [];

    public OnlineExperiment(OnlineExperimentOptions options, Action<ExperimentProgress>? progress = null)
    {
        Options = options ?? throw new ArgumentNullException(nameof(options));
        options.Ppo.Validate();
        options.OnlineBc.Validate();
        _progress = progress;
        _offline = new OfflineExperiment(options.Offline, progress);
    }

    public OnlineExperimentOptions Options { get; }
    public TaskDefinition Task => _offline.Task;
    public MetricsLog Metrics => _offline.Metrics;
    private ExperimentOptions O => Options.Offline;
    private RunDirectory Store => _offline.Store;
    private void Report(string phase, long done, long total, string? message = null) => _progress?.Invoke(new ExperimentProgress(phase, done, total, message));

    /// <summary>The policy online training starts from: --model, else the offline experiment's BC policy.</summary>
    public string StartPolicy() => O.ModelPath ?? _offline.TrainPolicy(OfflineAlgorithm.Bc);

    /// <summary>The hyperparameters of <paramref name="which"/>, as the report prints them.</summary>
    public IReadOnlyList<(string Name, string Value)> Hyperparameters(OnlineAlgorithm which)
        => which == OnlineAlgorithm.Ppo ? HyperparameterTable.Of(Options.Ppo) : HyperparameterTable.Of(Options.OnlineBc);

    /// <summary>Trains <paramref name="which"/> (resuming from its checkpoint when asked), then evaluates the starting
    /// and the trained policy with the same sampling decoding.</summary>
    public OnlineResult Run(OnlineAlgorithm which)
    {
        var clock = Stopwatch.StartNew();
        var history = Train(which);
        var trainSeconds = clock.Elapsed.TotalSeconds;
        var start = StartPolicy();
        var policyPath = Store.Policy(which.CliName());
        // The starting policy's evaluation is the same for every algorithm of this run: computed once.
        if (!_startReports.TryGetValue(start, out var startReport))
            _startReports[start] = startReport = Evaluate(start, "start");
        var trained = Evaluate(File.Exists(policyPath) ? policyPath : start, which.CliName());
        return new OnlineResult(which, startReport, trained, history, trainSeconds, clock.Elapsed.TotalSeconds - trainSeconds);
    }

    /// <summary>Runs the iterations of <paramref name="which"/> that are not done yet (all, or those after the
    /// checkpoint when resuming), checkpointing after each; returns the metrics of the iterations run now.</summary>
    public IReadOnlyList<IReadOnlyDictionary<string, double>> Train(OnlineAlgorithm which)
    {
        var name = which.CliName();
        var start = StartPolicy();
        var policyPath = Store.Policy(name);
        var valuePath = Store.ValueHead(name);
        var done = 0;
        if (O.Resume && File.Exists(policyPath) && Store.ReadState(name, "iterations") is { } saved)
        {
            done = (int)Math.Min(saved, int.MaxValue);
            if (which == OnlineAlgorithm.Ppo && done > 0 && !File.Exists(valuePath)) throw new InvalidDataException($"{Store.State(name)} says {done} iterations are done but {valuePath} is missing");
        }
        var iterations = which == OnlineAlgorithm.Ppo ? Options.Ppo.Iterations : Options.OnlineBc.Iterations;
        var history = new List<IReadOnlyDictionary<string, double>>();
        using (var model = LlamaModel.Load(done > 0 ? policyPath : start, LlamaModelOptions.Trainable))
        using (var reference = which == OnlineAlgorithm.Ppo ? LlamaModel.Load(start, LlamaModelOptions.Trainable) : null)
        using (var policy = new SamplingPolicy(model, new SamplingPolicyOptions
        {
            MaxResidentConversations = which == OnlineAlgorithm.Ppo ? Options.Ppo.RolloutBatch : Options.OnlineBc.RolloutBatch,
            Temperature = which == OnlineAlgorithm.Ppo ? Options.Ppo.Temperature : Options.OnlineBc.Temperature,
            MaxActionTokens = which == OnlineAlgorithm.Ppo ? Options.Ppo.MaxActionTokens : Options.OnlineBc.MaxActionTokens,
            Record = true,
            RecordFeatures = which == OnlineAlgorithm.Ppo,
            Threads = O.Threads,
        }))
        using (var value = which == OnlineAlgorithm.Ppo
                   ? done > 0 ? TokenCritic.Load(valuePath, O.Threads) : Ppo.CreateValueHead(policy.FeatureWidth, model.VocabSize, Options.Ppo, O.Seed, O.Threads)
                   : null)
        {
            IOnlineAlgorithm algorithm = which == OnlineAlgorithm.Ppo
                ? new Ppo(Options.Ppo, model, reference!, value!, O.Seed, O.Threads)
                : new OnlineFilteredBc(Options.OnlineBc, model, O.Seed, O.Threads);
            var collector = new RolloutCollector(Task, policy);
            Report(name, done, iterations, done > 0 ? $"resuming after iteration {done}" : $"from {start}");
            for (var it = done; it < iterations; it++)
            {
                var seen = 0;
                var phase = Stopwatch.StartNew();
                var buffer = algorithm.Collect(collector, it, _ =>
                {
                    if (++seen % 16 == 0) Report($"{name} rollouts", seen, algorithm.EpisodesPerIteration);
                });
                var collectSeconds = phase.Elapsed.TotalSeconds;
                phase.Restart();
                var metrics = new Dictionary<string, double>(algorithm.Train(buffer, it))
                {
                    ["iteration"] = it + 1,
                    ["episodes_total"] = (double)(it + 1) * algorithm.EpisodesPerIteration,
                    ["collect_s"] = Math.Round(collectSeconds, 2),
                    ["train_s"] = Math.Round(phase.Elapsed.TotalSeconds, 2),
                };
                Metrics.Log(name, it + 1, metrics);
                history.Add(metrics);
                model.Save(policyPath);
                value?.Save(valuePath);
                Store.WriteState(name, "iterations", it + 1, new Dictionary<string, object?> { ["task"] = Task.Name, ["seed"] = O.Seed, ["start"] = start });
                Report(name, it + 1, iterations, $"iteration {it + 1}: mean return {metrics["return_mean"]:F3}, success {metrics["success_rate"]:P0}"
                    + (metrics.TryGetValue("kl_ref", out var kl) ? $", KL {kl:F4}, clip {metrics["clip_frac"]:P1}" : ""));
            }
        }
        return history;
    }

    /// <summary>Evaluates a policy GGUF with token-by-token sampling (the rollout decoding) on the task's evaluation
    /// protocol; writes eval-&lt;label&gt;.json and the transcripts.</summary>
    public EvaluationReport Evaluate(string policyPath, string label)
    {
        var episodes = O.EvalEpisodes ?? Task.EvalEpisodes;
        var seed = O.Seed * 7919 + 1_000_003; // the offline evaluations' seed: the same episodes
        using var model = LlamaModel.Load(policyPath, new LlamaModelOptions { GpuLayers = 0 });
        using var policy = new SamplingPolicy(model, new SamplingPolicyOptions { MaxResidentConversations = 32, Threads = O.Threads });
        var played = new List<EpisodeRecord>(episodes);
        Report($"eval {label}", 0, episodes);
        var report = Evaluator.Evaluate(Task, policy, label, episodes, seed, 32, e =>
        {
            played.Add(e);
            if (played.Count % 32 == 0 || played.Count == episodes) Report($"eval {label}", played.Count, episodes);
        });
        report.Save(Store.EvaluationReport(label));
        EpisodeJsonl.Write(Store.Transcripts(label), played);
        return report;
    }

    /// <summary>Writes &lt;algo&gt;_curve.png: rollout mean return (and success) against environment episodes.</summary>
    public string WriteLearningCurve(OnlineAlgorithm which)
    {
        var name = which.CliName();
        var records = Metrics.Records.Where(r => r.Phase == name).ToList();
        var path = Store.Chart($"{name}_curve");
        if (records.Count == 0) return path;
        List<(double, double)> ret = [.. records.Select(r => (r.Values["episodes_total"], r.Values["return_mean"]))];
        List<(double, double)> success = [.. records.Select(r => (r.Values["episodes_total"], r.Values["success_rate"]))];
        var panels = new List<(string, string, IReadOnlyList<ChartSeries>)>
        {
            ($"{Task.Name} {name}: mean return", "episodes", [new ChartSeries("return", ret)]),
            ($"{Task.Name} {name}: success rate", "episodes", [new ChartSeries("success", success)]),
        };
        AtomicFile.WriteAllBytes(path, LineChart.Render(panels));
        return path;
    }

    public void Dispose() => _offline.Dispose();

    /// <summary>Writes one PNG with a panel per online algorithm: rollout mean return against environment episodes,
    /// one line per seed folder (read from each folder's metrics.jsonl; folders without online records are skipped).</summary>
    public static void WriteSeedCurves(string pngPath, string task, IReadOnlyList<(string Label, string Directory)> seeds)
    {
        ArgumentNullException.ThrowIfNull(seeds);
        var panels = new List<(string, string, IReadOnlyList<ChartSeries>)>();
        foreach (var a in OnlineAlgorithms.All)
        {
            var series = new List<ChartSeries>();
            foreach (var (label, dir) in seeds)
            {
                if (!File.Exists(Path.Combine(dir, "metrics.jsonl"))) continue;
                using var log = new MetricsLog(dir);
                List<(double, double)> points = [.. log.Records.Where(r => r.Phase == a.CliName() && r.Values.ContainsKey("episodes_total"))
                    .Select(r => (r.Values["episodes_total"], r.Values["return_mean"]))];
                if (points.Count > 0) series.Add(new ChartSeries(label, points));
            }
            if (series.Count > 0) panels.Add(($"{task} {a.PaperLabel()}: rollout mean return", "environment episodes", series));
        }
        if (panels.Count > 0) AtomicFile.WriteAllBytes(pngPath, LineChart.Render(panels));
    }
}
