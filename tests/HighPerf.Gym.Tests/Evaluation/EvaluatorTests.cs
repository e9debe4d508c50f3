using System.Text.Json;
using HighPerf.Gym.Core;
using HighPerf.Gym.Evaluation;

namespace HighPerf.Gym.Tests.Evaluation;

public class EvaluatorTests
{
    [Fact]
    public void Maze_fo_expert_scores_100_and_report_is_consistent()
    {
        var task = TaskRegistry.Get("maze-fo");
        var report = Evaluator.Evaluate(task, "expert", 500, 1);
        Assert.Equal(1.0, report.SuccessRate);
        Assert.InRange(report.ReturnMean, -7.6, -6.1); // optimal mean over uniform starts is -6.84
        Assert.Equal(task.Normalization!.Value.Normalize(report.ReturnMean), report.NormalizedScore!.Value, 9);
        Assert.InRange(report.NormalizedScore!.Value, 99, 101);
        Assert.Equal(report.ReturnStd / Math.Sqrt(500), report.ReturnStdError, 12);
        using var doc = JsonDocument.Parse(report.ToJson());
        Assert.Equal("highperf.gym.eval/v1", doc.RootElement.GetProperty("schema").GetString());
        Assert.Equal(500, doc.RootElement.GetProperty("episodes").GetInt32());
        Assert.Contains("| success rate | 1.000 ± 0.000 |", report.ToMarkdown());
    }

    [Fact]
    public void Random_is_worse_than_behavior_is_worse_than_expert_on_textnav()
    {
        var task = TaskRegistry.Get("textnav-fo");
        var r = Evaluator.Evaluate(task, "random", 200, 2).ReturnMean;
        var b = Evaluator.Evaluate(task, "behavior", 200, 2).ReturnMean;
        var e = Evaluator.Evaluate(task, "expert", 50, 2).ReturnMean;
        Assert.True(r < b && b < e, $"{r} {b} {e}");
        Assert.Equal(1.0, e);
    }

    [Fact]
    public void Save_writes_json_and_markdown_atomically()
    {
        var dir = Directory.CreateTempSubdirectory("gym-eval-").FullName;
        try
        {
            var report = Evaluator.Evaluate(TaskRegistry.Get("maze-po"), "random", 20, 3);
            report.Save(Path.Combine(dir, "r.json"));
            Assert.Equal(new[] { "r.json", "r.md" }, Directory.GetFiles(dir).Select(Path.GetFileName).Order());
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void Same_seed_same_report()
    {
        var task = TaskRegistry.Get("wordle");
        Assert.Equal(Evaluator.Evaluate(task, "behavior", 64, 9).ToJson(), Evaluator.Evaluate(task, "behavior", 64, 9, batchSize: 5).ToJson());
    }
}
