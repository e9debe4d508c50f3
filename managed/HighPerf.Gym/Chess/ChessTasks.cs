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
    /// dataset server (and were filtered for Stockfish mate-in ≥ 15); ours are generated the same way as the
    /// training positions, from this seed, and excluded from the generated datasets.</summary>
    public const int EvaluationPositionSeed = 2023_11_30;

    private static readonly Lazy<IReadOnlyList<string>> Evaluation = new(() => EndgamePositions.Generate(EvaluationPositionSeed, EndgamesEvalEpisodes));

    public static IReadOnlyList<string> EvaluationEndgamePositions => Evaluation.Value;

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
