using System.CommandLine;
using System.Globalization;
using HighPerf.Gym.Core;

namespace HighPerf.Cli.Commands;

/// <summary>`highperf play --task T [--seed S]`: a person plays one episode in the terminal. Observations are
/// printed as they arrive; each input line is one action (a trailing "\n" is added, as the benchmark's
/// post-processing does). Works with piped standard input; if input ends first the episode is abandoned.</summary>
public static class PlayCommand
{
    public static Command Create()
    {
        var task = GymCommandSupport.TaskOption();
        var seed = GymCommandSupport.SeedOption();
        var command = new Command("play", "Play one episode of a task in the terminal (actions from standard input, one per line).") { task, seed };
        command.SetAction(parse =>
        {
            var def = GymCommandSupport.ResolveTask(parse, parse.GetValue(task)!);
            if (def is null) return GymCommandSupport.UsageError;
            var o = parse.InvocationConfiguration.Output;
            var c = CultureInfo.InvariantCulture;
            var env = def.CreateEnvironment();
            var history = env.Reset(parse.GetValue(seed));
            o.WriteLine($"== {def.Name}: {def.Description}");
            o.WriteLine("== Type one action per line; end of input quits.");
            o.Write(history.Render());
            double total = 0;
            var turns = 0;
            while (true)
            {
                o.Write("> ");
                o.Flush();
                var line = GymCommandSupport.Input.ReadLine();
                if (line is null)
                {
                    o.WriteLine();
                    o.WriteLine(string.Format(c, "== input ended; episode abandoned after {0} actions, return so far {1}", turns, total));
                    return 0;
                }
                var action = ActionText.Normalize(line);
                var result = env.Step(history.AppendAction(action));
                turns++;
                total += result.Reward;
                foreach (var item in NewItems(result.History)) o.Write(item.Text);
                o.WriteLine(string.Format(c, "== reward {0}", result.Reward));
                history = result.History;
                if (result.Done)
                {
                    var success = env is IEpisodeOutcome outcome ? outcome.Succeeded
                        : def.Success?.Invoke(new TextTrajectory([.. history.Items], [.. history.Items.Select(_ => 0.0)], true)) ?? false;
                    o.WriteLine(string.Format(c, "== episode over after {0} actions: return {1}, {2}", turns, total, success ? "success" : "no success"));
                    return 0;
                }
            }
        });
        return command;
    }

    private static IEnumerable<TextItem> NewItems(TextHistory h)
    {
        var start = 0;
        for (var i = h.Count - 1; i >= 0; i--)
            if (h.Items[i].IsAction) { start = i + 1; break; }
        for (var i = start; i < h.Count; i++) yield return h.Items[i];
    }
}
