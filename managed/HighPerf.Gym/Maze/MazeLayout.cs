namespace HighPerf.Gym.Maze;

/// <summary>The benchmark's "double_t_maze" (spec §2.1): 10 rows × 13 columns, (row, col) with row 0 at the top,
/// 26 free cells, goal fixed at (8, 6), 25 start cells (every free cell but the goal).</summary>
public static class MazeLayout
{
    public const int Rows = 10;
    public const int Cols = 13;
    public const int GoalRow = 8;
    public const int GoalCol = 6;
    public const int CellCount = Rows * Cols;

    /// <summary>'#' wall, '.' free, 'G' goal (free).</summary>
    public static readonly string[] Map =
    [
        "#############",
        "#.....#.....#",
        "###.#####.###",
        "###.#####.###",
        "###.#####.###",
        "###.......###",
        "######.######",
        "######.######",
        "######G######",
        "#############",
    ];

    private static readonly int[] DRow = [-1, 1, 0, 0];
    private static readonly int[] DCol = [0, 0, -1, 1];

    private static readonly bool[] Free = BuildFree();
    private static readonly int[] Distance = BuildDistances();

    /// <summary>Start cells in row-major order (25 of them).</summary>
    public static readonly IReadOnlyList<(int Row, int Col)> StartCells = BuildStarts();

    public static int GoalCell => Cell(GoalRow, GoalCol);

    public static int Cell(int row, int col) => row * Cols + col;

    public static bool IsFree(int row, int col) => row >= 0 && row < Rows && col >= 0 && col < Cols && Free[Cell(row, col)];

    /// <summary>BFS distance (moves) from a free cell to the goal; -1 for walls.</summary>
    public static int DistanceToGoal(int row, int col) => IsFree(row, col) ? Distance[Cell(row, col)] : -1;

    /// <summary>The cell a move leads to; a move into a wall leaves the position unchanged.</summary>
    public static (int Row, int Col) Apply(int row, int col, MazeMove move)
    {
        var r = row + DRow[(int)move];
        var c = col + DCol[(int)move];
        return IsFree(r, c) ? (r, c) : (row, col);
    }

    private static bool[] BuildFree()
    {
        var free = new bool[CellCount];
        for (var r = 0; r < Rows; r++)
            for (var c = 0; c < Cols; c++)
                free[Cell(r, c)] = Map[r][c] != '#';
        return free;
    }

    private static int[] BuildDistances()
    {
        var dist = new int[CellCount];
        Array.Fill(dist, -1);
        var queue = new Queue<(int, int)>();
        dist[Cell(GoalRow, GoalCol)] = 0;
        queue.Enqueue((GoalRow, GoalCol));
        while (queue.Count > 0)
        {
            var (r, c) = queue.Dequeue();
            for (var m = 0; m < 4; m++)
            {
                var (nr, nc) = (r + DRow[m], c + DCol[m]);
                if (IsFree(nr, nc) && dist[Cell(nr, nc)] < 0)
                {
                    dist[Cell(nr, nc)] = dist[Cell(r, c)] + 1;
                    queue.Enqueue((nr, nc));
                }
            }
        }
        return dist;
    }

    private static List<(int, int)> BuildStarts()
    {
        var starts = new List<(int, int)>();
        for (var r = 0; r < Rows; r++)
            for (var c = 0; c < Cols; c++)
                if (IsFree(r, c) && (r, c) != (GoalRow, GoalCol)) starts.Add((r, c));
        return starts;
    }

    /// <summary>The three T-shaped sub-mazes the dataset restricts each trajectory to (spec §2.1 "Offline dataset"):
    /// 0 = left T (row 1 cols 1–5 and col 3 rows 2–4), 1 = right T (row 1 cols 7–11 and col 9 rows 2–4),
    /// 2 = bottom T holding the goal (row 5 cols 3–9 and col 6 rows 6–8).</summary>
    public static int SubMaze(int row, int col)
    {
        if (!IsFree(row, col)) throw new ArgumentOutOfRangeException(nameof(row), $"({row}, {col}) is a wall");
        if (row >= 5) return 2;
        return col <= 5 ? 0 : 1;
    }

    /// <summary>The cell each sub-maze's solver heads for: the goal in the goal's sub-maze, otherwise the sub-maze
    /// cell closest to the goal (the bottom of its stem).</summary>
    public static (int Row, int Col) SubMazeTarget(int subMaze) => subMaze switch
    {
        0 => (4, 3),
        1 => (4, 9),
        2 => (GoalRow, GoalCol),
        _ => throw new ArgumentOutOfRangeException(nameof(subMaze)),
    };
}

/// <summary>The four moves, in the order the action strings are listed in the spec.</summary>
public enum MazeMove : byte
{
    Up = 0,
    Down = 1,
    Left = 2,
    Right = 3,
}
