using System.Diagnostics;
using System.Globalization;
using System.Text;
using HighPerf.Gym.Core;
using HighPerf.Llama;
using HighPerf.Llama.Native;
using HighPerf.Rl.Policies;

namespace HighPerf.Bench;

/// <summary>
/// Rollout throughput of online RL (issue #10 §4): the <see cref="SamplingPolicy"/> stepping B environments in lockstep
/// with KV reuse, against (a) naive rollouts — one episode at a time, the whole prompt re-encoded every turn — and
/// (b) llama-batched-bench's generation rate on the same model file, batch B, prompt and generation lengths set to
/// the measured averages. Models: the tiny policy shape (64-d × 2) and a ~10 M-parameter one (384-d × 6), random
/// weights over a vocabulary built from the task's own text, so actions run to the token cap: the measure is tokens.
/// Entry: <c>rollouts [--out FILE] [--quick]</c>.
/// </summary>
public static class RolloutBench
{
    private static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);

    private static string Model(string task, string size)
    {
        var dir = Path.Combine(Path.GetTempPath(), "highperf-bench-models");
        var path = Path.Combine(dir, $"rollout-{task}-{size}.gguf");
        if (File.Exists(path)) return path;
        var def = TaskRegistry.Get(task);
        var corpus = def.GenerateDataset(40, 1).SelectMany(e => e.Trajectory.Items.Select(i => i.Text));
        var spec = size == "tiny"
            ? new TinyModelSpec { Seed = 21, EmbeddingSize = 64, LayerCount = 2, HeadCount = 4, HeadCountKv = 2, FeedForwardSize = 128, ContextLength = 2048, MaxWords = 200 }
            : new TinyModelSpec { Seed = 22, EmbeddingSize = 384, LayerCount = 6, HeadCount = 6, HeadCountKv = 2, FeedForwardSize = 1024, ContextLength = 2048, MaxWords = 200 };
        TinyModelFactory.Create(path, corpus, spec);
        return path;
    }

    private sealed record Measure(double Seconds, long ActionTokens, long DecodedTokens, int Episodes, int Turns, long PromptTokens);

    private static Measure Roll(LlamaModel model, string task, int batch, bool naive, int episodes, int turns, int actionTokens,
        bool kvF32 = true, bool unified = false)
    {
        using var policy = new SamplingPolicy(model, new SamplingPolicyOptions
        {
            MaxResidentConversations = naive ? 1 : batch, ReEncodeEachTurn = naive, MaxActionTokens = actionTokens, ContextPerConversation = 2048,
            KvF32 = kvF32, UnifiedKv = unified,
        });
        var def = TaskRegistry.Get(task);
        var options = def.RunOptions(seed: 5, batchSize: naive ? 1 : batch) with { MaxActions = turns };
        var sw = Stopwatch.StartNew();
        var records = EpisodeRunner.Run(def.CreateEnvironment, policy, episodes, options).ToList();
        var seconds = sw.Elapsed.TotalSeconds;
        var actions = records.Sum(r => r.Trajectory.Items.Count(i => i.IsAction));
        return new Measure(seconds, policy.SampledTokens, policy.DecodedTokens, records.Count, actions, policy.DecodedTokens - policy.SampledTokens);
    }

    public static int Run(string[] args)
    {
        string? Arg(string name) { var i = Array.IndexOf(args, name); return i >= 0 && i + 1 < args.Length ? args[i + 1] : null; }
        var quick = args.Contains("--quick");
        if (args.Contains("--variants")) return Variants(Arg("--task") ?? "textnav-fo", Arg("--size") ?? "tiny");
        var tool = Arg("--tool") ?? LlamaComparisonTool();
        LlamaNativeLibrary.EnsureInitialized();
        var sb = new StringBuilder();
        sb.AppendLine(Inv($"Machine: {Environment.ProcessorCount} cores, llama.cpp {LlamaNativeLibrary.Version}, threads {LlamaNativeLibrary.DefaultThreads}."));
        sb.AppendLine();
        const int batch = 16, actionTokens = 8;
        var turns = quick ? 4 : 8;
        var episodes = quick ? 16 : 32;
        sb.AppendLine(Inv($"## Rollout throughput: {episodes} episodes × {turns} turns, B = {batch} episodes in lockstep, {actionTokens}-token actions (random weights: no early newline), temperature 1"));
        sb.AppendLine();
        sb.AppendLine("| task | model | batched: action tok/s | episodes/s | naive: action tok/s | batched / naive | llama-batched-bench S_TG (PP, TG, B) | batched / S_TG | batched: all decoded tok/s | llama-batched-bench S (PP + TG) | decoded / S |");
        sb.AppendLine("|---|---|---|---|---|---|---|---|---|---|---|");
        foreach (var task in new[] { "maze-fo", "textnav-fo", "twenty-questions" })
            foreach (var size in new[] { "tiny", "10M" })
            {
                using var model = LlamaModel.Load(Model(task, size));
                Roll(model, task, batch, naive: false, episodes: 2, turns: 2, actionTokens); // warm-up
                var b = Roll(model, task, batch, naive: false, episodes, turns, actionTokens);
                var n = Roll(model, task, batch, naive: true, quick ? 4 : 8, turns, actionTokens);
                var bRate = b.ActionTokens / b.Seconds;
                var nRate = n.ActionTokens / n.Seconds;
                var pp = (int)Math.Max(1, b.PromptTokens / Math.Max(1, b.Turns)); // prompt tokens actually decoded per turn
                string tg = "not found", ratio = "–", total = "–", totalRatio = "–";
                var decodedRate = b.DecodedTokens / b.Seconds;
                if (tool is not null)
                {
                    // Best of 3 runs of the tool (a run sometimes prints no row).
                    double sTg = 0, sAll = 0;
                    for (var attempt = 0; attempt < 3; attempt++)
                    {
                        try
                        {
                            sTg = Math.Max(sTg, LlamaComparison.RunToolColumn(tool, model.Path, pp, actionTokens, batch, "S_TG t/s"));
                            sAll = Math.Max(sAll, LlamaComparison.RunToolColumn(tool, model.Path, pp, actionTokens, batch, "S t/s"));
                        }
                        catch (InvalidOperationException e) { Console.Error.WriteLine(e.Message); }
                    }
                    if (sTg > 0)
                    {
                        tg = Inv($"{sTg:F0} ({pp}, {actionTokens}, {batch})");
                        ratio = Inv($"**{bRate / sTg:F2}×**");
                    }
                    else tg = "no row in 3 runs";
                    if (sAll > 0)
                    {
                        total = Inv($"{sAll:F0}");
                        totalRatio = Inv($"**{decodedRate / sAll:F2}×**");
                    }
                }
                var line = Inv($"| {task} | {size} ({model.ParameterCount / 1e6:F1} M) | {bRate:F0} | {b.Episodes / b.Seconds:F2} | {nRate:F0} | **{bRate / nRate:F2}×** | {tg} | {ratio} | {decodedRate:F0} | {total} | {totalRatio} |");
                sb.AppendLine(line);
                Console.WriteLine(line);
            }
        sb.AppendLine();
        sb.AppendLine("Batched: action tokens sampled per second of wall time, environment steps, prompt sync, logit copies and managed " +
                      "sampling included; prompt tokens decoded per turn (what KV reuse leaves) set llama-batched-bench's PP. S_TG counts " +
                      "the tool's generation phase only, so where turns decode prompt tokens the fair comparison is the last pair: every " +
                      "token the rollout decoded (prompt + action) per second against the tool's S over PP + TG. Naive: the same policy " +
                      "with one resident conversation and the prompt re-encoded from position 0 every turn. KV: F32 cells, one stream per " +
                      "conversation (SamplingPolicy's defaults).");
        var report = sb.ToString();
        var outPath = Arg("--out");
        if (outPath is not null) { File.WriteAllText(outPath + ".tmp", report); File.Move(outPath + ".tmp", outPath, overwrite: true); }
        Console.WriteLine(report);
        return 0;
    }

    /// <summary>Batched rollouts of one task and model under each KV setting (cell type × unified or per-sequence).</summary>
    private static int Variants(string task, string size)
    {
        LlamaNativeLibrary.EnsureInitialized();
        using var model = LlamaModel.Load(Model(task, size));
        Roll(model, task, 16, naive: false, episodes: 2, turns: 2, actionTokens: 8);
        Console.WriteLine($"| {task} {size} | F32 cells | unified | action tok/s |");
        foreach (var f32 in new[] { true, false })
            foreach (var unified in new[] { true, false })
            {
                var m = Roll(model, task, 16, naive: false, episodes: 32, turns: 8, actionTokens: 8, f32, unified);
                Console.WriteLine(Inv($"| | {f32} | {unified} | {m.ActionTokens / m.Seconds:F0} |"));
            }
        return 0;
    }

    private static string? LlamaComparisonTool()
    {
        foreach (var p in new[]
                 {
                     Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", "..", "build", "native", "tools", "llama-batched-bench"),
                     "build/native/tools/llama-batched-bench",
                 })
            if (File.Exists(p)) return Path.GetFullPath(p);
        return null;
    }
}
