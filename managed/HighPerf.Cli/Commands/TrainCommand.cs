using System.CommandLine;
using HighPerf.Rl.Training;

namespace HighPerf.Cli.Commands;

/// <summary>`highperf train --task T --algo bc|filtered-bc|mc|ilql [--model m.gguf] [--out dir] [--resume] [--seed S]
/// [--epochs E | --bc-steps N] [--critic-steps N] [--dataset-episodes N] [--eval-episodes N]`: generates the task's
/// offline dataset, trains the algorithm (MC/ILQL train the BC policy π_β first), evaluates it with the paper's protocol
/// and writes checkpoints, metrics (JSONL + TensorBoard), a learning-curve PNG and the evaluation report to --out.</summary>
public static class TrainCommand
{
    public static Command Create()
    {
        var task = GymCommandSupport.TaskOption();
        var algo = new Option<string>("--algo", "-a") { Description = "Offline: bc, filtered-bc, mc, ilql. Online: ppo, online-bc (start from the BC policy or --model).", Required = true };
        algo.AcceptOnlyFromAmong([.. OfflineAlgorithms.All.Select(a => a.CliName()), .. OnlineAlgorithms.All.Select(a => a.CliName())]);
        var iterations = RlCommandSupport.PositiveIntOption("--iterations", "Online: rollout/train iterations (default: the task's CPU preset).");
        var rollouts = RlCommandSupport.PositiveIntOption("--rollouts", "Online: episodes collected per iteration.");
        var rolloutBatch = RlCommandSupport.PositiveIntOption("--rollout-batch", "Online: episodes stepped together (KV sequences).");
        var lr = new Option<float?>("--lr") { Description = "Online: policy learning rate." };
        var kl = new Option<float?>("--kl") { Description = "PPO: KL coefficient β of r − β·KL(π‖π_BC)." };
        var gamma = new Option<float?>("--gamma") { Description = "PPO: discount γ per action token." };
        var lambda = new Option<float?>("--lambda") { Description = "PPO: GAE λ in [0, 1]." };
        var clip = new Option<float?>("--clip") { Description = "PPO: clip ε in [0, 1)." };
        var keep = new Option<double?>("--keep-fraction") { Description = "Online filtered BC: fraction of each round's episodes kept (0, 1]." };
        var model = new Option<FileInfo?>("--model", "-m") { Description = "Start from this GGUF (F32 weights). Default: a tiny model generated from the dataset's text." };
        var output = new Option<DirectoryInfo?>("--out", "-o") { Description = "Output directory (default runs/<task>-<algo>-s<seed>)." };
        var resume = new Option<bool>("--resume") { Description = "Continue from the checkpoints in --out." };
        var seed = new Option<int>("--seed", "-s") { Description = "Seed of the dataset, model initialisation and sampling.", DefaultValueFactory = _ => 1 };
        var epochs = RlCommandSupport.PositiveIntOption("--epochs", "BC passes over the dataset's distinct segments (overrides --bc-steps).");
        var bcSteps = RlCommandSupport.PositiveIntOption("--bc-steps", "BC optimizer steps (default: the task's CPU preset).");
        var criticSteps = RlCommandSupport.PositiveIntOption("--critic-steps", "MC/ILQL critic steps (default: the task's CPU preset).");
        var datasetEpisodes = RlCommandSupport.PositiveIntOption("--dataset-episodes", "Dataset size (default: the task's).");
        var evalEpisodes = RlCommandSupport.PositiveIntOption("--eval-episodes", "Evaluation episodes (default: the paper's protocol).");
        var threads = RlCommandSupport.PositiveIntOption("--threads", "CPU threads of llama.cpp and the critics (default: min(cores, 4)); 1 when the machine is shared (spin barriers of oversubscribed threads stall).");
        var beta = new Option<float?>("--beta") { Description = "Decoding or re-ranking strength β, set for both MC Returns and ILQL (default: the task's CPU preset in ExperimentPresets; ILQL per spec §4.7 where it decodes token by token)." };
        var polyak = new Option<float?>("--polyak") { Description = "Polyak rate of ILQL's target heads." };
        var mcMask = new Option<bool>("--mc-include-truncated") { Description = "MC Returns: also regress Q onto truncated episodes' cut returns (default: masked)." };
        var freeDecoding = new Option<bool>("--free-decoding") { Description = "Text-Nav: generate commands token by token (the paper's decoding) instead of re-ranking the admissible commands the observation lists." };
        var criticLr = new Option<float?>("--critic-lr") { Description = "AdamW learning rate of the MC/ILQL critic heads." };
        var command = new Command("train", "Train an offline RL algorithm (BC, filtered BC, MC Returns, ILQL) on a task and evaluate it.")
        {
            task, algo, model, output, resume, seed, epochs, bcSteps, criticSteps, datasetEpisodes, evalEpisodes, beta, polyak, criticLr, mcMask, freeDecoding, threads,
            iterations, rollouts, rolloutBatch, lr, kl, gamma, lambda, clip, keep,
        };
        command.SetAction(parse =>
        {
            var def = GymCommandSupport.ResolveTask(parse, parse.GetValue(task)!);
            if (def is null) return GymCommandSupport.UsageError;
            var algoName = parse.GetValue(algo)!;
            var s = parse.GetValue(seed);
            var dir = parse.GetValue(output)?.FullName ?? Path.GetFullPath(Path.Combine("runs", $"{def.Name}-{algoName}-s{s}"));
            if (parse.GetValue(model) is { } m && !m.Exists)
            {
                parse.InvocationConfiguration.Error.WriteLine($"error: model '{m.FullName}' does not exist");
                return GymCommandSupport.UsageError;
            }
            // The task's CPU preset, then whatever the command line sets.
            var options = ExperimentPresets.Cpu(def.Name, dir, s) with
            {
                ModelPath = parse.GetValue(model)?.FullName,
                Resume = parse.GetValue(resume),
            };
            if (parse.GetResult(datasetEpisodes) is not null) options = options with { DatasetEpisodes = parse.GetValue(datasetEpisodes) };
            if (parse.GetResult(evalEpisodes) is not null) options = options with { EvalEpisodes = parse.GetValue(evalEpisodes) };
            if (parse.GetResult(bcSteps) is not null) options = options with { BcSteps = parse.GetValue(bcSteps) };
            if (parse.GetResult(epochs) is not null) options = options with { BcEpochs = parse.GetValue(epochs) };
            if (parse.GetResult(threads) is not null) options = options with { Threads = parse.GetValue(threads) };
            if (parse.GetValue(beta) is { } b) options = options with { Beta = b, McBeta = b };
            if (parse.GetValue(mcMask)) options = options with { McIncludeTruncated = true };
            if (parse.GetValue(freeDecoding)) options = options with { ReRankAdmissible = false };
            if (parse.GetValue(criticLr) is { } clr) options = options with { CriticLearningRate = clr };
            if (parse.GetValue(polyak) is { } pa) options = options with { PolyakAlpha = pa };
            if (parse.GetResult(criticSteps) is not null) options = options with { McSteps = parse.GetValue(criticSteps), IlqlSteps = parse.GetValue(criticSteps) };
            if (OnlineAlgorithms.TryParse(algoName, out var online))
            {
                var onlineOptions = OnlinePresets.Cpu(options);
                var ppo = onlineOptions.Ppo;
                var obc = onlineOptions.OnlineBc;
                if (parse.GetResult(iterations) is not null) { ppo = ppo with { Iterations = parse.GetValue(iterations) }; obc = obc with { Iterations = parse.GetValue(iterations) }; }
                if (parse.GetResult(rollouts) is not null) { ppo = ppo with { EpisodesPerIteration = parse.GetValue(rollouts) }; obc = obc with { EpisodesPerIteration = parse.GetValue(rollouts) }; }
                if (parse.GetResult(rolloutBatch) is not null) { ppo = ppo with { RolloutBatch = parse.GetValue(rolloutBatch) }; obc = obc with { RolloutBatch = parse.GetValue(rolloutBatch) }; }
                if (parse.GetValue(lr) is { } plr) { ppo = ppo with { LearningRate = plr }; obc = obc with { LearningRate = plr }; }
                if (parse.GetValue(kl) is { } k) ppo = ppo with { KlCoef = k };
                if (parse.GetValue(gamma) is { } g) ppo = ppo with { Gamma = g };
                if (parse.GetValue(lambda) is { } l) ppo = ppo with { Lambda = l };
                if (parse.GetValue(clip) is { } c) ppo = ppo with { ClipEpsilon = c };
                if (parse.GetValue(keep) is { } f) obc = obc with { KeepFraction = f };
                ppo.Validate(); // one error line naming the option, before any work
                obc.Validate();
                onlineOptions = onlineOptions with { Ppo = ppo, OnlineBc = obc };
                var onlineResult = RlCommandSupport.WithProgress(parse, progress =>
                {
                    using var exp = new OnlineExperiment(onlineOptions, progress);
                    var r = exp.Run(online);
                    exp.WriteLearningCurve(online);
                    return (r, exp.Hyperparameters(online));
                });
                var oo = parse.InvocationConfiguration.Output;
                oo.WriteLine();
                oo.Write(ExperimentReport.OnlineMarkdown($"highperf train {def.Name} {algoName}", onlineOptions, onlineResult.r, onlineResult.Item2));
                oo.WriteLine($"output: {dir} ({algoName}.gguf, {algoName}.state.json, metrics.jsonl, tensorboard/, {algoName}_curve.png, eval-{algoName}.json, eval-start.json)");
                return 0;
            }
            var a = OfflineAlgorithms.Parse(algoName);
            var result = RlCommandSupport.WithProgress(parse, progress =>
            {
                using var exp = new OfflineExperiment(options, progress);
                var r = exp.Run(a);
                exp.WriteLearningCurve();
                return r;
            });
            var o = parse.InvocationConfiguration.Output;
            o.WriteLine();
            o.Write(ExperimentReport.Markdown($"highperf train {def.Name} {a.CliName()}", options, [result], result.TrainSeconds + result.EvalSeconds));
            o.WriteLine($"output: {dir} (checkpoints, metrics.jsonl, tensorboard/, learning_curve.png, eval-{a.CliName()}.json/.md)");
            return 0;
        });
        return command;
    }
}
