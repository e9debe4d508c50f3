namespace HighPerf.Gym.Chess;

/// <summary>Perft: the number of leaf nodes of the legal move tree to a fixed depth, the standard correctness test
/// for move generators. Leaves are bulk-counted (at depth 1 the legal move count is the answer), as Stockfish's
/// own <c>go perft</c> does, so node rates are comparable.</summary>
public static class Perft
{
    public static long Count(Board board, int depth)
    {
        ArgumentNullException.ThrowIfNull(board);
        ArgumentOutOfRangeException.ThrowIfNegative(depth);
        return depth == 0 ? 1 : Recurse(board, depth);
    }

    private static long Recurse(Board board, int depth)
    {
        Span<Move> moves = stackalloc Move[Board.MaxLegalMoves];
        int n = board.GenerateLegal(moves);
        if (depth == 1) return n;
        long nodes = 0;
        for (int i = 0; i < n; i++)
        {
            board.MakeMove(moves[i]);
            nodes += Recurse(board, depth - 1);
            board.UnmakeMove();
        }
        return nodes;
    }

    /// <summary>Per-root-move counts ("divide"), in generation order, for locating move generator bugs.</summary>
    public static IReadOnlyList<(Move Move, long Nodes)> Divide(Board board, int depth)
    {
        ArgumentNullException.ThrowIfNull(board);
        ArgumentOutOfRangeException.ThrowIfLessThan(depth, 1);
        var result = new List<(Move, long)>();
        foreach (var move in board.LegalMoves())
        {
            board.MakeMove(move);
            result.Add((move, depth == 1 ? 1 : Recurse(board, depth - 1)));
            board.UnmakeMove();
        }
        return result;
    }
}
