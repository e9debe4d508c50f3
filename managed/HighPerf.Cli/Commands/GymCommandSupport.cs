using System.CommandLine;
using HighPerf.Gym.Core;
using HighPerf.Gym.Dialogue;
using HighPerf.Gym.Dialogue.Simulators;

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

    /// <summary>Registry names of the dialogue tasks → <see cref="DialogueTasks"/> names.</summary>
    private static readonly Dictionary<string, string> DialogueTaskNames = new()
    {
        ["twenty-questions"] = DialogueTasks.TwentyQuestions,
        ["guess-my-city"] = DialogueTasks.GuessMyCity,
        ["car-dealer"] = DialogueTasks.CarDealer,
    };

    public static Option<string?> SimulatorOption() => new("--simulator")
    {
        Description = $"Dialogue tasks only: the environment's simulator, {SimulatorSpec.Forms} (default: scripted).",
    };

    /// <summary>
    /// Applies <c>--simulator</c> to a task: returns the task with its environment built on the chosen simulator and
    /// the generator to dispose afterwards (null for the scripted one). Prints a usage error and returns false for a
    /// non-dialogue task, a malformed value or a model file that cannot be used.
    /// </summary>
    public static bool TryApplySimulator(ParseResult parse, string? value, ref TaskDefinition def, out IDisposable? resource)
    {
        resource = null;
        if (value is null) return true;
        var err = parse.InvocationConfiguration.Error;
        var usage = $"Usage: highperf {parse.CommandResult.Command.Name} --task <{string.Join('|', DialogueTaskNames.Keys)}> --simulator {SimulatorSpec.Forms}";
        if (!DialogueTaskNames.TryGetValue(def.Name, out var task))
        {
            err.WriteLine($"error: --simulator applies only to the dialogue tasks ({string.Join(", ", DialogueTaskNames.Keys)}), not '{def.Name}'.");
            err.WriteLine(usage);
            return false;
        }
        var spec = SimulatorSpec.Parse(value, out var problem);
        if (spec is null)
        {
            err.WriteLine($"error: --simulator: {problem}");
            err.WriteLine(usage);
            return false;
        }
        ITextGenerator? generator;
        try
        {
            generator = spec.Kind switch
            {
                SimulatorKind.Scripted => null,
                SimulatorKind.Llama => new LocalLlamaGenerator(new LocalLlamaGeneratorOptions { ModelPath = spec.ModelPath! }),
                _ => new OpenAiCompatibleGenerator(new OpenAiEndpoint(spec.BaseUrl!, spec.Model!,
                    Environment.GetEnvironmentVariable("OPENAI_API_KEY") is { Length: > 0 } key ? key : "sk-no-key-required")),
            };
        }
        catch (Exception e) when (e is FileNotFoundException or DialogueSimulatorException)
        {
            err.WriteLine($"error: --simulator: {e.Message}");
            err.WriteLine(usage);
            return false;
        }
        if (generator is null) return true;
        resource = generator as IDisposable;
        object simulator = task switch
        {
            DialogueTasks.TwentyQuestions => new LlmTwentyQuestionsOracle(generator),
            DialogueTasks.GuessMyCity => new LlmCityOracle(generator),
            _ => new LlmCarBuyer(generator),
        };
        def = def with { CreateEnvironment = () => DialogueTasks.CreateEnvironment(task, simulator) };
        parse.InvocationConfiguration.Output.WriteLine($"simulator: {generator.Description}");
        return true;
    }

    /// <summary>Show Spectre progress only on an interactive console (never in tests or pipes).</summary>
    public static bool ShowProgress(ParseResult parse)
        => ReferenceEquals(parse.InvocationConfiguration.Output, Console.Out) && !Console.IsOutputRedirected;
}

/// <summary>Which simulator a dialogue task runs with (<c>--simulator</c>).</summary>
public enum SimulatorKind
{
    Scripted,
    Llama,
    OpenAi,
}

/// <summary>A parsed <c>--simulator scripted|llama:&lt;path.gguf&gt;|openai:&lt;base-url&gt;[,model=NAME]</c> value.</summary>
public sealed record SimulatorSpec(SimulatorKind Kind, string? ModelPath = null, Uri? BaseUrl = null, string? Model = null)
{
    public const string Forms = "scripted, llama:<path.gguf> or openai:<base-url>[,model=NAME]";

    /// <summary>Parses a value; returns null and an error message when it is malformed.</summary>
    public static SimulatorSpec? Parse(string value, out string? error)
    {
        error = null;
        var v = value.Trim();
        if (v == "scripted") return new SimulatorSpec(SimulatorKind.Scripted);
        if (v.StartsWith("llama:", StringComparison.Ordinal))
        {
            var path = v["llama:".Length..];
            if (path.Length == 0) { error = "llama: needs the path of a GGUF model, e.g. llama:models/oracle.gguf"; return null; }
            return new SimulatorSpec(SimulatorKind.Llama, ModelPath: path);
        }
        if (v.StartsWith("openai:", StringComparison.Ordinal))
        {
            var parts = v["openai:".Length..].Split(',');
            if (!Uri.TryCreate(parts[0], UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https"))
            {
                error = $"openai: needs an absolute http(s) base URL, e.g. openai:http://127.0.0.1:8080/v1 (got '{parts[0]}')";
                return null;
            }
            var model = "local";
            foreach (var p in parts.Skip(1))
            {
                if (p.StartsWith("model=", StringComparison.Ordinal) && p.Length > "model=".Length) model = p["model=".Length..];
                else { error = $"openai: unknown or empty setting '{p}' (only model=NAME)"; return null; }
            }
            return new SimulatorSpec(SimulatorKind.OpenAi, BaseUrl: url, Model: model);
        }
        error = $"unknown simulator '{value}'; use {Forms}";
        return null;
    }
}
