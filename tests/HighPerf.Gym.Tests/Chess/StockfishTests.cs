using System.Diagnostics;
using HighPerf.Gym.Chess;

namespace HighPerf.Gym.Tests.Chess;

/// <summary>Needs Debian's stockfish (CI installs it via scripts/bootstrap.sh). If it is missing these tests fail
/// with StockfishException's message saying how to install it; they are never skipped.</summary>
public class StockfishTests
{
    private static readonly StockfishOptions Fast = new() { LimitStrength = false, Limit = SearchLimit.FixedNodes(2_000) };

    [Fact]
    public void ReportsEngineAndClampsEloToItsRange()
    {
        using var engine = new StockfishEngine(StockfishOptions.Opponent with { Limit = SearchLimit.MoveTime(20) });
        Assert.StartsWith("Stockfish", engine.EngineName);
        Assert.Equal(1350, engine.EffectiveElo); // 15.1 accepts 1350..2850; upstream's 1200 was ignored → default 1350
        var move = Board.Start().ParseUci(engine.BestMove(Board.StartFen, []));
        Assert.NotNull(move);
    }

    [Fact]
    public void PlaysOnlyLegalMovesAgainstRandomAtLimitedStrength()
    {
        using var env = new ChessEnvironment(_ => Board.StartFen, new StockfishMover(StockfishOptions.Opponent with { Limit = SearchLimit.MoveTime(10) }),
            new ChessTaskOptions { MaxMoves = 30 });
        using var random = ChessPolicies.RandomLegal();
        var episode = ChessDatasets.Play(env, random, 3, "chess", "random");
        Assert.Equal(0, episode.IllegalMoves); // every Stockfish reply was parsed as a legal move (else StockfishException)
        Assert.True(episode.Done);
    }

    [Fact]
    public void DeterministicModeGivesTheSameMoves()
    {
        using var a = new StockfishEngine(Fast);
        using var b = new StockfishEngine(Fast);
        var moves = new List<string> { "e2e4", "c7c5", "g1f3" };
        var first = a.BestMove(Board.StartFen, moves);
        Assert.Equal(first, a.BestMove(Board.StartFen, moves));
        Assert.Equal(first, b.BestMove(Board.StartFen, moves));
    }

    [Fact]
    public void RestartsAfterTheProcessIsKilledMidGame()
    {
        using var mover = new StockfishMover(Fast);
        using var env = new ChessEnvironment(_ => Board.StartFen, mover, ownsOpponent: false);
        using var policy = ChessPolicies.RandomLegal();
        var rng = new Random(5);
        var h = env.Reset(5);
        for (int i = 0; i < 4; i++) h = env.Step(h.AppendAction(policy.Act(h, rng))).History;
        int movesBefore = env.Moves.Count;

        using (var process = Process.GetProcessById(mover.Engine.ProcessId)) { process.Kill(); process.WaitForExit(5000); }

        var r = env.Step(h.AppendAction(policy.Act(h, rng)));
        Assert.Equal(1, mover.Engine.Restarts);
        Assert.Equal(movesBefore + 2, env.Moves.Count); // agent move + the reply from the restarted engine
        Assert.NotNull(env.LastStep!.OpponentSan);
        // The reply equals what a fresh engine says for the same game: the position was replayed in full.
        using var fresh = new StockfishEngine(Fast);
        var expected = fresh.BestMove(Board.StartFen, env.Moves.Take(env.Moves.Count - 1).Select(m => m.ToUci()).ToList());
        Assert.Equal(expected, env.Moves[^1].ToUci());
        Assert.False(r.Done && env.LastStep.Outcome.Termination == Termination.None);
    }

    [Fact]
    public void MissingBinaryGivesAClearError()
    {
        var e = Assert.Throws<StockfishException>(() => new StockfishEngine(new StockfishOptions { Path = "/nonexistent/stockfish" }));
        Assert.Contains("not found", e.Message);
        Assert.Contains("apt-get install stockfish", e.Message);
    }

    [Fact]
    public void UnresponsiveEngineFailsTheHealthCheck()
    {
        var script = Path.Combine(Path.GetTempPath(), $"mute-engine-{Environment.ProcessId}.sh");
        File.WriteAllText(script, "#!/bin/sh\nexec cat > /dev/null\n");
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        try
        {
            var sw = Stopwatch.StartNew();
            var e = Assert.Throws<StockfishException>(() => new StockfishEngine(new StockfishOptions { Path = script, StartupTimeout = TimeSpan.FromMilliseconds(500) }));
            Assert.Contains("uciok", e.Message);
            Assert.True(sw.Elapsed < TimeSpan.FromSeconds(10));
        }
        finally { File.Delete(script); }
    }

    [Fact]
    public void DatasetGeneratorsProduceConsistentEpisodesAndJsonl()
    {
        var fastOpponent = StockfishOptions.Opponent with { Limit = SearchLimit.MoveTime(5) };
        var endgames = ChessDatasets.GenerateEndgames(4, seed: 9, epsilon: 0.5, agentEngine: Fast, opponent: fastOpponent,
            options: new ChessTaskOptions { MaxMoves = 25 }).ToList();
        Assert.Equal(4, endgames.Count);
        Assert.All(endgames, e =>
        {
            Assert.Equal(0, e.IllegalMoves);
            Assert.DoesNotContain(e.StartFen, ChessTasks.EvaluationEndgamePositions);
            Assert.Equal(e.Won, e.Rewards.Contains(1.0));
            Assert.Equal(2 * e.Length + 1, e.Items.Count);
        });
        var games = ChessDatasets.GenerateChess(2, seed: 1, opponent: fastOpponent, agentLimit: SearchLimit.MoveTime(5), gamesPerElo: 1,
            options: new ChessTaskOptions { MaxMoves = 10 }).ToList();
        Assert.Equal(2, games.Count);
        Assert.All(games, g => Assert.StartsWith("stockfish-elo", g.Agent));

        var path = Path.Combine(Path.GetTempPath(), $"chess-{Environment.ProcessId}.jsonl");
        try
        {
            ChessDatasets.WriteJsonl(path, endgames);
            var lines = File.ReadAllLines(path);
            Assert.Equal(4, lines.Length);
            using var doc = System.Text.Json.JsonDocument.Parse(lines[0]);
            var step = doc.RootElement[0];
            Assert.Equal(endgames[0].StartFen, step.GetProperty("state").GetString());
            Assert.Equal(endgames[0].Length, doc.RootElement.GetArrayLength());
        }
        finally { File.Delete(path); }
    }
}
