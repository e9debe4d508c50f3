namespace HighPerf.Gym.Core;

/// <summary>Options of a batched rollout.</summary>
public sealed record RunOptions
{
    /// <summary>Name recorded in each <see cref="EpisodeRecord"/>.</summary>
    public string Task { get; init; } = "";

    /// <summary>Run seed: episode i is reset with <c>EpisodeSeed(Seed, i)</c> and acts with its own RNG.</summary>
    public int Seed { get; init; }

    /// <summary>How many episodes step together (one policy call per round).</summary>
    public int BatchSize { get; init; } = 32;

    /// <summary>Safety cap on actions per episode for environments without their own horizon; the episode is
    /// recorded as truncated (Done = false) when reached.</summary>
    public int MaxActions { get; init; } = 10_000;

    /// <summary>Task success rule used when the environment does not implement <see cref="IEpisodeOutcome"/>.</summary>
    public Func<TextTrajectory, bool>? Success { get; init; }

    /// <summary>Optional truncation rule checked after every step (e.g. the Maze dataset stops an episode when the
    /// behaviour policy leaves its sub-maze). A truncated episode is recorded with Done = false.</summary>
    public Func<ITextEnvironment, bool>? Truncate { get; init; }
}

/// <summary>Steps N episodes of a task in batches: one environment per slot, one <see cref="IBatchTextPolicy"/> call
/// per round for all live episodes, full-trajectory recording (independent of the environment's context window).
/// Deterministic: episode i's reset seed and RNG depend only on (run seed, i), and episodes are yielded in index
/// order, so the output does not depend on the batch size.</summary>
public static class EpisodeRunner
{
    /// <summary>Derives episode i's seed from the run seed (SplitMix64 finalizer; non-negative).</summary>
    public static int EpisodeSeed(int runSeed, int episode) => Mix(runSeed, episode, 0x5EED);

    internal static int Mix(int a, int b, int salt)
    {
        var z = unchecked(((ulong)(uint)a << 32 | (uint)b) + 0x9E3779B97F4A7C15UL * (ulong)(uint)salt + 0x9E3779B97F4A7C15UL);
        z = unchecked((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL);
        z = unchecked((z ^ (z >> 27)) * 0x94D049BB133111EBUL);
        z ^= z >> 31;
        return (int)(z & 0x7FFF_FFFF);
    }

    /// <summary>Runs with per-episode reference policies created by <paramref name="factory"/> for each episode's environment.</summary>
    public static IEnumerable<EpisodeRecord> Run(Func<ITextEnvironment> environmentFactory, PolicyFactory factory, int episodes, RunOptions options)
    {
        ArgumentNullException.ThrowIfNull(factory);
        return RunCore(environmentFactory, null, factory, episodes, options);
    }

    /// <summary>Runs with a batch policy (e.g. an LLM).</summary>
    public static IEnumerable<EpisodeRecord> Run(Func<ITextEnvironment> environmentFactory, IBatchTextPolicy policy, int episodes, RunOptions options)
    {
        ArgumentNullException.ThrowIfNull(policy);
        return RunCore(environmentFactory, policy, null, episodes, options);
    }

    private sealed class Slot(ITextEnvironment env)
    {
        public readonly ITextEnvironment Env = env;
        public int Episode = -1;
        public int Seed;
        public TextHistory History = TextHistory.Empty;
        public Random Rng = new(0);
        public ITextPolicy? Policy;
        public readonly List<TextItem> Items = [];
        public readonly List<double> Rewards = [];
        public int Turn;
    }

    private static IEnumerable<EpisodeRecord> RunCore(Func<ITextEnvironment> environmentFactory, IBatchTextPolicy? batchPolicy, PolicyFactory? factory, int episodes, RunOptions options)
    {
        ArgumentNullException.ThrowIfNull(environmentFactory);
        ArgumentNullException.ThrowIfNull(options);
        if (episodes < 0) throw new ArgumentOutOfRangeException(nameof(episodes), episodes, "must be >= 0");
        if (options.BatchSize <= 0) throw new ArgumentOutOfRangeException(nameof(options), options.BatchSize, "BatchSize must be positive");
        if (options.MaxActions <= 0) throw new ArgumentOutOfRangeException(nameof(options), options.MaxActions, "MaxActions must be positive");
        return Iterate();

        IEnumerable<EpisodeRecord> Iterate()
        {
            var slots = new Slot[Math.Min(options.BatchSize, Math.Max(episodes, 1))];
            try
            {
                for (var s = 0; s < slots.Length; s++) slots[s] = new Slot(environmentFactory());
                foreach (var record in Episodes(slots)) yield return record;
            }
            finally
            {
                // The runner made these environments, so it ends them (a chess environment owns a Stockfish process).
                foreach (var slot in slots)
                {
                    if (slot is null) continue;
                    EndPolicy(slot);
                    (slot.Env as IDisposable)?.Dispose();
                }
            }
        }

        IEnumerable<EpisodeRecord> Episodes(Slot[] slots)
        {
            var next = 0;
            var emitNext = 0;
            var finished = new Dictionary<int, EpisodeRecord>();
            var live = new List<Slot>(slots.Length);
            var requests = new List<PolicyRequest>(slots.Length);
            foreach (var slot in slots)
                if (next < episodes) Start(slot, next++);
            while (true)
            {
                live.Clear();
                requests.Clear();
                foreach (var slot in slots)
                    if (slot.Episode >= 0)
                    {
                        live.Add(slot);
                        requests.Add(new PolicyRequest(slot.Episode, slot.Turn, slot.History, slot.Rng));
                    }
                if (live.Count == 0) break;

                IReadOnlyList<string> actions;
                if (batchPolicy is not null)
                {
                    actions = batchPolicy.ActBatch(requests);
                    if (actions is null || actions.Count != requests.Count)
                        throw new InvalidOperationException($"batch policy returned {actions?.Count.ToString() ?? "null"} actions for {requests.Count} requests");
                }
                else
                {
                    var a = new string[live.Count];
                    for (var i = 0; i < a.Length; i++) a[i] = live[i].Policy!.Act(live[i].History, live[i].Rng);
                    actions = a;
                }

                for (var i = 0; i < live.Count; i++)
                {
                    var slot = live[i];
                    var action = ActionText.Normalize(actions[i] ?? throw new InvalidOperationException($"policy returned a null action for episode {slot.Episode}"));
                    var withAction = slot.History.AppendAction(action);
                    var result = slot.Env.Step(withAction);
                    slot.Turn++;
                    slot.Items.Add(TextItem.Action(RecordedAction(action, result.History)));
                    slot.Rewards.Add(result.Reward);
                    AppendNewObservations(slot, result.History);
                    slot.History = result.History;
                    var truncated = !result.Done && (slot.Turn >= options.MaxActions || (options.Truncate?.Invoke(slot.Env) ?? false));
                    if (result.Done || truncated)
                    {
                        var trajectory = new TextTrajectory([.. slot.Items], [.. slot.Rewards], result.Done);
                        var success = slot.Env is IEpisodeOutcome outcome ? outcome.Succeeded : options.Success?.Invoke(trajectory) ?? false;
                        finished[slot.Episode] = new EpisodeRecord(options.Task, slot.Seed, trajectory, success);
                        batchPolicy?.EndEpisode(slot.Episode);
                        slot.Episode = -1;
                        EndPolicy(slot);
                        if (next < episodes) Start(slot, next++);
                    }
                }
                while (finished.Remove(emitNext, out var record))
                {
                    emitNext++;
                    yield return record;
                }
            }
            while (finished.Remove(emitNext, out var rest))
            {
                emitNext++;
                yield return rest;
            }
        }

        // A per-episode policy from the factory belongs to its episode: the chess expert and behaviour policies own a
        // Stockfish process each, so dropping them unended leaked one engine per episode (a 100-game endgames eval
        // held 104 engines and 11 GB).
        static void EndPolicy(Slot slot)
        {
            (slot.Policy as IDisposable)?.Dispose();
            slot.Policy = null;
        }

        void Start(Slot slot, int episode)
        {
            slot.Episode = episode;
            slot.Seed = EpisodeSeed(options.Seed, episode);
            slot.Rng = new Random(Mix(options.Seed, episode, 0xAC7));
            slot.Turn = 0;
            slot.Items.Clear();
            slot.Rewards.Clear();
            slot.History = slot.Env.Reset(slot.Seed);
            foreach (var item in slot.History.Items)
            {
                slot.Items.Add(item);
                slot.Rewards.Add(0.0);
            }
            slot.Policy = factory?.Invoke(slot.Env);
        }
    }

    /// <summary>The action as the environment kept it: the last action item of the returned history when it has one
    /// (an environment may rewrite the agent's text into its canonical form, as Wordle spaces the letters out),
    /// else the agent's text (Markov environments such as chess return no action).</summary>
    private static string RecordedAction(string action, TextHistory returned)
    {
        var items = returned.Items;
        for (var i = items.Count - 1; i >= 0; i--)
            if (items[i].IsAction) return items[i].Text;
        return action;
    }

    /// <summary>The items an environment added in a step: those after the last action of the returned history, or
    /// the whole returned history when it holds no action (the environment reset or replaced the context).</summary>
    private static void AppendNewObservations(Slot slot, TextHistory returned)
    {
        var items = returned.Items;
        var start = 0;
        for (var i = items.Count - 1; i >= 0; i--)
            if (items[i].IsAction) { start = i + 1; break; }
        for (var i = start; i < items.Count; i++)
        {
            slot.Items.Add(items[i]);
            slot.Rewards.Add(0.0);
        }
    }

    /// <summary>Convenience: collects every record of a run.</summary>
    public static List<EpisodeRecord> RunAll(Func<ITextEnvironment> environmentFactory, PolicyFactory factory, int episodes, RunOptions options)
        => [.. Run(environmentFactory, factory, episodes, options)];
}
