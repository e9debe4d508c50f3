using System.CommandLine;
using HighPerf.Gym.Core;
using HighPerf.Gym.Evaluation;
using Spectre.Console;

namespace HighPerf.Cli.Commands;

/// <summary>`highperf eval --task T --policy random|behavior|expert [--episodes N --seed S --batch B --out report.json]`:
/// evaluates a reference policy; prints the Markdown summary and optionally writes JSON + Markdown reports atomically.</summary>
public static class EvalCommand
{
    public static Command Create()
    {
        var task = GymCommandSupport.TaskOption();
        var policy = new Option<string>("--policy", "-p") { Description = "Reference policy: random, behavior or expert.", Required = true };
        policy.AcceptOnlyFromAmong("random", "behavior", "expert");
        var episodes = GymCommandSupport.EpisodesOption("Number of episodes (default: the paper's protocol for the task).");
        var seed = GymCommandSupport.SeedOption();
        var batch = new Option<int>("--batch") { Description = "Episodes stepped together.", DefaultValueFactory = _ => 32 };
        batch.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() <= 0) r.AddError("--batch must be a positive integer");
        });
        var output = new Option<FileInfo?>("--out", "-o") { Description = "Write the report as JSON here (and Markdown next to it, .md)." };
        var command = new Command("eval", "Evaluate a reference policy on a task: mean ± SE return, success rate, length, normalized score.") { task, policy, episodes, seed, batch, output };
        command.SetAction(parse =>
        {
            var def = GymCommandSupport.ResolveTask(parse, parse.GetValue(task)!);
            if (def is null) return GymCommandSupport.UsageError;
            var policyName = parse.GetValue(policy)!;
            if (!def.Policies.ContainsKey(policyName))
            {
                parse.InvocationConfiguration.Error.WriteLine($"error: task '{def.Name}' has no '{policyName}' policy; it has: {string.Join(", ", def.Policies.Keys)}");
                return GymCommandSupport.UsageError;
            }
            var n = parse.GetValue(episodes) ?? def.EvalEpisodes;
            var s = parse.GetValue(seed);
            EvaluationReport report = null!;
            if (GymCommandSupport.ShowProgress(parse))
            {
                AnsiConsole.Progress().Start(ctx =>
                {
                    var bar = ctx.AddTask($"{def.Name} / {policyName}", maxValue: n);
                    report = Evaluator.Evaluate(def, policyName, n, s, parse.GetValue(batch), _ => bar.Increment(1));
                });
            }
            else
            {
                report = Evaluator.Evaluate(def, policyName, n, s, parse.GetValue(batch));
            }
            parse.InvocationConfiguration.Output.Write(report.ToMarkdown());
            if (parse.GetValue(output) is { } file)
            {
                try
                {
                    report.Save(file.FullName);
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    parse.InvocationConfiguration.Error.WriteLine($"error: cannot write '{file.FullName}': {ex.Message}");
                    return 1;
                }
                parse.InvocationConfiguration.Output.WriteLine($"report: {file.FullName} (+ {Path.ChangeExtension(file.FullName, ".md")})");
            }
            return 0;
        });
        return command;
    }
}
