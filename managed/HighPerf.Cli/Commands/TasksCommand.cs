using System.CommandLine;
using System.Globalization;
using HighPerf.Gym.Core;

namespace HighPerf.Cli.Commands;

/// <summary>`highperf tasks`: the registered LMRL-Gym tasks, their reference policies and normalization constants.</summary>
public static class TasksCommand
{
    public static Command Create()
    {
        var command = new Command("tasks", "List the tasks, their reference policies and normalization constants.");
        command.SetAction(parse =>
        {
            var o = parse.InvocationConfiguration.Output;
            var c = CultureInfo.InvariantCulture;
            o.WriteLine(string.Format(c, "{0,-18} {1,-24} {2,-26} {3}", "task", "policies", "normalization (min/avg/max)", "description"));
            foreach (var t in TaskRegistry.All)
            {
                var norm = t.Normalization is { } k ? string.Format(c, "{0}/{1}/{2}", k.Min, k.DatasetAverage, k.Max) : "none (raw)";
                o.WriteLine(string.Format(c, "{0,-18} {1,-24} {2,-26} {3}", t.Name, string.Join(",", t.Policies.Keys), norm, t.Description));
            }
            return 0;
        });
        return command;
    }
}
