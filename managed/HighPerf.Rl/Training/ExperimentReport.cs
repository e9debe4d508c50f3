using System.Globalization;
using System.Text;
using System.Text.Json;
using HighPerf.Rl.Reporting;

namespace HighPerf.Rl.Training;

/// <summary>Report of one task × seed run of several algorithms: Markdown (table beside the paper's Table 2) and JSON,
/// both written atomically.</summary>
public static class ExperimentReport
{
    public const string Schema = "highperf.rl.report/v1";

    public static string Markdown(string title, ExperimentOptions options, IReadOnlyList<AlgorithmResult> results, double totalSeconds)
    {
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.AppendLine($"# {title}").AppendLine();
        sb.AppendLine(inv, $"Task `{options.Task}`, seed {options.Seed}, dataset {(options.DatasetEpisodes?.ToString(inv) ?? "task default")} episodes, " +
                           $"BC {(options.BcEpochs is { } e ? $"{e} epochs" : $"{options.BcSteps} steps")}, MC {options.McSteps} / ILQL {options.IlqlSteps} critic steps, total {totalSeconds:F0} s.").AppendLine();
        sb.AppendLine("| algorithm | normalized score | ± SE | raw return | success | paper (Table 2) | train s | eval s |");
        sb.AppendLine("|---|---|---|---|---|---|---|---|");
        foreach (var r in results)
        {
            var ev = r.Evaluation;
            sb.AppendLine(inv, $"| {r.Algorithm.PaperLabel()} | {F(ev.NormalizedScore)} | {F(NormalizedStdError(ev))} | {ev.ReturnMean:F2} ± {ev.ReturnStdError:F2} | {ev.SuccessRate:P1} | {F(PaperScores.Get(options.Task, r.Algorithm))} | {r.TrainSeconds:F0} | {r.EvalSeconds:F0} |");
        }
        sb.AppendLine().AppendLine("Evaluation: the paper's protocol for the task (Maze: 800 episodes from random starts, i.e. 25 starts × 32 in expectation), " +
                                   "sampling at temperature 1; Maze policies re-rank the four moves (spec §4.3/§4.4). SE of the normalized score is the raw SE times the local slope of the normalization.");
        sb.AppendLine().AppendLine("![learning curves](learning_curve.png)");
        return sb.ToString();
    }

    /// <summary>Report of one online run: the starting (BC) policy and the trained one under the same sampling
    /// evaluation, the per-iteration rollout statistics and every hyperparameter.</summary>
    public static string OnlineMarkdown(string title, OnlineExperimentOptions options, OnlineResult result, IReadOnlyList<(string Name, string Value)> hyperparameters)
    {
        var inv = CultureInfo.InvariantCulture;
        var o = options.Offline;
        var name = result.Algorithm.CliName();
        var sb = new StringBuilder();
        sb.AppendLine($"# {title}").AppendLine();
        sb.AppendLine(inv, $"Task `{o.Task}`, seed {o.Seed}, {result.Iterations.Count} iterations run now, train {result.TrainSeconds:F0} s, eval {result.EvalSeconds:F0} s.").AppendLine();
        sb.AppendLine("| policy | normalized score | ± SE | raw return | success | paper (Table 2) |");
        sb.AppendLine("|---|---|---|---|---|---|");
        void Row(string label, HighPerf.Gym.Evaluation.EvaluationReport ev, double? paper)
            => sb.AppendLine(string.Create(inv, $"| {label} | {F(ev.NormalizedScore)} | {F(NormalizedStdError(ev))} | {ev.ReturnMean:F2} ± {ev.ReturnStdError:F2} | {ev.SuccessRate:P1} | {F(paper)} |"));
        Row("start (BC, sampled)", result.Start, PaperScores.Get(o.Task, OfflineAlgorithm.Bc));
        Row($"{result.Algorithm.PaperLabel()} (sampled)", result.Trained, PaperScores.Get(o.Task, result.Algorithm));
        var delta = result.Trained.NormalizedScore - result.Start.NormalizedScore;
        sb.AppendLine().AppendLine(inv, $"Change against the starting policy: {(delta is { } d ? d.ToString("+0.0;-0.0", inv) : "–")} normalized points " +
                                        $"({result.Trained.ReturnMean - result.Start.ReturnMean:+0.00;-0.00} raw return).");
        sb.AppendLine().AppendLine("Evaluation: both policies sample token by token at temperature 1 (the rollout decoding), on the same episodes " +
                                   "(the offline evaluations' seed and count).").AppendLine();
        if (result.Iterations.Count > 0)
        {
            var keys = result.Iterations[0].Keys.OrderBy(k => k == "iteration" ? 0 : 1).ToList();
            sb.AppendLine("| " + string.Join(" | ", keys) + " |");
            sb.AppendLine("|" + string.Concat(Enumerable.Repeat("---|", keys.Count)));
            for (var i = 0; i < result.Iterations.Count; i++)
                sb.AppendLine("| " + string.Join(" | ", keys.Select(k => result.Iterations[i].TryGetValue(k, out var v) ? v.ToString("G4", inv) : "")) + " |");
            sb.AppendLine();
        }
        sb.AppendLine("Hyperparameters: " + string.Join(", ", hyperparameters.Select(h => $"{h.Name} {h.Value}")) + ".").AppendLine();
        sb.AppendLine($"![learning curve]({name}_curve.png)");
        return sb.ToString();
    }

    public static string Json(ExperimentOptions options, IReadOnlyList<AlgorithmResult> results, double totalSeconds)
    {
        var o = new Dictionary<string, object?>
        {
            ["schema"] = Schema,
            ["task"] = options.Task,
            ["seed"] = options.Seed,
            ["dataset_episodes"] = options.DatasetEpisodes,
            ["bc_steps"] = options.BcSteps,
            ["bc_epochs"] = options.BcEpochs,
            ["mc_steps"] = options.McSteps,
            ["ilql_steps"] = options.IlqlSteps,
            ["total_s"] = Math.Round(totalSeconds, 2),
            ["results"] = results.Select(r => new Dictionary<string, object?>
            {
                ["algorithm"] = r.Algorithm.CliName(),
                ["normalized_score"] = r.Evaluation.NormalizedScore,
                ["normalized_se"] = NormalizedStdError(r.Evaluation),
                ["return_mean"] = r.Evaluation.ReturnMean,
                ["return_se"] = r.Evaluation.ReturnStdError,
                ["success_rate"] = r.Evaluation.SuccessRate,
                ["episodes"] = r.Evaluation.Episodes,
                ["paper"] = PaperScores.Get(options.Task, r.Algorithm),
                ["train_s"] = Math.Round(r.TrainSeconds, 2),
                ["eval_s"] = Math.Round(r.EvalSeconds, 2),
            }).ToList(),
        };
        return JsonSerializer.Serialize(o, new JsonSerializerOptions { WriteIndented = true });
    }

    public static void Write(string directory, string title, ExperimentOptions options, IReadOnlyList<AlgorithmResult> results, double totalSeconds)
    {
        AtomicFile.WriteAllText(Path.Combine(directory, "report.md"), Markdown(title, options, results, totalSeconds));
        AtomicFile.WriteAllText(Path.Combine(directory, "report.json"), Json(options, results, totalSeconds));
    }

    /// <summary>SE of the normalized score: the raw SE times the local slope of the piecewise-linear normalization.</summary>
    public static double? NormalizedStdError(HighPerf.Gym.Evaluation.EvaluationReport e)
    {
        if (e.Constants is not { } k) return null;
        var h = Math.Max(1e-6, e.ReturnStdError);
        return Math.Abs(k.Normalize(e.ReturnMean + h) - k.Normalize(e.ReturnMean - h)) / 2;
    }

    private static string F(double? v) => v is { } x && double.IsFinite(x) ? x.ToString("F1", CultureInfo.InvariantCulture) : "–";
}
