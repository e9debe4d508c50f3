namespace HighPerf.Gym.Chess;

/// <summary>
/// Entry points of the two chess tasks for the task registry: names, environment and policy factories, dataset
/// generators and the paper's constants (spec §2.4, §2.5, §3).
/// </summary>
public static class ChessTasks
{
    public const string ChessName = "chess";
    public const string EndgamesName = "endgames";

    /// <summary>Evaluation protocol sizes (P24 E.2, E.3): 1,000 games; 645 positions, one game each.</summary>
    public const int ChessEvalEpisodes = 1000;
    public const int EndgamesEvalEpisodes = 645;

    /// <summary>Seed of the fixed evaluation endgame positions. Upstream's 645 test positions are only on the
    /// dataset server; ours are made the way upstream describes them (spec §2.5): random K+Q/K+R/K+Q+R/K+R+R
    /// positions kept when Stockfish rates them mate-in ≥ 15 (<see cref="EndgamePositions.GenerateHard"/> with
    /// <see cref="HardEndgameCriteria.Default"/>), from this seed, and excluded from the generated datasets.</summary>
    public const int EvaluationPositionSeed = 2023_11_30;

    /// <summary>Embedded copy of <c>EndgamePositions.Hard(EvaluationPositionSeed, 645)</c>, so evaluation needs no
    /// 10-minute Stockfish pass; a test regenerates its first positions and checks they match.</summary>
    public const string EvaluationPositionsResource = "HighPerf.Gym.Chess.endgames-eval-645.fen";

    private static readonly Lazy<IReadOnlyList<string>> Evaluation = new(LoadEvaluationPositions);

    public static IReadOnlyList<string> EvaluationEndgamePositions => Evaluation.Value;

    private static IReadOnlyList<string> LoadEvaluationPositions()
    {
        using var stream = typeof(ChessTasks).Assembly.GetManifestResourceStream(EvaluationPositionsResource)
            ?? throw new InvalidOperationException($"embedded resource {EvaluationPositionsResource} is missing from HighPerf.Gym");
        using var reader = new StreamReader(stream);
        var lines = new List<string>();
        while (reader.ReadLine() is { } line) lines.Add(line);
        var positions = EndgamePositions.ReadPositionList(lines, EvaluationPositionsResource);
        if (positions.Count != EndgamesEvalEpisodes)
            throw new InvalidDataException($"{EvaluationPositionsResource} holds {positions.Count} positions, expected {EndgamesEvalEpisodes}");
        return positions;
    }

    /// <summary>Full games from the start position against Stockfish (default: Elo 1200 → 1350 in 15.1, 100 ms).</summary>
    public static ChessEnvironment CreateChess(ChessTaskOptions? options = null, StockfishOptions? opponent = null) =>
        new(_ => Board.StartFen, new StockfishMover(opponent ?? StockfishOptions.Opponent), options);

    /// <summary>Endgames: episode seed s starts from positions[s mod n] (default: the 645 evaluation positions), so
    /// seeds 0..n−1 play every position once.</summary>
    public static ChessEnvironment CreateEndgames(IReadOnlyList<string>? positions = null, ChessTaskOptions? options = null, StockfishOptions? opponent = null)
    {
        positions ??= EvaluationEndgamePositions;
        if (positions.Count == 0) throw new ArgumentException("at least one start position is needed", nameof(positions));
        var list = positions.ToArray();
        return new(seed => list[(int)((uint)seed % (uint)list.Length)], new StockfishMover(opponent ?? StockfishOptions.Opponent), options);
    }
}
