using HighPerf.Gym.Core;

namespace HighPerf.Gym.TextNav;

/// <summary>Text-Nav, fully (FO) or partially (PO) observed (spec §2.2), re-implemented natively without TextWorld:
/// the same eight-room house, objects, goal (stale food into the fridge, fridge closed → reward 1, done), failure
/// (eating the stale food → done, 0) and a 15-step cap (the data-collection/human-play horizon; the authors' env
/// class itself has no cap and does not run as written). Spawn room uniform from the reset seed.
/// Observation = feedback (+ FO, after a step: "\n\n" + inventory) + "\n\nAdmissible commands: c1, c2, ...\n" (sorted;
/// none on terminal observations). As upstream's <c>TextNavEnv</c>, FO appends the inventory only in <c>_step</c>
/// (it runs TextWorld's <c>inventory</c> command after each action), not to the first observation. FO descriptions name the room ("You are in the kitchen."), PO ones do not. The first
/// observation starts with the objective sentence. Phrasing is TextWorld-like but not byte-identical (the spec notes
/// exact parity is impossible without TextWorld). The history is kept whole.</summary>
public sealed class TextNavEnvironment : ITextEnvironment, IEpisodeOutcome
{
    public const int DefaultMaxSteps = 15;
    private readonly TextNavGame _game = new(Room.Kitchen);
    private bool _started;
    private bool _done;

    public TextNavEnvironment(bool fullyObserved, int maxSteps = DefaultMaxSteps)
    {
        if (maxSteps < 1) throw new ArgumentOutOfRangeException(nameof(maxSteps), maxSteps, "must be positive");
        FullyObserved = fullyObserved;
        MaxSteps = maxSteps;
        _game.ShowLocation = fullyObserved;
    }

    public bool FullyObserved { get; }

    public int MaxSteps { get; }

    public int Steps { get; private set; }

    /// <summary>The game state (privileged; reference policies may read it).</summary>
    public TextNavGame Game => _game;

    public bool Succeeded => _game.Won;

    public TextHistory Reset(int seed)
    {
        var spawn = (Room)SeedHash.Uniform(seed, TextNavWorld.RoomCount, 0x7E87);
        return ResetAt(spawn);
    }

    public TextHistory ResetAt(Room spawn)
    {
        _game.Reset(spawn);
        _game.ShowLocation = FullyObserved;
        Steps = 0;
        _started = true;
        _done = false;
        return TextHistory.Empty.AppendObservation(Observation(TextNavGame.Objective + "\n\n" + _game.DescribeRoom(FullyObserved), showInventory: false));
    }

    public StepResult Step(TextHistory history)
    {
        ArgumentNullException.ThrowIfNull(history);
        if (!_started) throw new InvalidOperationException("call Reset before Step");
        if (_done) throw new InvalidOperationException("the Text-Nav episode is over; call Reset first");
        if (history.Count == 0 || !history.Items[^1].IsAction)
            throw new ArgumentException("the last item of the history must be the agent's command", nameof(history));
        var feedback = _game.Execute(history.Items[^1].Text, out var wonNow);
        Steps++;
        _done = _game.Over || Steps >= MaxSteps;
        return new StepResult(history.AppendObservation(Observation(feedback, showInventory: FullyObserved)), wonNow ? 1.0 : 0.0, _done);
    }

    private string Observation(string feedback, bool showInventory)
    {
        var body = showInventory ? feedback + "\n\n" + _game.DescribeInventory() : feedback;
        if (_game.Over) return body + "\n";
        return body + "\n\nAdmissible commands: " + string.Join(", ", _game.AdmissibleCommands()) + "\n";
    }

    /// <summary>The admissible commands of the latest observation in <paramref name="history"/> (none when the latest
    /// item is an action or the game is over).</summary>
    public static IReadOnlyList<string> LastAdmissible(TextHistory history)
    {
        ArgumentNullException.ThrowIfNull(history);
        return history.Count > 0 && !history.Items[^1].IsAction ? ParseAdmissible(history.Items[^1].Text) : [];
    }

    /// <summary>Parses the admissible commands out of an observation (what a text-only policy sees).</summary>
    public static IReadOnlyList<string> ParseAdmissible(string observation)
    {
        const string marker = "Admissible commands: ";
        var at = observation.LastIndexOf(marker, StringComparison.Ordinal);
        if (at < 0) return [];
        var list = observation[(at + marker.Length)..].TrimEnd('\n');
        return list.Length == 0 ? [] : list.Split(", ");
    }
}
