using System.Text;

namespace HighPerf.Gym.Maze;

/// <summary>Maze text formats (spec §2.1), precomputed per cell so stepping allocates no strings.</summary>
public static class MazeText
{
    public const string MoveUp = "move up\n";
    public const string MoveDown = "move down\n";
    public const string MoveLeft = "move left\n";
    public const string MoveRight = "move right\n";
    public const string Success = "Success\n";
    public const string Failure = "Failure\n";

    /// <summary>The valid action strings indexed by <see cref="MazeMove"/>.</summary>
    public static readonly string[] Actions = [MoveUp, MoveDown, MoveLeft, MoveRight];

    private static readonly string?[] FullyObserved = new string?[MazeLayout.CellCount];
    private static readonly string?[] PartiallyObserved = new string?[MazeLayout.CellCount];

    static MazeText()
    {
        for (var r = 0; r < MazeLayout.Rows; r++)
            for (var c = 0; c < MazeLayout.Cols; c++)
                if (MazeLayout.IsFree(r, c))
                {
                    var walls = WallPhrase(r, c);
                    FullyObserved[MazeLayout.Cell(r, c)] =
                        $"The goal is at position {Digits(MazeLayout.GoalRow)}, {Digits(MazeLayout.GoalCol)}. Your current position is at position {Digits(r)}, {Digits(c)}. {walls}\n";
                    PartiallyObserved[MazeLayout.Cell(r, c)] = walls + "\n";
                }
    }

    /// <summary>Parses an action string: the move, or null when it is not exactly one of the four valid strings.</summary>
    public static MazeMove? ParseAction(string action)
    {
        // Reference checks first: policies usually hand back the interned constants.
        if (ReferenceEquals(action, MoveUp)) return MazeMove.Up;
        if (ReferenceEquals(action, MoveDown)) return MazeMove.Down;
        if (ReferenceEquals(action, MoveLeft)) return MazeMove.Left;
        if (ReferenceEquals(action, MoveRight)) return MazeMove.Right;
        return action switch
        {
            MoveUp => MazeMove.Up,
            MoveDown => MazeMove.Down,
            MoveLeft => MazeMove.Left,
            MoveRight => MazeMove.Right,
            _ => null,
        };
    }

    /// <summary>FO observation: goal, position (digits space-separated) and wall phrase, ending in "\n".</summary>
    public static string FullyObservedText(int row, int col)
        => MazeLayout.IsFree(row, col) ? FullyObserved[MazeLayout.Cell(row, col)]! : throw new ArgumentOutOfRangeException(nameof(row), $"({row}, {col}) is a wall");

    /// <summary>PO observation: the wall phrase only, ending in "\n".</summary>
    public static string PartiallyObservedText(int row, int col)
        => MazeLayout.IsFree(row, col) ? PartiallyObserved[MazeLayout.Cell(row, col)]! : throw new ArgumentOutOfRangeException(nameof(row), $"({row}, {col}) is a wall");

    /// <summary>Digits joined by single spaces: 10 → "1 0" (spec §2.1).</summary>
    public static string Digits(int value)
    {
        if (value < 0) throw new ArgumentOutOfRangeException(nameof(value), value, "must be non-negative");
        return string.Join(' ', value.ToString(System.Globalization.CultureInfo.InvariantCulture).ToCharArray());
    }

    /// <summary>The wall phrase; neighbours checked in the fixed order right, left, above, below.</summary>
    public static string WallPhrase(int row, int col)
    {
        var rel = new List<string>(4);
        if (!MazeLayout.IsFree(row, col + 1)) rel.Add("to your right");
        if (!MazeLayout.IsFree(row, col - 1)) rel.Add("to your left");
        if (!MazeLayout.IsFree(row - 1, col)) rel.Add("above you");
        if (!MazeLayout.IsFree(row + 1, col)) rel.Add("below you");
        return rel.Count switch
        {
            0 => "There are no walls near you.",
            1 => $"There is a wall {rel[0]}.",
            _ => new StringBuilder("There are walls ").AppendJoin(", ", rel).Append('.').ToString(),
        };
    }
}
