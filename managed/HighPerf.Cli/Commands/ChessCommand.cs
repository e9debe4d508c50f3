using System.CommandLine;
using System.Diagnostics;
using HighPerf.Gym.Chess;

namespace HighPerf.Cli.Commands;

/// <summary>`highperf chess ...`: tools around the chess rules engine. `perft FEN DEPTH` prints the per-move
/// ("divide") counts, the total and the node rate, in the same layout as Stockfish's `go perft`, so the two can be
/// diffed line by line when hunting a move generator bug.</summary>
public static class ChessCommand
{
    public static Command Create()
    {
        var chess = new Command("chess", "Chess rules engine tools.");

        var fen = new Argument<string>("fen") { Description = "Position in FEN (quote it), or 'startpos'." };
        var depth = new Argument<int>("depth") { Description = "Search depth in plies (1 or more)." };
        var perft = new Command("perft", "Count leaf nodes of the legal move tree (divide per root move), with nodes/s.");
        perft.Arguments.Add(fen);
        perft.Arguments.Add(depth);
        perft.SetAction(parse =>
        {
            var fenText = parse.GetValue(fen)!;
            int d = parse.GetValue(depth);
            if (d < 1)
            {
                Console.Error.WriteLine($"chess perft: depth must be at least 1, got {d}");
                return 2;
            }
            if (!Board.TryParseFen(fenText == "startpos" ? Board.StartFen : fenText, out var board, out var error))
            {
                Console.Error.WriteLine($"chess perft: invalid FEN \"{fenText}\": {error}");
                return 2;
            }
            var sw = Stopwatch.StartNew();
            long total = 0;
            foreach (var (move, nodes) in Perft.Divide(board, d))
            {
                Console.WriteLine($"{move.ToUci()}: {nodes}");
                total += nodes;
            }
            sw.Stop();
            Console.WriteLine();
            Console.WriteLine($"Nodes searched: {total}");
            Console.WriteLine($"Time: {sw.Elapsed.TotalMilliseconds:F1} ms");
            Console.WriteLine($"Nodes/s: {total / Math.Max(sw.Elapsed.TotalSeconds, 1e-9):F0}");
            return 0;
        });
        chess.Subcommands.Add(perft);
        return chess;
    }
}
