namespace HighPerf.Gym.Chess;

/// <summary>
/// Endgame start positions (spec §2.5, upstream <c>large_piece_random_endgame</c>): the pieces of a set such as
/// "kQK" (black king, white queen, white king) placed on distinct uniformly random squares, White to move, kept
/// when the position is legal (one king each, kings not adjacent, Black not in check), White is not in check and the
/// game is not already over. Deterministic for a seed (System.Random with a seed is stable across .NET versions).
/// </summary>
public static class EndgamePositions
{
    /// <summary>The four piece sets of the LMRL-Gym Endgames dataset: K+Q, K+R, K+Q+R, K+R+R against a lone king.</summary>
    public static readonly IReadOnlyList<string> StandardSets = ["kQK", "kRK", "kQRK", "kRRK"];

    /// <summary>One random position for a piece set.</summary>
    public static string Random(string pieces, Random rng)
    {
        ArgumentNullException.ThrowIfNull(pieces);
        ArgumentNullException.ThrowIfNull(rng);
        var parsed = new Piece[pieces.Length];
        for (int i = 0; i < pieces.Length; i++)
            if (!Piece.TryFromFenChar(pieces[i], out parsed[i]))
                throw new ArgumentException($"piece set \"{pieces}\" has '{pieces[i]}', which is not a FEN piece letter", nameof(pieces));
        if (parsed.Count(p => p == Piece.Make(Color.White, PieceType.King)) != 1 || parsed.Count(p => p == Piece.Make(Color.Black, PieceType.King)) != 1)
            throw new ArgumentException($"piece set \"{pieces}\" needs exactly one 'K' and one 'k'", nameof(pieces));
        if (pieces.Length > 32) throw new ArgumentException($"piece set \"{pieces}\" has more than 32 pieces", nameof(pieces));

        var squares = new Piece[64];
        for (int attempt = 0; attempt < 100_000; attempt++)
        {
            Array.Clear(squares);
            foreach (var p in parsed)
            {
                int sq;
                do sq = rng.Next(64); while (!squares[sq].IsNone);
                squares[sq] = p;
            }
            var fen = ToFen(squares);
            if (!Board.TryParseFen(fen, out var board, out _)) continue; // e.g. Black in check, pawn on a back rank
            if (board.InCheck || board.GetOutcome().IsGameOver) continue;
            return fen;
        }
        throw new InvalidOperationException($"no legal position found for piece set \"{pieces}\" in 100000 attempts");
    }

    /// <summary><paramref name="count"/> distinct positions, cycling through <paramref name="sets"/> (default:
    /// <see cref="StandardSets"/>) so every prefix is balanced across sets.</summary>
    public static IReadOnlyList<string> Generate(int seed, int count, IReadOnlyList<string>? sets = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        sets ??= StandardSets;
        if (sets.Count == 0) throw new ArgumentException("at least one piece set is needed", nameof(sets));
        var rng = new Random(seed);
        var seen = new HashSet<string>();
        var result = new List<string>(count);
        int misses = 0;
        while (result.Count < count)
        {
            var fen = Random(sets[result.Count % sets.Count], rng);
            if (seen.Add(fen)) { result.Add(fen); misses = 0; }
            else if (++misses > 10_000) throw new InvalidOperationException($"piece set \"{sets[result.Count % sets.Count]}\" has too few distinct positions for {count}");
        }
        return result;
    }

    private static string ToFen(Piece[] squares)
    {
        var sb = new System.Text.StringBuilder(40);
        for (int rank = 7; rank >= 0; rank--)
        {
            int empty = 0;
            for (int file = 0; file < 8; file++)
            {
                var p = squares[Square.Make(file, rank)];
                if (p.IsNone) { empty++; continue; }
                if (empty > 0) { sb.Append(empty); empty = 0; }
                sb.Append(p.ToFenChar());
            }
            if (empty > 0) sb.Append(empty);
            if (rank > 0) sb.Append('/');
        }
        return sb.Append(" w - - 0 1").ToString();
    }
}
