using System.Diagnostics;
using HighPerf.Gym.Chess;

namespace HighPerf.Bench;

/// <summary>
/// Stopwatch harness: our perft against Stockfish's own <c>go perft N</c> on the same positions and depths. Stockfish
/// runs as a process; it is started and made ready first (uci/isready), then only the <c>go perft</c> command is
/// timed, from sending it to reading "Nodes searched". Each side gets one warm-up run and the best of
/// <c>repeats</c> timed runs. Prints a Markdown table with nodes/s and the ratio ours/Stockfish.
/// </summary>
public static class ChessVsStockfish
{
    public static void Run(int repeats = 3, int extraDepth = 1, TextWriter? output = null)
    {
        output ??= Console.Out;
        var path = StockfishEngine.ResolvePath();
        output.WriteLine($"| position | depth | nodes | ours (Mnodes/s) | stockfish {Version(path)} (Mnodes/s) | ratio ours/stockfish |");
        output.WriteLine("|---|---:|---:|---:|---:|---:|");
        foreach (var (name, fen, baseDepth, _) in ChessPerftBenchmarks.Positions)
        {
            int depth = baseDepth + extraDepth;
            var board = Board.FromFen(fen);
            long nodes = 0;
            double ours = double.MaxValue;
            for (int i = 0; i <= repeats; i++)
            {
                var sw = Stopwatch.StartNew();
                nodes = Perft.Count(board, depth);
                if (i > 0) ours = Math.Min(ours, sw.Elapsed.TotalSeconds);
            }
            var (sfNodes, sf) = StockfishPerft(path, fen, depth, repeats);
            if (sfNodes != nodes) throw new InvalidOperationException($"{name} depth {depth}: ours {nodes}, stockfish {sfNodes}");
            double oursRate = nodes / ours / 1e6, sfRate = nodes / sf / 1e6;
            output.WriteLine($"| {name} | {depth} | {nodes:N0} | {oursRate:F1} | {sfRate:F1} | {oursRate / sfRate:F2} |");
        }
    }

    private static string Version(string path)
    {
        using var p = Start(path);
        p.StandardInput.WriteLine("uci");
        string? line;
        while ((line = p.StandardInput.BaseStream.CanWrite ? p.StandardOutput.ReadLine() : null) is not null)
            if (line.StartsWith("id name ", StringComparison.Ordinal)) { p.StandardInput.WriteLine("quit"); return line[8..].Replace("Stockfish ", ""); }
        return "?";
    }

    private static Process Start(string path) => Process.Start(new ProcessStartInfo(path)
    {
        RedirectStandardInput = true, RedirectStandardOutput = true, UseShellExecute = false,
    }) ?? throw new InvalidOperationException($"could not start {path}");

    private static (long Nodes, double Seconds) StockfishPerft(string path, string fen, int depth, int repeats)
    {
        using var p = Start(path);
        void Send(string s) { p.StandardInput.WriteLine(s); p.StandardInput.Flush(); }
        string Wait(string prefix)
        {
            while (p.StandardOutput.ReadLine() is { } line)
                if (line.StartsWith(prefix, StringComparison.Ordinal)) return line;
            throw new InvalidOperationException($"stockfish exited before '{prefix}'");
        }
        Send("uci"); Wait("uciok");
        Send("isready"); Wait("readyok");
        Send($"position fen {fen}");
        long nodes = 0;
        double best = double.MaxValue;
        for (int i = 0; i <= repeats; i++)
        {
            var sw = Stopwatch.StartNew();
            Send($"go perft {depth}");
            nodes = long.Parse(Wait("Nodes searched:")["Nodes searched:".Length..].Trim(), System.Globalization.CultureInfo.InvariantCulture);
            if (i > 0) best = Math.Min(best, sw.Elapsed.TotalSeconds);
        }
        Send("quit");
        p.WaitForExit(2000);
        return (nodes, best);
    }
}
