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

    /// <summary>
    /// Hard evaluation positions (spec §2.5: upstream's 645 test positions are "not trivially solvable", Stockfish
    /// mate-in ≥ 15). Candidates come from one seeded stream of <see cref="Random(string, System.Random)"/> positions,
    /// the piece set cycling per candidate; each distinct candidate is analysed by <paramref name="engine"/> and kept
    /// when Stockfish reports that White mates in <see cref="HardEndgameCriteria.MinMateMoves"/> moves or more. With a
    /// deterministic engine (full strength, depth limit, one thread, hash cleared: <see cref="HardEndgameCriteria.Engine"/>)
    /// the list is a pure function of the seed and the criteria, and a shorter request is a prefix of a longer one.
    /// About one candidate in ten qualifies (mostly K+R and K+Q; K+Q+R and K+R+R mate faster), so 645 positions cost
    /// ~6,500 searches; use <see cref="Hard"/> for the cached list.
    /// </summary>
    public static IReadOnlyList<string> GenerateHard(int seed, int count, StockfishEngine engine, HardEndgameCriteria? criteria = null,
        Action<int, int>? progress = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentNullException.ThrowIfNull(engine);
        criteria ??= HardEndgameCriteria.Default;
        var sets = criteria.Sets;
        if (sets.Count == 0) throw new ArgumentException("at least one piece set is needed", nameof(criteria));
        var rng = new Random(seed);
        var seen = new HashSet<string>();
        var result = new List<string>(count);
        for (long candidate = 0; result.Count < count; candidate++)
        {
            if (candidate > 2_000L * Math.Max(count, 1) + 10_000)
                throw new InvalidOperationException($"only {result.Count} of {count} positions reached mate-in ≥ {criteria.MinMateMoves} after {candidate} candidates");
            var fen = Random(sets[(int)(candidate % sets.Count)], rng);
            if (!seen.Add(fen)) continue;
            var score = engine.Analyse(fen);
            if (score.IsMate && score.Value >= criteria.MinMateMoves)
            {
                result.Add(fen);
                progress?.Invoke(result.Count, (int)Math.Min(candidate + 1, int.MaxValue));
            }
        }
        return result;
    }

    /// <summary>
    /// <see cref="GenerateHard"/>'s list for <paramref name="seed"/>, cached on disk: one file per (seed, criteria) under
    /// <paramref name="cacheDirectory"/> (default <c>$HIGHPERF_CACHE</c> or <c>~/.cache/highperf</c>, subfolder
    /// <c>endgames</c>), written atomically. A cached list at least <paramref name="count"/> long is read, not recomputed;
    /// a shorter or unreadable one is regenerated (a prefix of the longer list, so earlier results stay valid).
    /// </summary>
    public static IReadOnlyList<string> Hard(int seed, int count, HardEndgameCriteria? criteria = null, string? cacheDirectory = null,
        Action<int, int>? progress = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        criteria ??= HardEndgameCriteria.Default;
        cacheDirectory ??= Path.Combine(Environment.GetEnvironmentVariable("HIGHPERF_CACHE") is { Length: > 0 } c ? c
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "highperf"), "endgames");
        var path = Path.Combine(cacheDirectory, $"hard-{criteria.Key}-seed{seed}.fen");
        if (File.Exists(path))
        {
            try
            {
                var cached = ReadPositionList(File.ReadLines(path), path);
                if (cached.Count >= count) return cached.Take(count).ToList();
            }
            catch (InvalidDataException) { } // a damaged cache is only a cache: regenerate and replace it
        }
        using var engine = new StockfishEngine(criteria.Engine);
        var list = GenerateHard(seed, count, engine, criteria, progress);
        Directory.CreateDirectory(cacheDirectory);
        Data.AtomicFile.WriteAllText(path, FormatPositionList(list, seed, criteria, engine.EngineName));
        return list;
    }

    /// <summary>The text of a position list: <c>#</c> comment lines saying how it was made, then one FEN a line.</summary>
    public static string FormatPositionList(IReadOnlyList<string> positions, int seed, HardEndgameCriteria criteria, string engineName)
    {
        var sb = new System.Text.StringBuilder();
        sb.Append("# HighPerf hard endgame positions: seed ").Append(seed).Append(", ").Append(criteria.Describe())
          .Append(", engine ").Append(engineName).Append('\n');
        foreach (var p in positions) sb.Append(p).Append('\n');
        return sb.ToString();
    }

    /// <summary>Reads a position list (comments and blank lines skipped); a line that is not a legal FEN is an error
    /// naming <paramref name="source"/> and the line number.</summary>
    public static IReadOnlyList<string> ReadPositionList(IEnumerable<string> lines, string source)
    {
        var result = new List<string>();
        int number = 0;
        foreach (var raw in lines)
        {
            number++;
            var line = raw.Trim();
            if (line.Length == 0 || line[0] == '#') continue;
            if (!Board.TryParseFen(line, out _, out var error))
                throw new InvalidDataException($"{source}:{number}: not a legal FEN ({error}): \"{(line.Length > 80 ? line[..80] + "…" : line)}\"");
            result.Add(line);
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

/// <summary>What makes an evaluation endgame hard: Stockfish (at <see cref="Engine"/>'s deterministic search) reports
/// White mating in at least <see cref="MinMateMoves"/> moves. Default: mate-in ≥ 15 (spec §2.5) at depth 20, full
/// strength, one thread, 16 MB hash cleared before each search, over the four standard piece sets.</summary>
public sealed record HardEndgameCriteria
{
    public int MinMateMoves { get; init; } = 15;
    public int Depth { get; init; } = 20;
    public IReadOnlyList<string> Sets { get; init; } = EndgamePositions.StandardSets;

    public static HardEndgameCriteria Default { get; } = new();

    /// <summary>The engine the criteria are defined with (deterministic: see <see cref="StockfishEngine"/>).</summary>
    public StockfishOptions Engine => new() { LimitStrength = false, Threads = 1, HashMb = 16, ClearHashEachMove = true, Limit = SearchLimit.FixedDepth(Depth) };

    /// <summary>A file-name-safe key for caches.</summary>
    public string Key => $"m{MinMateMoves}-d{Depth}-{string.Join('_', Sets)}";

    public string Describe() => $"Stockfish depth {Depth} (full strength, 1 thread, 16 MB hash cleared per search) mate-in >= {MinMateMoves}, sets {string.Join(' ', Sets)} cycled per candidate";
}
