using HighPerf.Gym.Evaluation;

namespace HighPerf.Gym.Core;

/// <summary>Which episodes filtered behaviour cloning keeps (spec §4.7 "%BC filter").</summary>
public abstract record FilteredBcRule
{
    /// <summary>Keep successful episodes (Maze, Text-Nav, Chess, Endgames).</summary>
    public sealed record SuccessOnly : FilteredBcRule
    {
        public override string ToString() => "success";
    }

    /// <summary>Keep the top <see cref="Fraction"/> of episodes by return (dialogue tasks 0.1, Wordle 0.3).</summary>
    public sealed record TopFraction(double Fraction) : FilteredBcRule
    {
        public override string ToString() => $"top {Fraction:P0} by return";
    }

    public static FilteredBcRule Success { get; } = new SuccessOnly();

    public static FilteredBcRule Top(double fraction)
        => fraction is > 0 and <= 1 ? new TopFraction(fraction) : throw new ArgumentOutOfRangeException(nameof(fraction), fraction, "must be in (0, 1]");

    /// <summary>Applies the rule to a whole dataset. TopFraction keeps ceil(f·N) episodes with the highest returns
    /// (ties broken by dataset order, so the result is deterministic).</summary>
    public IReadOnlyList<EpisodeRecord> Apply(IReadOnlyList<EpisodeRecord> episodes)
    {
        ArgumentNullException.ThrowIfNull(episodes);
        switch (this)
        {
            case SuccessOnly:
                return [.. episodes.Where(e => e.Success)];
            case TopFraction top:
                var keep = (int)Math.Ceiling(top.Fraction * episodes.Count);
                var chosen = episodes.Select((e, i) => (e, i)).OrderByDescending(x => x.e.Return).ThenBy(x => x.i).Take(keep).Select(x => x.i).ToHashSet();
                return [.. episodes.Where((_, i) => chosen.Contains(i))];
            default:
                throw new InvalidOperationException($"unknown filtered-BC rule {GetType().Name}");
        }
    }
}

/// <summary>Makes the offline dataset of a task: <paramref name="episodes"/> episodes from the run seed.</summary>
public delegate IEnumerable<EpisodeRecord> DatasetGenerator(int episodes, int seed);

/// <summary>Everything the tool chain needs to know about one task. Register one with <see cref="TaskRegistry"/>
/// (built-in tasks are listed in <c>Tasks/TaskCatalog.cs</c>).</summary>
public sealed record TaskDefinition
{
    /// <summary>Registry name, lower-case with dashes (e.g. "maze-fo").</summary>
    public required string Name { get; init; }

    public required string Description { get; init; }

    /// <summary>A fresh environment instance (one per concurrent episode).</summary>
    public required Func<ITextEnvironment> CreateEnvironment { get; init; }

    /// <summary>An environment that replays a recorded episode from that episode's own start, for datasets whose
    /// episodes start where <see cref="CreateEnvironment"/> never resets (the endgames' training positions are disjoint
    /// from the evaluation positions); null: <see cref="CreateEnvironment"/> reset with the episode's seed.</summary>
    public Func<EpisodeRecord, ITextEnvironment>? ReplayEnvironment { get; init; }

    /// <summary>The environment that replays <paramref name="record"/> (see <see cref="ReplayEnvironment"/>).</summary>
    public ITextEnvironment CreateReplayEnvironment(EpisodeRecord record)
        => ReplayEnvironment is { } replay ? replay(record ?? throw new ArgumentNullException(nameof(record))) : CreateEnvironment();

    /// <summary>Reference policies by name: at least "random", "behavior" (the dataset policy) and "expert" where one exists.</summary>
    public required IReadOnlyDictionary<string, PolicyFactory> Policies { get; init; }

    /// <summary>Paper constants (spec §3, Table 5); null when the task has none (then say why in <see cref="NormalizationNote"/>).</summary>
    public NormalizationConstants? Normalization { get; init; }

    /// <summary>Why the normalization is missing or how it was chosen.</summary>
    public string? NormalizationNote { get; init; }

    public required FilteredBcRule FilteredBc { get; init; }

    /// <summary>The enumerable actions a policy may re-rank instead of generating freely (Maze: the four moves; Text-Nav:
    /// the admissible commands each observation lists), or null where actions are free text.</summary>
    public ActionCandidates? ActionCandidates { get; init; }

    /// <summary>Success rule for environments that do not implement <see cref="IEpisodeOutcome"/>.</summary>
    public Func<TextTrajectory, bool>? Success { get; init; }

    /// <summary>Dataset generator; null means "run the behaviour policy with <see cref="RunOptions"/> defaults".</summary>
    public DatasetGenerator? Dataset { get; init; }

    /// <summary>Episodes per evaluation in the paper's protocol (spec §3).</summary>
    public int EvalEpisodes { get; init; } = 256;

    /// <summary>Default dataset size: sized for a small machine (seconds); the paper's size is in <see cref="PaperDatasetSize"/>.</summary>
    public int DatasetEpisodes { get; init; } = 1000;

    public int? PaperDatasetSize { get; init; }

    /// <summary>The paper's Table 1 statistics for comparison (null where the paper has none).</summary>
    public PaperDatasetStatistics? PaperStatistics { get; init; }

    /// <summary>Gets a reference policy by name, or throws listing the known ones.</summary>
    public PolicyFactory GetPolicy(string name)
        => Policies.TryGetValue(name, out var p) ? p
            : throw new KeyNotFoundException($"task '{Name}' has no policy '{name}'; known: {string.Join(", ", Policies.Keys)}");

    /// <summary>Run options preset with this task's name and success rule.</summary>
    public RunOptions RunOptions(int seed, int batchSize = 32) => new() { Task = Name, Seed = seed, BatchSize = batchSize, Success = Success };

    /// <summary>Generates the offline dataset: the task's generator, or the behaviour policy's rollouts.</summary>
    public IEnumerable<EpisodeRecord> GenerateDataset(int episodes, int seed)
        => Dataset is not null ? Dataset(episodes, seed) : EpisodeRunner.Run(CreateEnvironment, GetPolicy("behavior"), episodes, RunOptions(seed));
}

/// <summary>A row of the paper's Table 1 (spec §2 summary table).</summary>
public sealed record PaperDatasetStatistics(double Trajectories, double AvgLength, double StdLength, double SuccessRate, double AvgReturn, double StdReturn);

/// <summary>Name → task. Built-in tasks come from <see cref="Tasks.TaskCatalog"/>; more can be added at run time.</summary>
public static class TaskRegistry
{
    private static readonly Lock Gate = new();
    private static readonly Dictionary<string, TaskDefinition> Tasks = new(StringComparer.Ordinal);
    private static readonly List<string> Order = [];
    private static bool _loaded;

    /// <summary>Adds a task; throws if the name is taken or malformed.</summary>
    public static void Register(TaskDefinition task)
    {
        ArgumentNullException.ThrowIfNull(task);
        lock (Gate)
        {
            EnsureLoaded();
            Add(task);
        }
    }

    private static void Add(TaskDefinition task)
    {
        if (string.IsNullOrWhiteSpace(task.Name) || task.Name.Any(c => !(char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-')))
            throw new ArgumentException($"task name '{task.Name}' must be lower-case ASCII letters, digits and dashes");
        if (!Tasks.TryAdd(task.Name, task))
            throw new InvalidOperationException($"task '{task.Name}' is already registered");
        Order.Add(task.Name);
    }

    private static void EnsureLoaded()
    {
        if (_loaded) return;
        _loaded = true;
        foreach (var factory in HighPerf.Gym.Tasks.TaskCatalog.All) Add(factory());
    }

    /// <summary>All tasks in registration order.</summary>
    public static IReadOnlyList<TaskDefinition> All
    {
        get
        {
            lock (Gate)
            {
                EnsureLoaded();
                return [.. Order.Select(n => Tasks[n])];
            }
        }
    }

    public static bool TryGet(string name, out TaskDefinition task)
    {
        lock (Gate)
        {
            EnsureLoaded();
            return Tasks.TryGetValue(name, out task!);
        }
    }

    /// <summary>Gets a task or throws a <see cref="KeyNotFoundException"/> listing the registered names.</summary>
    public static TaskDefinition Get(string name)
        => TryGet(name, out var task) ? task
            : throw new KeyNotFoundException($"unknown task '{name}'; registered tasks: {string.Join(", ", All.Select(t => t.Name))}");
}
