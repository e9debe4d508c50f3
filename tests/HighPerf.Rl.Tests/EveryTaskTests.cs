using HighPerf.Gym.Core;
using HighPerf.Gym.Data;
using HighPerf.Rl.Training;

namespace HighPerf.Rl.Tests;

/// <summary>A registered task trains with every offline algorithm through the public experiment API, at toy sizes
/// (a dozen dataset episodes, a few optimizer steps, a few evaluation episodes): dataset → tiny model → BC, %BC,
/// MC Returns, ILQL → checkpoints → evaluation with the task's own policy extraction. Scores at these sizes mean
/// nothing; the test checks that each pipeline runs and produces complete, consistent artifacts.</summary>
public sealed class EveryTaskTests
{
    /// <summary>Every registered task. The chess tasks run their CPU variants (deterministic opponent), as the presets do.</summary>
    public static TheoryData<string> Tasks() => [.. TaskRegistry.All.Select(t => t.Name)];

    [Theory]
    [MemberData(nameof(Tasks))]
    public void EveryOfflineAlgorithmTrainsAndEvaluates(string task)
    {
        var dir = Directory.CreateTempSubdirectory($"hp-rl-{task}-").FullName;
        try
        {
            var options = ExperimentPresets.Cpu(task, dir, seed: 2) with
            {
                DatasetEpisodes = 24, EvalEpisodes = 3, BcSteps = 2, BcBatchSequences = 4, McSteps = 3, IlqlSteps = 3,
                CriticBatchRows = 32, CriticHidden = 16, CheckpointEvery = 1, Threads = 2,
            };
            var progress = new List<ExperimentProgress>();
            using (var exp = new OfflineExperiment(options, progress.Add))
            {
                foreach (var algo in OfflineAlgorithms.All)
                {
                    var r = exp.Run(algo);
                    Assert.Equal(algo, r.Algorithm);
                    Assert.Equal(3, r.Evaluation.Episodes);
                    Assert.Equal(task, r.Evaluation.Task);
                    Assert.True(double.IsFinite(r.Evaluation.ReturnMean), $"{task}/{algo}: return {r.Evaluation.ReturnMean}");
                    Assert.InRange(r.Evaluation.SuccessRate, 0, 1);
                    Assert.True(File.Exists(Path.Combine(dir, $"eval-{algo.CliName()}.json")), $"{task}/{algo}: no evaluation report");
                    var transcripts = EpisodeJsonl.Read(Path.Combine(dir, $"eval-{algo.CliName()}.episodes.jsonl")).ToList();
                    Assert.Equal(3, transcripts.Count);
                    Assert.All(transcripts, e => Assert.Equal(task, e.Task));
                    Assert.Equal(r.Evaluation.ReturnMean, transcripts.Average(e => e.Return), 9);
                }
            }
            foreach (var f in new[] { "dataset.jsonl", "base.gguf", "bc.gguf", "filtered-bc.gguf", "mc.critic.gguf", "ilql.critic.gguf", "metrics.jsonl" })
                Assert.True(File.Exists(Path.Combine(dir, f)), $"{task}: {f} missing");
            Assert.Contains(progress, p => p.Phase == "ilql" && p.Done == 3);

            // Online: one iteration of PPO and of online filtered BC from the BC policy just trained, through the same folder.
            var online = OnlinePresets.Cpu(options with { Resume = true }) with
            {
                Ppo = new Algorithms.PpoOptions { Iterations = 1, EpisodesPerIteration = 3, RolloutBatch = 3, MinibatchSequences = 4, Epochs = 1, ValueEpochs = 1, MaxActionTokens = 8 },
                OnlineBc = new Algorithms.OnlineFilteredBcOptions { Iterations = 1, EpisodesPerIteration = 3, RolloutBatch = 3, Epochs = 1, MaxActionTokens = 8 },
            };
            using (var exp = new OnlineExperiment(online))
                foreach (var algo in OnlineAlgorithms.All)
                {
                    var r = exp.Run(algo);
                    Assert.Single(r.Iterations);
                    Assert.Equal(3, r.Iterations[0]["episodes"]);
                    Assert.True(double.IsFinite(r.Iterations[0]["return_mean"]), $"{task}/{algo}: rollout return {r.Iterations[0]["return_mean"]}");
                    Assert.Equal(3, r.Trained.Episodes);
                    Assert.True(File.Exists(Path.Combine(dir, $"{algo.CliName()}.gguf")), $"{task}/{algo}: no policy checkpoint");
                }
            Assert.Empty(Directory.EnumerateFiles(dir, "*.tmp*", SearchOption.AllDirectories)); // atomic writes left nothing behind
        }
        finally
        {
            try { Directory.Delete(dir, true); } catch (IOException) { }
        }
    }
}
