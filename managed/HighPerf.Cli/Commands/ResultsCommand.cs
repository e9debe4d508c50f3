using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using HighPerf.Gym.Core;
using HighPerf.Gym.Evaluation;
using HighPerf.Rl.Reporting;
using HighPerf.Rl.Training;

namespace HighPerf.Cli.Commands;

/// <summary>`highperf results [--tasks maze-fo,maze-po,...] [--seeds 3] [--out results.md] [--work dir] [--quick]`:
/// runs BC, filtered BC, MC Returns and ILQL on each task for each seed (the CPU sizes of <see cref="ExperimentPresets"/>;
/// --quick caps the evaluation at 32 episodes) and writes the normalized-score table (mean ± standard error over seeds) beside the paper's Table 2,
/// with run times — docs/results.md is this command's output. Seeds already run are reused from --work.</summary>
public static class ResultsCommand
{
    public static Command Create()
    {
        var tasks = new Option<string>("--tasks") { Description = "Comma-separated task names.", DefaultValueFactory = _ => "maze-fo" };
        var seeds = RlCommandSupport.PositiveIntOption("--seeds", "Seeds per task (1..N).", 3);
        var output = new Option<FileInfo?>("--out", "-o") { Description = "Markdown file to write (default results.md)." };
        var work = new Option<DirectoryInfo?>("--work") { Description = "Where the runs go (default runs/results)." };
        var quick = new Option<bool>("--quick") { Description = "At most 32 evaluation episodes per algorithm (smoke test)." };
        var evalEpisodes = RlCommandSupport.PositiveIntOption("--eval-episodes", "Evaluation episodes (default: the paper's protocol, or the reduced size).");
        var threads = RlCommandSupport.PositiveIntOption("--threads", "CPU threads of llama.cpp and the critics (default: min(cores, 4)); 1 when the machine is shared (spin barriers of oversubscribed threads stall).");
        var datasetEpisodes = RlCommandSupport.PositiveIntOption("--dataset-episodes", "Dataset size (default: the task's, or the reduced size).");
        var curvesOnly = new Option<bool>("--curves-only") { Description = "With --online: only redraw <out>-<task>-curves.png from the seeds' metrics in --work." };
        var online = new Option<bool>("--online") { Description = "Online algorithms instead: the BC policy (sampled), PPO and online filtered BC, each evaluated with token-by-token sampling." };
        var command = new Command("results", "Normalized scores per task × {BC, %BC, MC, ILQL} (or, with --online, {BC sampled, PPO, online %BC}), mean ± SE over seeds, beside the paper's Table 2.")
        {
            tasks, seeds, output, work, quick, evalEpisodes, datasetEpisodes, threads, online, curvesOnly,
        };
        command.SetAction(parse =>
        {
            var names = parse.GetValue(tasks)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            foreach (var n in names)
                if (GymCommandSupport.ResolveTask(parse, n) is null) return GymCommandSupport.UsageError;
            var seedCount = parse.GetValue(seeds);
            var root = parse.GetValue(work)?.FullName ?? Path.GetFullPath(Path.Combine("runs", "results"));
            var outPath = parse.GetValue(output)?.FullName ?? Path.GetFullPath("results.md");
            var o = parse.InvocationConfiguration.Output;
            var rows = new List<(string Task, OfflineAlgorithm Algo, List<AlgorithmResult> Runs)>();
            var clock = Stopwatch.StartNew();
            // The table: written atomically to --out and printed.
            int Publish(string md)
            {
                AtomicFile.WriteAllText(outPath, md);
                o.WriteLine();
                o.Write(md);
                o.WriteLine($"written: {outPath}");
                return 0;
            }
            // One seed's folder and options: the task's CPU preset, then the command line. Resume: a seed whose
            // checkpoints exist (e.g. the demo's output) is re-evaluated, not retrained.
            (string Dir, ExperimentOptions Options) SeedOptions(string task, int seed)
            {
                var dir = Path.Combine(root, $"{task}-s{seed}");
                var opts = ExperimentPresets.Cpu(task, dir, seed) with { Resume = true };
                if (parse.GetValue(quick)) opts = opts with { EvalEpisodes = Math.Min(opts.EvalEpisodes ?? 200, 32) };
                if (parse.GetResult(evalEpisodes) is not null) opts = opts with { EvalEpisodes = parse.GetValue(evalEpisodes) };
                if (parse.GetResult(datasetEpisodes) is not null) opts = opts with { DatasetEpisodes = parse.GetValue(datasetEpisodes) };
                if (parse.GetResult(threads) is not null) opts = opts with { Threads = parse.GetValue(threads) };
                return (dir, opts);
            }
            if (parse.GetValue(online))
            {
                var onlineRows = new List<(string Task, string Label, double? Paper, List<(EvaluationReport Eval, double TrainSeconds)> Runs)>();
                string CurvesPath(string task) => Path.Combine(Path.GetDirectoryName(outPath)!, $"{Path.GetFileNameWithoutExtension(outPath)}-{task}-curves.png");
                IReadOnlyList<(string, string)> SeedDirs(string task) => [.. Enumerable.Range(1, seedCount).Select(s => ($"seed {s}", SeedOptions(task, s).Dir))];
                if (parse.GetValue(curvesOnly))
                {
                    foreach (var task in names)
                    {
                        OnlineExperiment.WriteSeedCurves(CurvesPath(task), task, SeedDirs(task));
                        o.WriteLine($"written: {CurvesPath(task)}");
                    }
                    return 0;
                }
                foreach (var task in names)
                {
                    var start = new List<(EvaluationReport, double)>();
                    var perAlgo = OnlineAlgorithms.All.ToDictionary(a => a, _ => new List<(EvaluationReport, double)>());
                    for (var seed = 1; seed <= seedCount; seed++)
                    {
                        var (dir, opts) = SeedOptions(task, seed);
                        o.WriteLine($"== {task} seed {seed} (online) → {dir}");
                        RlCommandSupport.WithProgress(parse, progress =>
                        {
                            using var exp = new OnlineExperiment(OnlinePresets.Cpu(opts), progress);
                            foreach (var a in OnlineAlgorithms.All)
                            {
                                var r = exp.Run(a);
                                exp.WriteLearningCurve(a);
                                if (a == OnlineAlgorithm.Ppo) start.Add((r.Start, 0));
                                perAlgo[a].Add((r.Trained, r.TrainSeconds));
                                o.WriteLine($"   {a.CliName()}: start {r.Start.NormalizedScore:F1} → {r.Trained.NormalizedScore:F1}");
                            }
                            return 0;
                        });
                    }
                    OnlineExperiment.WriteSeedCurves(CurvesPath(task), task, SeedDirs(task));
                    onlineRows.Add((task, "BC (sampled)", PaperScores.Get(task, OfflineAlgorithm.Bc), start));
                    foreach (var a in OnlineAlgorithms.All) onlineRows.Add((task, a.PaperLabel(), PaperScores.Get(task, a), perAlgo[a]));
                }
                return Publish(OnlineTable(onlineRows, seedCount, parse.GetValue(quick), clock.Elapsed.TotalSeconds));
            }
            foreach (var task in names)
            {
                var perAlgo = OfflineAlgorithms.All.ToDictionary(a => a, _ => new List<AlgorithmResult>());
                for (var seed = 1; seed <= seedCount; seed++)
                {
                    var (dir, opts) = SeedOptions(task, seed);
                    o.WriteLine($"== {task} seed {seed} → {dir}");
                    var results = RlCommandSupport.WithProgress(parse, progress =>
                    {
                        using var exp = new OfflineExperiment(opts, progress);
                        var list = OfflineAlgorithms.All.Select(exp.Run).ToList();
                        exp.WriteLearningCurve();
                        return list;
                    });
                    ExperimentReport.Write(dir, $"{task} seed {seed}", opts, results, results.Sum(r => r.TrainSeconds + r.EvalSeconds));
                    foreach (var r in results) perAlgo[r.Algorithm].Add(r);
                }
                foreach (var a in OfflineAlgorithms.All) rows.Add((task, a, perAlgo[a]));
            }
            return Publish(Table(rows, seedCount, parse.GetValue(quick), clock.Elapsed.TotalSeconds));
        });
        return command;
    }

    /// <summary>Mean and standard error (sample std / √n; NaN for one value) over seeds.</summary>
    private static (double Mean, double StdError) MeanStdError(double[] scores)
    {
        var mean = scores.Average();
        return (mean, scores.Length > 1 ? Math.Sqrt(scores.Sum(x => (x - mean) * (x - mean)) / (scores.Length - 1) / scores.Length) : double.NaN);
    }

    /// <summary>The online table: per task, the starting BC policy and each online algorithm under the same sampling
    /// evaluation, mean ± SE over seeds, beside Table 2.</summary>
    public static string OnlineTable(IReadOnlyList<(string Task, string Label, double? Paper, List<(EvaluationReport Eval, double TrainSeconds)> Runs)> rows, int seeds, bool quick, double seconds)
    {
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.AppendLine(inv, $"| task | policy | normalized score (mean ± SE, {seeds} seeds) | paper (Table 2) | success | per-seed | train s / seed |");
        sb.AppendLine("|---|---|---|---|---|---|---|");
        foreach (var (task, label, paper, runs) in rows)
        {
            var scores = runs.Select(r => r.Eval.NormalizedScore ?? r.Eval.ReturnMean).ToArray();
            var (mean, se) = MeanStdError(scores);
            sb.AppendLine(inv, $"| {task} | {label} | {mean:F1} ± {se:F1} | {(paper is { } p ? p.ToString("F1", inv) : "–")} | {runs.Average(r => r.Eval.SuccessRate):P0} | {string.Join(" / ", scores.Select(x => x.ToString("F1", inv)))} | {runs.Average(r => r.TrainSeconds):F0} |");
        }
        sb.AppendLine().AppendLine(inv, $"Sizes: {(quick ? "the online CPU presets with at most 32 evaluation episodes (--quick)" : "the online CPU presets (OnlinePresets)")}; total wall time {seconds / 60:F1} min on this machine ({Environment.ProcessorCount} cores).");
        return sb.ToString();
    }

    /// <summary>Mean ± SE over seeds (SE = sample std / √n) of the normalized scores; raw returns when the task has no
    /// normalization.</summary>
    public static string Table(IReadOnlyList<(string Task, OfflineAlgorithm Algo, List<AlgorithmResult> Runs)> rows, int seeds, bool quick, double seconds)
    {
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.AppendLine(inv, $"| task | algorithm | normalized score (mean ± SE, {seeds} seeds) | paper (Table 2) | success | train s / seed | eval s / seed |");
        sb.AppendLine("|---|---|---|---|---|---|---|");
        foreach (var (task, algo, runs) in rows)
        {
            var scores = runs.Select(r => r.Evaluation.NormalizedScore ?? r.Evaluation.ReturnMean).ToArray();
            var (mean, se) = MeanStdError(scores);
            var paper = PaperScores.Get(task, algo);
            sb.AppendLine(inv, $"| {task} | {algo.PaperLabel()} | {mean:F1} ± {se:F1} | {(paper is { } p ? p.ToString("F1", inv) : "–")} | {runs.Average(r => r.Evaluation.SuccessRate):P0} | {runs.Average(r => r.TrainSeconds):F0} | {runs.Average(r => r.EvalSeconds):F0} |");
        }
        sb.AppendLine().AppendLine(inv, $"Sizes: {(quick ? "the CPU presets with at most 32 evaluation episodes (--quick)" : "the CPU presets (ExperimentPresets)")}; total wall time {seconds / 60:F1} min on this machine ({Environment.ProcessorCount} cores).");
        return sb.ToString();
    }
}
