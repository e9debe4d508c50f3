using HighPerf.Gym.Chess;

namespace HighPerf.Gym.Tests.Chess;

/// <summary>Perft against the published counts (chessprogramming.org "Perft Results"). Depths are chosen so the
/// whole class runs in a few seconds; deeper counts run in the benchmark and `highperf chess perft`.</summary>
public class PerftTests
{
    public const string Kiwipete = "r3k2r/p1ppqpb1/bn2pnp1/3PN3/1p2P3/2N2Q1p/PPPBBPPP/R3K2R w KQkq - 0 1";
    public const string Position3 = "8/2p5/3p4/KP5r/1R3p1k/8/4P1P1/8 w - - 0 1";
    public const string Position4 = "r3k2r/Pppp1ppp/1b3nbN/nP6/BBP1P3/q4N2/Pp1P2PP/R2Q1RK1 w kq - 0 1";
    public const string Position4Mirrored = "r2q1rk1/pP1p2pp/Q4n2/bbp1p3/Np6/1B3NBn/pPPP1PPP/R3K2R b KQ - 0 1";
    public const string Position5 = "rnbq1k1r/pp1Pbppp/2p5/8/2B5/8/PPP1NnPP/RNBQK2R w KQ - 1 8";

    [Theory]
    [InlineData(Board.StartFen, 1, 20L)]
    [InlineData(Board.StartFen, 2, 400L)]
    [InlineData(Board.StartFen, 3, 8902L)]
    [InlineData(Board.StartFen, 4, 197281L)]
    [InlineData(Kiwipete, 1, 48L)]
    [InlineData(Kiwipete, 2, 2039L)]
    [InlineData(Kiwipete, 3, 97862L)]
    [InlineData(Position3, 1, 14L)]
    [InlineData(Position3, 2, 191L)]
    [InlineData(Position3, 3, 2812L)]
    [InlineData(Position3, 4, 43238L)]
    [InlineData(Position3, 5, 674624L)]
    [InlineData(Position4, 1, 6L)]
    [InlineData(Position4, 2, 264L)]
    [InlineData(Position4, 3, 9467L)]
    [InlineData(Position4Mirrored, 3, 9467L)]
    [InlineData(Position5, 1, 44L)]
    [InlineData(Position5, 2, 1486L)]
    [InlineData(Position5, 3, 62379L)]
    public void MatchesPublishedCounts(string fen, int depth, long expected)
    {
        var board = Board.FromFen(fen);
        Assert.Equal(expected, Perft.Count(board, depth));
        Assert.Equal(fen, board.ToFen()); // make/unmake restored the position exactly
    }

    [Theory]
    [InlineData(Board.StartFen, 5, 4865609L)]
    [InlineData(Kiwipete, 4, 4085603L)]
    [InlineData(Position4, 4, 422333L)]
    [InlineData(Position5, 4, 2103487L)]
    public void DeeperCounts(string fen, int depth, long expected) => Assert.Equal(expected, Perft.Count(Board.FromFen(fen), depth));

    [Fact]
    public void DivideSumsToTotal()
    {
        var board = Board.FromFen(Kiwipete);
        var divide = Perft.Divide(board, 2);
        Assert.Equal(48, divide.Count);
        Assert.Equal(2039L, divide.Sum(d => d.Nodes));
    }

    [Theory]
    // Tricky positions collected by the chess programming community (en passant pins, castling rights, promotions).
    [InlineData("8/8/1k6/2b5/2pP4/8/5K2/8 b - d3 0 1", 6, 1440467L)]       // en passant discovered check
    [InlineData("8/8/4k3/8/2p5/8/B2P2K1/8 w - - 0 1", 6, 1015133L)]       // avoid illegal en passant capture
    [InlineData("r3k2r/1b4bq/8/8/8/8/7B/R3K2R w KQkq - 0 1", 4, 1274206L)] // castling through attacked squares
    [InlineData("2K2r2/4P3/8/8/8/8/8/3k4 w - - 0 1", 6, 3821001L)]        // promote out of check
    [InlineData("8/8/2k5/5q2/5n2/8/5K2/8 b - - 0 1", 4, 23527L)]          // discovered check
    [InlineData("3k4/3p4/8/K1P4r/8/8/8/8 b - - 0 1", 6, 1134888L)]        // en passant capture checks opponent
    public void TrickyPositions(string fen, int depth, long expected) => Assert.Equal(expected, Perft.Count(Board.FromFen(fen), depth));
}
