using System.Collections.Immutable;
using HighPerf.Gym.Core;

namespace HighPerf.Gym.Maze;

/// <summary>What one maze step did.</summary>
public enum MazeStepOutcome : byte
{
    /// <summary>A valid move (possibly into a wall, which leaves the position unchanged).</summary>
    Moved,
    /// <summary>The move reached the goal: reward 0, done.</summary>
    Goal,
    /// <summary>The action string was not one of the four valid ones: reward −4.</summary>
    Invalid,
    /// <summary>The step budget was already spent: reward −1, done, the action is not executed.</summary>
    Failure,
}

/// <summary>The whole maze state as a value: the allocation-free core under <see cref="MazeEnvironment"/>.</summary>
public struct MazeState
{
    public int Row;
    public int Col;
    /// <summary>Steps taken so far (every call that was not the final Failure counts).</summary>
    public int Steps;
    public bool Done;
    public bool Succeeded;

    public static MazeState At(int row, int col)
    {
        if (!MazeLayout.IsFree(row, col) || (row, col) == (MazeLayout.GoalRow, MazeLayout.GoalCol))
            throw new ArgumentOutOfRangeException(nameof(row), $"({row}, {col}) is not a start cell (must be free and not the goal)");
        return new MazeState { Row = row, Col = col };
    }

    /// <summary>One step of the standard reward (spec §2.1): goal 0, invalid −4, otherwise −1; after
    /// <paramref name="maxSteps"/> non-goal steps the next call is a Failure (−1, done, action not executed).</summary>
    public float Step(MazeMove? move, int maxSteps, out MazeStepOutcome outcome)
    {
        if (Done) throw new InvalidOperationException("the maze episode is over; call Reset first");
        if (Steps >= maxSteps)
        {
            Done = true;
            outcome = MazeStepOutcome.Failure;
            return -1f;
        }
        Steps++;
        if (move is not { } m)
        {
            outcome = MazeStepOutcome.Invalid;
            return -4f;
        }
        (Row, Col) = MazeLayout.Apply(Row, Col, m);
        if (Row == MazeLayout.GoalRow && Col == MazeLayout.GoalCol)
        {
            Done = true;
            Succeeded = true;
            outcome = MazeStepOutcome.Goal;
            return 0f;
        }
        outcome = MazeStepOutcome.Moved;
        return -1f;
    }
}

/// <summary>Maze, fully observed (FO) or partially observed (PO), spec §2.1.
/// <list type="bullet">
/// <item>Layout "double_t_maze", goal (8, 6), start uniform over the 25 other free cells (from the reset seed).</item>
/// <item>Actions "move up\n" / "move down\n" / "move left\n" / "move right\n"; anything else is invalid (−4) and the
/// returned history holds only the new observation (context reset, as the authors' code does).</item>
/// <item>Rewards: −1 per move including wall bumps, 0 for the move that reaches the goal ("Success\n", done).</item>
/// <item>Horizon 100: after 100 non-goal steps the next step returns "Failure\n", −1, done, without executing the action
/// (minimum return with valid actions −101).</item>
/// <item>Context window: FO keeps the last 1 item (the observation), PO the last 40 items (the training/eval scripts'
/// <c>last_k</c>; the code's eval_bc default of 1 for PO is a known upstream mismatch and is not copied).</item>
/// </list>
/// FO uses the code's describe_observation_give_position text; the PPO script's goal-without-position variant is not used.</summary>
public sealed class MazeEnvironment : ITextEnvironment, IEpisodeOutcome
{
    public const int DefaultMaxSteps = 100;
    public const int PartiallyObservedWindow = 40;

    private static readonly TextHistory?[] FoSingles = BuildSingles(true);
    private static readonly TextHistory?[] PoSingles = BuildSingles(false);
    private static readonly TextHistory SuccessSingle = new(ImmutableList.Create(TextItem.Observation(MazeText.Success)));
    private static readonly TextHistory FailureSingle = new(ImmutableList.Create(TextItem.Observation(MazeText.Failure)));

    private MazeState _state;
    private bool _started;

    public MazeEnvironment(bool fullyObserved, int? window = null, int maxSteps = DefaultMaxSteps)
    {
        var k = window ?? (fullyObserved ? 1 : PartiallyObservedWindow);
        if (k < 1) throw new ArgumentOutOfRangeException(nameof(window), k, "window must be at least 1 item");
        if (maxSteps < 1) throw new ArgumentOutOfRangeException(nameof(maxSteps), maxSteps, "must be positive");
        FullyObserved = fullyObserved;
        Window = k;
        MaxSteps = maxSteps;
    }

    public bool FullyObserved { get; }

    /// <summary>How many trailing items the returned history keeps.</summary>
    public int Window { get; }

    public int MaxSteps { get; }

    /// <summary>Current state (privileged; reference policies may read it).</summary>
    public MazeState State => _state;

    /// <summary>Where the current episode started.</summary>
    public (int Row, int Col) Start { get; private set; }

    public bool Succeeded => _state.Succeeded;

    /// <summary>Observation text for a cell in this variant.</summary>
    public string ObservationText(int row, int col) => FullyObserved ? MazeText.FullyObservedText(row, col) : MazeText.PartiallyObservedText(row, col);

    public TextHistory Reset(int seed)
    {
        var (row, col) = MazeLayout.StartCells[SeedHash.Uniform(seed, MazeLayout.StartCells.Count)];
        return ResetAt(row, col);
    }

    /// <summary>Starts an episode at a given start cell (the code's <c>options["init_position"]</c>).</summary>
    public TextHistory ResetAt(int row, int col)
    {
        _state = MazeState.At(row, col);
        Start = (row, col);
        _started = true;
        return Single(row, col);
    }

    public StepResult Step(TextHistory history)
    {
        ArgumentNullException.ThrowIfNull(history);
        if (!_started) throw new InvalidOperationException("call Reset before Step");
        if (history.Count == 0 || !history.Items[^1].IsAction)
            throw new ArgumentException("the last item of the history must be the agent's action", nameof(history));
        var reward = _state.Step(MazeText.ParseAction(history.Items[^1].Text), MaxSteps, out var outcome);
        var next = outcome switch
        {
            MazeStepOutcome.Goal => Window == 1 ? SuccessSingle : Windowed(history, MazeText.Success),
            MazeStepOutcome.Failure => Window == 1 ? FailureSingle : Windowed(history, MazeText.Failure),
            MazeStepOutcome.Invalid => Single(_state.Row, _state.Col),
            _ => Window == 1 ? Single(_state.Row, _state.Col) : Windowed(history, ObservationText(_state.Row, _state.Col)),
        };
        return new StepResult(next, reward, _state.Done);
    }

    private TextHistory Single(int row, int col) => (FullyObserved ? FoSingles : PoSingles)[MazeLayout.Cell(row, col)]!;

    private TextHistory Windowed(TextHistory history, string observation)
    {
        var items = history.Items.Add(TextItem.Observation(observation));
        if (items.Count > Window) items = items.RemoveRange(0, items.Count - Window);
        return new TextHistory(items);
    }

    private static TextHistory?[] BuildSingles(bool fo)
    {
        var result = new TextHistory?[MazeLayout.CellCount];
        for (var r = 0; r < MazeLayout.Rows; r++)
            for (var c = 0; c < MazeLayout.Cols; c++)
                if (MazeLayout.IsFree(r, c))
                    result[MazeLayout.Cell(r, c)] = new TextHistory(ImmutableList.Create(TextItem.Observation(fo ? MazeText.FullyObservedText(r, c) : MazeText.PartiallyObservedText(r, c))));
        return result;
    }
}
