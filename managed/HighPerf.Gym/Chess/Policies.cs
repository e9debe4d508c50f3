using HighPerf.Gym.Core;

namespace HighPerf.Gym.Chess;

/// <summary>
/// Reference text policies for the chess tasks. They read the position from the last observation (the spaced FEN),
/// choose a move with an <see cref="IChessMover"/> and answer in the action format ("N f 3\n"). Working from the FEN
/// alone, a policy knows no game history (no repetition awareness), exactly like an LM agent on this task.
/// </summary>
public sealed class ChessMoverPolicy(IChessMover mover, string name) : ITextPolicy, IDisposable
{
    public string Name { get; } = name;

    public IChessMover Mover => mover;

    public string Act(TextHistory history, Random rng)
    {
        ArgumentNullException.ThrowIfNull(history);
        var observation = history.Items.LastOrDefault(i => !i.IsAction);
        if (observation.Text is null) throw new ArgumentException("the history has no observation to act on", nameof(history));
        var fen = ChessText.ParseObservation(observation.Text);
        var board = Board.FromFen(fen);
        var move = mover.ChooseMove(board, fen, [], rng);
        return ChessText.Action(board.ToSan(move));
    }

    public void Dispose() => mover.Dispose();

    public override string ToString() => Name;
}

/// <summary>Factories for the reference policies.</summary>
public static class ChessPolicies
{
    /// <summary>A uniformly random legal move.</summary>
    public static ChessMoverPolicy RandomLegal() => new(new RandomMover(), "random");

    /// <summary>The Chess dataset's agent (spec §2.4, P24 C.4): Stockfish limited to <paramref name="elo"/>
    /// (drawn from U[800, 1600] per batch of 100 games upstream; Stockfish 15.1 clamps anything below 1350), 100 ms
    /// per move.</summary>
    public static ChessMoverPolicy Behaviour(int elo, SearchLimit? limit = null) =>
        new(new StockfishMover(new StockfishOptions { Elo = elo, Limit = limit ?? SearchLimit.MoveTime(100) }), $"stockfish-elo{elo}");

    /// <summary>The Endgames dataset's agent (spec §2.5): a random legal move with probability
    /// <paramref name="epsilon"/>, else Stockfish. 0.6 matches the reported 38% of engine moves.</summary>
    public static ChessMoverPolicy EndgameBehaviour(double epsilon = 0.6, StockfishOptions? engine = null) =>
        new(new EpsilonMover(new StockfishMover(engine ?? StockfishOptions.Expert()), epsilon), $"epsilon{epsilon}-stockfish");

    /// <summary>Expert: Stockfish at full strength with a small fixed node budget (deterministic).</summary>
    public static ChessMoverPolicy Expert(long nodes = 20_000) => new(new StockfishMover(StockfishOptions.Expert(nodes)), $"stockfish-full-{nodes}n");
}
