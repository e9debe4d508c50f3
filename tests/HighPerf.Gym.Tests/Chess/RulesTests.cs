using HighPerf.Gym.Chess;

namespace HighPerf.Gym.Tests.Chess;

public class FenTests
{
    [Theory]
    [InlineData(Board.StartFen)]
    [InlineData(PerftTests.Kiwipete)]
    [InlineData(PerftTests.Position3)]
    [InlineData(PerftTests.Position4)]
    [InlineData(PerftTests.Position5)]
    [InlineData("rnbqkbnr/ppp1p1pp/8/3pPp2/8/8/PPPP1PPP/RNBQKBNR w KQkq f6 0 3")]
    [InlineData("8/8/8/8/8/8/8/K6k b - - 99 120")]
    public void RoundTrips(string fen) => Assert.Equal(fen, Board.FromFen(fen).ToFen());

    [Fact]
    public void EnPassantSquareKeptOnlyWhenCaptureIsLegal()
    {
        // After 1.e4 no black pawn can capture on e3: python-chess prints "-", and so do we.
        var board = Board.Start();
        board.MakeMove(board.ParseSan("e4"));
        Assert.Equal("rnbqkbnr/pppppppp/8/8/4P3/8/PPPP1PPP/RNBQKBNR b KQkq - 0 1", board.ToFen());
        Assert.Equal("rnbqkbnr/pppppppp/8/8/4P3/8/PPPP1PPP/RNBQKBNR b KQkq - 0 1",
            Board.FromFen("rnbqkbnr/pppppppp/8/8/4P3/8/PPPP1PPP/RNBQKBNR b KQkq e3 0 1").ToFen());
        // A capture that would expose the king along the rank is not legal either.
        Assert.Equal("8/8/8/KPp4r/8/8/8/7k w - - 0 2", Board.FromFen("8/8/8/KPp4r/8/8/8/7k w - c6 0 2").ToFen());
    }

    [Fact]
    public void RepeatedGamePlaysRoundTripThroughFen()
    {
        var rng = new Random(7);
        for (int game = 0; game < 50; game++)
        {
            var board = Board.Start();
            for (int ply = 0; ply < 120 && !board.GetOutcome().IsGameOver; ply++)
            {
                var moves = board.LegalMoves();
                board.MakeMove(moves[rng.Next(moves.Count)]);
                var copy = Board.FromFen(board.ToFen());
                Assert.Equal(board.ToFen(), copy.ToFen());
                Assert.Equal(board.Hash, copy.Hash); // incremental Zobrist hash agrees with the from-scratch one
            }
        }
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("rnbqkbnr/pppppppp/8/8/8/8/PPPPPPPP w KQkq - 0 1", "7 ranks")]
    [InlineData("rnbqkbnr/pppppppp/9/8/8/8/PPPPPPPP/RNBQKBNR w KQkq - 0 1", "unexpected character '9'")]
    [InlineData("rnbqkbnr/pppppppp/7/8/8/8/PPPPPPPP/RNBQKBNR w KQkq - 0 1", "has 7 squares")]
    [InlineData("rnbqkbnr/pppppppp/72/8/8/8/PPPPPPPP/RNBQKBNR w KQkq - 0 1", "more than 8")]
    [InlineData("rnbqkbnr/ppppxppp/8/8/8/8/PPPPPPPP/RNBQKBNR w KQkq - 0 1", "unexpected character 'x'")]
    [InlineData("rnbq1bnr/pppppppp/8/8/8/8/PPPPPPPP/RNBQKBNR w KQkq - 0 1", "Black has 0 kings")]
    [InlineData("rnbqkbnr/pppppppp/8/8/8/8/PPPPPPPP/RNBQKBNR x KQkq - 0 1", "side to move")]
    [InlineData("rnbqkbnr/pppppppp/8/8/8/8/PPPPPPPP/RNBQKBN1 w KQkq - 0 1", "castling right 'K'")]
    [InlineData("rnbqkbnr/pppppppp/8/8/8/8/PPPPPPPP/RNBQKBNR w KQkq e9 0 1", "not a square")]
    [InlineData("rnbqkbnr/pppppppp/8/8/8/8/PPPPPPPP/RNBQKBNR w KQkq e3 0 1", "rank 6")]
    [InlineData("rnbqkbnr/pppppppp/8/8/8/8/PPPPPPPP/RNBQKBNR w KQkq - x 1", "halfmove clock")]
    [InlineData("rnbqkbnr/pppppppp/8/8/8/8/PPPPPPPP/RNBQKBNR w KQkq - 0 0", "fullmove number")]
    [InlineData("4k3/8/8/8/8/8/8/4K2R b - - 0 1", "")] // legal: Black to move, not in check
    [InlineData("4k2R/8/8/8/8/8/8/4K3 w - - 0 1", "side not to move (Black) is in check")]
    [InlineData("P3k3/8/8/8/8/8/8/4K3 w - - 0 1", "pawn stands on the first or eighth rank")]
    public void RejectsBadFensWithReason(string fen, string reason)
    {
        bool ok = Board.TryParseFen(fen, out _, out var error);
        if (reason == "") { Assert.True(ok, error); return; }
        Assert.False(ok);
        Assert.Contains(reason, error);
        var e = Assert.Throws<FormatException>(() => Board.FromFen(fen));
        Assert.Contains(reason, e.Message);
    }

    [Fact]
    public void SlidingAttackTablesMatchRayScan()
    {
        var rng = new Random(3);
        for (int i = 0; i < 20_000; i++)
        {
            int sq = rng.Next(64);
            ulong occ = (ulong)rng.NextInt64() & (ulong)rng.NextInt64();
            Assert.Equal(Attacks.RookReference(sq, occ), Attacks.Rook(sq, occ));
            Assert.Equal(Attacks.BishopReference(sq, occ), Attacks.Bishop(sq, occ));
        }
    }
}

public class SanTests
{
    [Fact]
    public void EveryLegalMoveRoundTripsThroughSanInRandomGames()
    {
        var rng = new Random(11);
        int checkedMoves = 0;
        var sans = new HashSet<string>();
        foreach (var start in new[] { Board.StartFen, PerftTests.Kiwipete, PerftTests.Position3, PerftTests.Position4, PerftTests.Position5 })
            for (int game = 0; game < 12; game++)
            {
                var board = Board.FromFen(start);
                for (int ply = 0; ply < 100 && !board.GetOutcome().IsGameOver; ply++)
                {
                    var moves = board.LegalMoves();
                    var seen = new HashSet<string>();
                    foreach (var move in moves)
                    {
                        var san = board.ToSan(move);
                        Assert.True(seen.Add(san), $"two moves print as {san} in {board.ToFen()}");
                        var parsed = board.TryParseSan(san);
                        Assert.True(parsed.Success, $"{san} in {board.ToFen()}: {parsed.Error}");
                        Assert.Equal(move, parsed.Move);
                        Assert.Equal(move, board.TryParseSan(san.TrimEnd('+', '#')).Move); // missing check mark tolerated
                        Assert.Equal(move, board.ParseUci(move.ToUci()));
                        sans.Add(san);
                        checkedMoves++;
                    }
                    board.MakeMove(moves[rng.Next(moves.Count)]);
                }
            }
        Assert.True(checkedMoves > 20_000, $"only {checkedMoves} moves checked");
        // The walk must have met every SAN feature.
        Assert.Contains(sans, s => s.Contains('+'));
        Assert.Contains(sans, s => s.Contains("=N"));
        Assert.Contains(sans, s => s is "O-O" or "O-O+");
        Assert.Contains(sans, s => s.StartsWith("O-O-O"));
        Assert.Contains(sans, s => s.Length >= 4 && char.IsUpper(s[0]) && s[1] is >= 'a' and <= 'h' && s[2] is >= 'a' and <= 'h' or 'x'); // file disambiguation
    }

    [Theory]
    [InlineData(Board.StartFen, "e2e4", "e4")]
    [InlineData(Board.StartFen, "g1f3", "Nf3")]
    [InlineData(PerftTests.Kiwipete, "e1g1", "O-O")]
    [InlineData(PerftTests.Kiwipete, "e1c1", "O-O-O")]
    [InlineData(PerftTests.Kiwipete, "e5f7", "Nxf7")]
    [InlineData("7k/8/8/8/8/2N3N1/8/6K1 w - - 0 1", "c3e4", "Nce4")]
    [InlineData(PerftTests.Kiwipete, "e2d1", "Bd1")]
    [InlineData(PerftTests.Position5, "d7c8q", "dxc8=Q")]
    [InlineData(PerftTests.Position5, "d7c8n", "dxc8=N")]
    [InlineData("7k/8/8/8/8/8/8/R3R1K1 w - - 0 1", "a1d1", "Rad1")]
    [InlineData("7k/8/8/8/R7/8/8/R5K1 w - - 0 1", "a1a2", "R1a2")]
    [InlineData("7k/8/8/8/Q1Q5/8/Q7/6K1 w - - 0 1", "a4b3", "Qa4b3")]
    [InlineData("6k1/5ppp/8/8/8/8/8/R5K1 w - - 0 1", "a1a8", "Ra8#")]
    [InlineData("3k4/8/8/8/8/8/8/R3K3 w Q - 0 1", "e1c1", "O-O-O+")]
    [InlineData("rnbqkbnr/ppp1p1pp/8/3pPp2/8/8/PPPP1PPP/RNBQKBNR w KQkq f6 0 3", "e5f6", "exf6")]
    public void PrintsLikePythonChess(string fen, string uci, string san)
    {
        var board = Board.FromFen(fen);
        var move = board.ParseUci(uci);
        Assert.NotNull(move);
        Assert.Equal(san, board.ToSan(move.Value));
    }

    [Theory]
    [InlineData(Board.StartFen, "Ng1f3", "g1f3")]
    [InlineData(Board.StartFen, "Ng1-f3", "g1f3")]
    [InlineData(Board.StartFen, "e2e4", "e2e4")]
    [InlineData(Board.StartFen, "Nf3+", "g1f3")]   // a wrong check mark is ignored, as python-chess does
    [InlineData(PerftTests.Kiwipete, "0-0", "e1g1")]
    [InlineData(PerftTests.Kiwipete, "O-O-O", "e1c1")]
    [InlineData(PerftTests.Kiwipete, "e1g1", "e1g1")]
    [InlineData(PerftTests.Kiwipete, "Nf7", "e5f7")]  // missing capture mark tolerated
    [InlineData(PerftTests.Position5, "dxc8q", "d7c8q")]
    [InlineData(PerftTests.Position5, "dxc8=r", "d7c8r")]
    [InlineData(PerftTests.Position5, "d7c8n", "d7c8n")]
    public void ParsesCommonVariants(string fen, string text, string uci)
    {
        var board = Board.FromFen(fen);
        var r = board.TryParseSan(text);
        Assert.True(r.Success, r.Error);
        Assert.Equal(uci, r.Move.ToUci());
    }

    [Theory]
    [InlineData(Board.StartFen, "", "empty")]
    [InlineData(Board.StartFen, "--", "null move")]
    [InlineData(Board.StartFen, "0000", "null move")]
    [InlineData(Board.StartFen, "hello", "not algebraic notation")]
    [InlineData(Board.StartFen, "e5", "no pawn can legally move to e5")]
    [InlineData(Board.StartFen, "Nf6", "no knight can legally move to f6")]
    [InlineData(Board.StartFen, "Ke2", "king cannot legally move to e2")]
    [InlineData(Board.StartFen, "O-O", "castling kingside is not legal")]
    [InlineData(Board.StartFen, "e2e5", "no legal move from e2 to e5")]
    [InlineData(Board.StartFen, "Nf3=Q", "only pawns promote")]
    [InlineData("7k/8/8/8/8/2N3N1/8/6K1 w - - 0 1", "Ne4", "ambiguous: Nce4, Nge4")]
    [InlineData(PerftTests.Kiwipete, "xd5", "no pawn can legally move to d5")]
    [InlineData(PerftTests.Position5, "dxc8", "missing promotion")]
    [InlineData(PerftTests.Position5, "d7c8", "missing promotion")]
    [InlineData(PerftTests.Position5, "dxc8=K", "cannot promote to a king")]
    [InlineData(PerftTests.Position5, "c5", "no pawn")] // pawn captures need the from-file
    [InlineData("4k3/8/8/8/8/8/r7/4K3 w - - 0 1", "Kd1", "")] // legal, for contrast with the next line
    [InlineData("4k3/8/8/8/8/8/r7/4K3 w - - 0 1", "Kd2", "king cannot")] // attacked along the rank
    public void RejectsWithReason(string fen, string text, string reason)
    {
        var r = Board.FromFen(fen).TryParseSan(text);
        if (reason == "") { Assert.True(r.Success, r.Error); return; }
        Assert.False(r.Success);
        Assert.Contains(reason, r.Error);
    }
}

public class GameStatusTests
{
    private static void Play(Board board, params string[] sans)
    {
        foreach (var san in sans) board.MakeMove(board.ParseSan(san));
    }

    [Fact]
    public void ThreefoldIsClaimableAndFivefoldEndsTheGame()
    {
        var board = Board.Start();
        Assert.Equal(1, board.RepetitionCount());
        Play(board, "Nf3", "Nf6", "Ng1", "Ng8");
        Assert.Equal(2, board.RepetitionCount());
        Assert.False(board.GetOutcome(claimDraws: true).IsGameOver);
        Play(board, "Nf3", "Nf6", "Ng1", "Ng8");
        Assert.Equal(3, board.RepetitionCount());
        Assert.Equal(Termination.None, board.GetOutcome().Termination);
        Assert.Equal(Termination.ThreefoldRepetition, board.GetOutcome(claimDraws: true).Termination);
        Play(board, "Nf3", "Nf6", "Ng1", "Ng8", "Nf3", "Nf6", "Ng1", "Ng8");
        Assert.Equal(5, board.RepetitionCount());
        Assert.Equal(Termination.FivefoldRepetition, board.GetOutcome().Termination);
    }

    [Fact]
    public void RepetitionNeedsSameCastlingRights()
    {
        var board = Board.Start();
        Play(board, "Nf3", "Nf6", "Rg1", "Ng8", "Rh1", "Nf6", "Ng1", "Ng8"); // White lost the kingside right
        Assert.Equal(1, board.RepetitionCount());
        Play(board, "Nf3", "Nf6", "Ng1", "Ng8");
        Assert.Equal(2, board.RepetitionCount());
    }

    [Fact]
    public void FiftyAndSeventyFiveMoveRules()
    {
        var board = Board.FromFen("4k3/8/8/8/8/8/8/R3K3 w - - 99 80");
        Assert.Equal(Termination.None, board.GetOutcome(claimDraws: true).Termination);
        Play(board, "Ra2");
        Assert.Equal(100, board.HalfmoveClock);
        Assert.Equal(Termination.None, board.GetOutcome().Termination);
        Assert.Equal(Termination.FiftyMoves, board.GetOutcome(claimDraws: true).Termination);
        board = Board.FromFen("4k3/8/8/8/8/8/8/R3K3 w - - 149 80");
        Play(board, "Ra2");
        Assert.Equal(Termination.SeventyFiveMoves, board.GetOutcome().Termination);
        // A capture or pawn move resets the clock.
        board = Board.FromFen("4k3/8/8/8/8/8/r7/R3K3 w - - 99 80");
        Play(board, "Rxa2");
        Assert.Equal(0, board.HalfmoveClock);
        // Mate on the 100th half-move is mate, not a draw.
        board = Board.FromFen("6k1/5ppp/8/8/8/8/8/R5K1 w - - 99 80");
        Play(board, "Ra8#");
        Assert.Equal(new Outcome(Termination.Checkmate, Color.White), board.GetOutcome(claimDraws: true));
    }

    [Fact]
    public void StalemateAndCheckmate()
    {
        var stalemate = Board.FromFen("7k/5Q2/6K1/8/8/8/8/8 b - - 0 1");
        Assert.True(stalemate.IsStalemate);
        Assert.Equal(new Outcome(Termination.Stalemate, null), stalemate.GetOutcome());
        var mate = Board.Start();
        Play(mate, "f3", "e5", "g4", "Qh4#");
        Assert.True(mate.IsCheckmate);
        Assert.Equal(new Outcome(Termination.Checkmate, Color.Black), mate.GetOutcome());
    }

    [Theory]
    [InlineData("8/8/4k3/8/8/3K4/8/8 w - - 0 1", true)]       // K v K
    [InlineData("8/8/4k3/8/8/3KN3/8/8 w - - 0 1", true)]      // K+N v K
    [InlineData("8/8/4k3/8/8/3KB3/8/8 b - - 0 1", true)]      // K+B v K
    [InlineData("8/2b5/4k3/8/8/3KB3/8/8 w - - 0 1", true)]    // bishops on same-coloured squares (c7, e3: dark)
    [InlineData("8/3b4/4k3/8/8/3KB3/8/8 w - - 0 1", false)]   // opposite colours (d7 light, e3 dark): mate possible
    [InlineData("8/8/4k3/8/8/3KNN2/8/8 w - - 0 1", false)]    // K+N+N v K: helpmate exists
    [InlineData("8/3n4/4k3/8/8/3KN3/8/8 w - - 0 1", false)]   // K+N v K+N
    [InlineData("8/8/4k3/8/8/3KP3/8/8 w - - 0 1", false)]     // a pawn
    [InlineData("8/8/4k3/8/8/3K4/8/R7 w - - 0 1", false)]     // a rook
    public void InsufficientMaterial(string fen, bool dead)
    {
        var board = Board.FromFen(fen);
        Assert.Equal(dead, board.IsInsufficientMaterial());
        Assert.Equal(dead ? Termination.InsufficientMaterial : Termination.None, board.GetOutcome().Termination);
    }
}
