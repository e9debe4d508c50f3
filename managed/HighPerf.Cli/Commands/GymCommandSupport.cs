using System.CommandLine;
using HighPerf.Gym.Core;

namespace HighPerf.Cli.Commands;

/// <summary>Shared pieces of the gym commands (tasks, play, dataset, eval).</summary>
public static class GymCommandSupport
{
    /// <summary>Where `play` reads the person's actions; tests replace it.</summary>
    public static TextReader Input { get; set; } = Console.In;

    public const int UsageError = 2;

    public static Option<string> TaskOption() => new("--task", "-t")
    {
        Description = "Task name (see `highperf tasks`).",
        Required = true,
    };

    public static Option<int> SeedOption() => new("--seed", "-s")
    {
        Description = "Random seed; the same seed gives the same episodes.",
        DefaultValueFactory = _ => 0,
    };

    public static Option<int?> EpisodesOption(string description) => new("--episodes", "-n")
    {
        Description = description,
        Validators =
        {
            r =>
            {
                if (r.Tokens.Count > 0 && int.TryParse(r.Tokens[0].Value, out var n) && n <= 0)
                    r.AddError("--episodes must be a positive integer");
            },
        },
    };

    /// <summary>Resolves a task or prints the known names to the error writer.</summary>
    public static TaskDefinition? ResolveTask(ParseResult parse, string name)
    {
        if (TaskRegistry.TryGet(name, out var task)) return task;
        var err = parse.InvocationConfiguration.Error;
        err.WriteLine($"error: unknown task '{name}'. Known tasks: {string.Join(", ", TaskRegistry.All.Select(t => t.Name))}");
        err.WriteLine($"Usage: highperf {parse.CommandResult.Command.Name} --task <task> ... (see `highperf {parse.CommandResult.Command.Name} --help`)");
        return null;
    }

    /// <summary>Show Spectre progress only on an interactive console (never in tests or pipes).</summary>
    public static bool ShowProgress(ParseResult parse)
        => ReferenceEquals(parse.InvocationConfiguration.Output, Console.Out) && !Console.IsOutputRedirected;
}
