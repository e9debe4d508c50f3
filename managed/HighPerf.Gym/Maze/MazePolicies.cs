using System.Numerics;
using HighPerf.Gym.Core;

namespace HighPerf.Gym.Maze;

/// <summary>Uniformly random valid move.</summary>
public sealed class MazeRandomPolicy : ITextPolicy
{
    public string Act(TextHistory history, Random rng) => MazeText.Actions[rng.Next(4)];
}

/// <summary>Expert from the text alone (no privileged state): tracks the set of cells consistent with the observations
/// and moves in the history window (a belief over the 26 free cells, as a bit mask), then takes the move with the
/// smallest expected BFS distance to the goal over that belief (QMDP), ties broken at random.
/// FO observations name the cell, so the belief is a single cell and the policy is the exact BFS-optimal policy
/// from any state; in PO it is a belief-state planner (the left/right wording of the wall phrase makes the belief
/// collapse within a few moves).</summary>
public sealed class MazeExpertPolicy : ITextPolicy
{
    private static readonly int[] FreeCells = BuildFree();
    private static readonly int[] FreeIndex = BuildIndex();
    private static readonly Dictionary<string, uint> ObservationMasks = BuildMasks();
    private static readonly uint NonGoalMask = AllMask() & ~(1u << FreeIndex[MazeLayout.GoalCell]);
    private static readonly int[,] Next = BuildNext();

    public string Act(TextHistory history, Random rng)
    {
        ArgumentNullException.ThrowIfNull(history);
        var belief = Belief(history);
        Span<double> score = stackalloc double[4];
        var best = double.MaxValue;
        for (var m = 0; m < 4; m++)
        {
            double sum = 0;
            var n = 0;
            for (var bits = belief; bits != 0; bits &= bits - 1)
            {
                var cell = FreeCells[BitOperations.TrailingZeroCount(bits)];
                var to = FreeCells[Next[FreeIndex[cell], m]];
                sum += MazeLayout.DistanceToGoal(to / MazeLayout.Cols, to % MazeLayout.Cols);
                n++;
            }
            score[m] = n == 0 ? 0 : sum / n;
            best = Math.Min(best, score[m]);
        }
        Span<int> ties = stackalloc int[4];
        var count = 0;
        for (var m = 0; m < 4; m++) if (score[m] <= best + 1e-9) ties[count++] = m;
        return MazeText.Actions[ties[count == 1 ? 0 : rng.Next(count)]];
    }

    /// <summary>The set of free cells (bit i = FreeCells[i]) consistent with the history window.</summary>
    public static uint Belief(TextHistory history)
    {
        uint belief = 0;
        var started = false;
        MazeMove? pending = null;
        uint lastObservation = 0;
        foreach (var item in history.Items)
        {
            if (item.IsAction)
            {
                pending = MazeText.ParseAction(item.Text);
                continue;
            }
            if (!ObservationMasks.TryGetValue(item.Text, out var obs)) continue; // "Success"/"Failure" or foreign text
            lastObservation = obs;
            if (!started)
            {
                belief = obs & NonGoalMask;
                started = true;
            }
            else
            {
                belief = pending is { } m ? Propagate(belief, m) & obs : obs;
            }
            if (belief == 0) belief = obs; // inconsistent window (should not happen): trust the latest observation
            pending = null;
        }
        return belief != 0 ? belief : lastObservation != 0 ? lastObservation : NonGoalMask;
    }

    private static uint Propagate(uint belief, MazeMove move)
    {
        uint next = 0;
        for (var bits = belief; bits != 0; bits &= bits - 1)
            next |= 1u << Next[BitOperations.TrailingZeroCount(bits), (int)move];
        return next;
    }

    private static int[] BuildFree()
    {
        var list = new List<int>();
        for (var cell = 0; cell < MazeLayout.CellCount; cell++)
            if (MazeLayout.IsFree(cell / MazeLayout.Cols, cell % MazeLayout.Cols)) list.Add(cell);
        return [.. list];
    }

    private static int[] BuildIndex()
    {
        var index = new int[MazeLayout.CellCount];
        Array.Fill(index, -1);
        for (var i = 0; i < FreeCells.Length; i++) index[FreeCells[i]] = i;
        return index;
    }

    private static uint AllMask() => FreeCells.Length >= 32 ? uint.MaxValue : (1u << FreeCells.Length) - 1;

    /// <summary>Next[i, move] = free-cell index reached from free cell i.</summary>
    private static int[,] BuildNext()
    {
        var next = new int[FreeCells.Length, 4];
        for (var i = 0; i < FreeCells.Length; i++)
            for (var m = 0; m < 4; m++)
            {
                var (r, c) = MazeLayout.Apply(FreeCells[i] / MazeLayout.Cols, FreeCells[i] % MazeLayout.Cols, (MazeMove)m);
                next[i, m] = FreeIndex[MazeLayout.Cell(r, c)];
            }
        return next;
    }

    private static Dictionary<string, uint> BuildMasks()
    {
        var masks = new Dictionary<string, uint>(StringComparer.Ordinal);
        for (var i = 0; i < FreeCells.Length; i++)
        {
            var (r, c) = (FreeCells[i] / MazeLayout.Cols, FreeCells[i] % MazeLayout.Cols);
            foreach (var text in new[] { MazeText.FullyObservedText(r, c), MazeText.PartiallyObservedText(r, c) })
                masks[text] = masks.GetValueOrDefault(text) | 1u << i;
        }
        return masks;
    }
}

/// <summary>The dataset's behaviour policy (spec §2.1 "Offline dataset", [P24 App C.1]): the trajectory is confined to
/// the T-shaped sub-maze it starts in; each move comes from a sub-maze solver with probability 0.15 (a shortest path
/// inside the sub-maze to its target: the goal in the goal's sub-maze, else the bottom of the stem — hence
/// "suboptimal") and is uniformly random otherwise. It reads the environment's privileged position, as the authors'
/// scripted data collection did. The dataset generator ends an episode (truncated) when a move leaves the sub-maze,
/// so only episodes starting in the goal's sub-maze can succeed and none is optimal end to end.</summary>
public sealed class MazeBehaviorPolicy : ITextPolicy
{
    public const double SolverProbability = 0.15;
    private static readonly int[][] SubMazeDistance = [BuildSubMazeDistances(0), BuildSubMazeDistances(1), BuildSubMazeDistances(2)];

    private readonly MazeEnvironment _env;
    private readonly double _solverProbability;

    public MazeBehaviorPolicy(ITextEnvironment environment, double solverProbability = SolverProbability)
    {
        _env = environment as MazeEnvironment ?? throw new ArgumentException($"the maze behaviour policy needs a {nameof(MazeEnvironment)}, got {environment?.GetType().Name ?? "null"}", nameof(environment));
        _solverProbability = solverProbability is >= 0 and <= 1 ? solverProbability : throw new ArgumentOutOfRangeException(nameof(solverProbability));
    }

    public string Act(TextHistory history, Random rng)
    {
        var state = _env.State;
        var sub = MazeLayout.SubMaze(_env.Start.Row, _env.Start.Col);
        if (rng.NextDouble() < _solverProbability && MazeLayout.SubMaze(state.Row, state.Col) == sub)
        {
            var dist = SubMazeDistance[sub];
            var here = dist[MazeLayout.Cell(state.Row, state.Col)];
            for (var m = 0; m < 4; m++)
            {
                var (r, c) = MazeLayout.Apply(state.Row, state.Col, (MazeMove)m);
                var d = dist[MazeLayout.Cell(r, c)];
                if (d >= 0 && d < here) return MazeText.Actions[m];
            }
        }
        return MazeText.Actions[rng.Next(4)];
    }

    /// <summary>True when the environment's position has left the sub-maze the episode started in.</summary>
    public static bool LeftSubMaze(ITextEnvironment environment)
        => environment is MazeEnvironment env && !env.State.Done
           && MazeLayout.SubMaze(env.State.Row, env.State.Col) != MazeLayout.SubMaze(env.Start.Row, env.Start.Col);

    private static int[] BuildSubMazeDistances(int sub)
    {
        var dist = new int[MazeLayout.CellCount];
        Array.Fill(dist, -1);
        var (tr, tc) = MazeLayout.SubMazeTarget(sub);
        var queue = new Queue<(int, int)>();
        dist[MazeLayout.Cell(tr, tc)] = 0;
        queue.Enqueue((tr, tc));
        while (queue.Count > 0)
        {
            var (r, c) = queue.Dequeue();
            for (var m = 0; m < 4; m++)
            {
                var (nr, nc) = MazeLayout.Apply(r, c, (MazeMove)m);
                if ((nr, nc) == (r, c) || MazeLayout.SubMaze(nr, nc) != sub || dist[MazeLayout.Cell(nr, nc)] >= 0) continue;
                dist[MazeLayout.Cell(nr, nc)] = dist[MazeLayout.Cell(r, c)] + 1;
                queue.Enqueue((nr, nc));
            }
        }
        return dist;
    }
}
