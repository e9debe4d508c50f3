using System.CommandLine;
using System.Diagnostics;
using HighPerf.Rl.Training;

namespace HighPerf.Cli.Commands;

/// <summary>`highperf demo [--out dir] [--seed S] [--quick]`: offline RL end to end on the fully observed Maze with
/// nothing downloaded — generates the dataset, makes a tiny policy and BC-trains it, trains filtered BC, MC Returns and
/// ILQL, evaluates all four with the paper's protocol (re-ranking the four moves), prints the normalized scores beside
/// the paper's (spec §5.1: BC 58.2, %BC 68.9, MC 75.0, ILQL 99.9) and writes report.md/report.json/learning_curve.png.</summary>
public static class DemoCommand
{
    /// <summary>Sizes of the demo: the maze-fo CPU preset (<see cref="ExperimentPresets"/>; 2–3 minutes on 2 cores);
    /// --quick only shortens the evaluation (200 episodes).</summary>
    public static ExperimentOptions Options(string directory, int seed, bool quick)
        => ExperimentPresets.Cpu("maze-fo", directory, seed) with { EvalEpisodes = quick ? 200 : null };

    public static Command Create()
    {
        var output = new Option<DirectoryInfo?>("--out", "-o") { Description = "Output directory (default demo-out)." };
        var seed = new Option<int>("--seed", "-s") { Description = "Seed of dataset, models and evaluation.", DefaultValueFactory = _ => 1 };
        var quick = new Option<bool>("--quick") { Description = "Reduced sizes (smoke test, a few minutes)." };
        var command = new Command("demo", "Offline RL end to end on the fully observed Maze: BC, filtered BC, MC Returns, ILQL vs the paper.") { output, seed, quick };
        command.SetAction(parse =>
        {
            var dir = parse.GetValue(output)?.FullName ?? Path.GetFullPath("demo-out");
            var options = Options(dir, parse.GetValue(seed), parse.GetValue(quick));
            var o = parse.InvocationConfiguration.Output;
            o.WriteLine($"highperf demo: maze-fo offline RL (BC, filtered BC, MC Returns, ILQL) → {dir}");
            var clock = Stopwatch.StartNew();
            var results = RlCommandSupport.WithProgress(parse, progress =>
            {
                using var exp = new OfflineExperiment(options, progress);
                var list = OfflineAlgorithms.All.Select(exp.Run).ToList();
                exp.WriteLearningCurve();
                return list;
            });
            var total = clock.Elapsed.TotalSeconds;
            ExperimentReport.Write(dir, "HighPerf demo — fully observed Maze, offline RL", options, results, total);
            o.WriteLine();
            o.Write(ExperimentReport.Markdown("HighPerf demo — fully observed Maze, offline RL", options, results, total));
            o.WriteLine($"report: {Path.Combine(dir, "report.md")} (+ report.json, learning_curve.png, metrics.jsonl, tensorboard/); {total:F0} s");
            return 0;
        });
        return command;
    }
}
