using System.CommandLine;
using HighPerf.Rl.Training;
using Spectre.Console;

namespace HighPerf.Cli.Commands;

/// <summary>Shared pieces of the RL commands (train, demo, results): progress display and common options.</summary>
public static class RlCommandSupport
{
    /// <summary>Runs <paramref name="work"/> with a progress sink: Spectre progress bars (one per phase) on an
    /// interactive console, plain lines (phase start, every 10 %, end, messages) otherwise.</summary>
    public static T WithProgress<T>(ParseResult parse, Func<Action<ExperimentProgress>, T> work)
    {
        var output = parse.InvocationConfiguration.Output;
        if (GymCommandSupport.ShowProgress(parse))
        {
            T result = default!;
            AnsiConsole.Progress()
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new SpinnerColumn())
                .Start(ctx =>
                {
                    var bars = new Dictionary<string, ProgressTask>();
                    result = work(p =>
                    {
                        if (!bars.TryGetValue(p.Phase, out var bar)) bars[p.Phase] = bar = ctx.AddTask(Markup.Escape(p.Phase), maxValue: Math.Max(1, p.Total));
                        bar.MaxValue = Math.Max(1, p.Total);
                        bar.Value = p.Done;
                        if (p.Message is not null) AnsiConsole.MarkupLine($"[grey]{Markup.Escape(p.Phase)}: {Markup.Escape(p.Message)}[/]");
                    });
                });
            return result;
        }
        var lastDecile = new Dictionary<string, long>();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        return work(p =>
        {
            var decile = p.Total > 0 ? p.Done * 10 / p.Total : 0;
            var first = !lastDecile.TryGetValue(p.Phase, out var last);
            if (p.Message is not null || first || decile != last)
            {
                lastDecile[p.Phase] = decile;
                output.WriteLine($"[{clock.Elapsed:mm\\:ss}] {p.Phase} {p.Done}/{p.Total}{(p.Message is null ? "" : " — " + p.Message)}");
            }
        });
    }

    public static Option<int> PositiveIntOption(string name, string description, int? defaultValue = null)
    {
        var o = new Option<int>(name) { Description = description };
        if (defaultValue is { } d) o.DefaultValueFactory = _ => d;
        o.Validators.Add(r =>
        {
            if (r.Tokens.Count > 0 && (!int.TryParse(r.Tokens[0].Value, out var n) || n <= 0)) r.AddError($"{name} must be a positive integer");
        });
        return o;
    }
}
