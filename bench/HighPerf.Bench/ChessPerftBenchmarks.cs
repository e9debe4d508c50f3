using BenchmarkDotNet.Attributes;
using HighPerf.Gym.Chess;

namespace HighPerf.Bench;

/// <summary>Perft throughput of the chess rules engine on the standard positions (bulk-counted leaves, like
/// Stockfish's <c>go perft</c>). Nodes/s = Nodes / mean time; the cross-process comparison with Stockfish itself is
/// <see cref="ChessVsStockfish"/>.</summary>
[MemoryDiagnoser]
public class ChessPerftBenchmarks
{
    public static readonly (string Name, string Fen, int Depth, long Nodes)[] Positions =
    [
        ("startpos", Board.StartFen, 5, 4_865_609),
        ("kiwipete", "r3k2r/p1ppqpb1/bn2pnp1/3PN3/1p2P3/2N2Q1p/PPPBBPPP/R3K2R w KQkq - 0 1", 4, 4_085_603),
        ("position3", "8/2p5/3p4/KP5r/1R3p1k/8/4P1P1/8 w - - 0 1", 5, 674_624),
        ("position4", "r3k2r/Pppp1ppp/1b3nbN/nP6/BBP1P3/q4N2/Pp1P2PP/R2Q1RK1 w kq - 0 1", 4, 422_333),
        ("position5", "rnbq1k1r/pp1Pbppp/2p5/8/2B5/8/PPP1NnPP/RNBQK2R w KQ - 1 8", 4, 2_103_487),
    ];

    private Board _board = Board.Start();
    private int _depth;
    private long _expected;

    [ParamsSource(nameof(Names))]
    public string Position { get; set; } = "startpos";

    public static IEnumerable<string> Names => Positions.Select(p => p.Name);

    [GlobalSetup]
    public void Setup()
    {
        var p = Positions.Single(x => x.Name == Position);
        _board = Board.FromFen(p.Fen);
        _depth = p.Depth;
        _expected = p.Nodes;
    }

    [Benchmark]
    public long Perft()
    {
        long n = HighPerf.Gym.Chess.Perft.Count(_board, _depth);
        if (n != _expected) throw new InvalidOperationException($"perft({Position}, {_depth}) = {n}, expected {_expected}");
        return n;
    }
}
