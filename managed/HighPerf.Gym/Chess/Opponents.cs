namespace HighPerf.Gym.Chess;

/// <summary>Chooses moves for one side. Gets the game as start FEN + moves (so an engine can replay it after a
/// restart, and repetition/fifty-move state is not lost) and the current board.</summary>
public interface IChessMover : IDisposable
{
    Move ChooseMove(Board board, string startFen, IReadOnlyList<Move> moves, Random rng);
}

/// <summary>A uniformly random legal move (seeded by the caller's RNG).</summary>
public sealed class RandomMover : IChessMover
{
    public Move ChooseMove(Board board, string startFen, IReadOnlyList<Move> moves, Random rng)
    {
        var legal = board.LegalMoves();
        if (legal.Count == 0) throw new InvalidOperationException($"no legal move in {board.ToFen()}");
        return legal[rng.Next(legal.Count)];
    }

    public void Dispose() { }
}

/// <summary>Stockfish over UCI (see <see cref="StockfishEngine"/>); owns its engine process.</summary>
public sealed class StockfishMover(StockfishOptions? options = null) : IChessMover
{
    private readonly StockfishEngine _engine = new(options);

    public StockfishEngine Engine => _engine;

    public Move ChooseMove(Board board, string startFen, IReadOnlyList<Move> moves, Random rng)
    {
        var uci = _engine.BestMove(startFen, moves.Select(m => m.ToUci()).ToList());
        return board.ParseUci(uci) ?? throw new StockfishException($"Stockfish answered '{uci}', which is not legal in {board.ToFen()}");
    }

    public void Dispose() => _engine.Dispose();
}

/// <summary>With probability <paramref name="epsilon"/> a random legal move, otherwise <paramref name="inner"/>'s
/// (the Endgames dataset policy, spec §2.5).</summary>
public sealed class EpsilonMover(IChessMover inner, double epsilon) : IChessMover
{
    public double Epsilon { get; } = epsilon is >= 0 and <= 1 ? epsilon : throw new ArgumentOutOfRangeException(nameof(epsilon), epsilon, "epsilon must be in [0, 1]");
    public int RandomMoves { get; private set; }
    public int InnerMoves { get; private set; }
    private readonly RandomMover _random = new();

    public Move ChooseMove(Board board, string startFen, IReadOnlyList<Move> moves, Random rng)
    {
        if (rng.NextDouble() < Epsilon) { RandomMoves++; return _random.ChooseMove(board, startFen, moves, rng); }
        InnerMoves++;
        return inner.ChooseMove(board, startFen, moves, rng);
    }

    public void Dispose() => inner.Dispose();
}
