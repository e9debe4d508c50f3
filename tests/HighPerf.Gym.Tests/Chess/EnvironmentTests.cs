using HighPerf.Gym.Evaluation;
using HighPerf.Gym.Chess;
using HighPerf.Gym.Core;

namespace HighPerf.Gym.Tests.Chess;

/// <summary>Plays fixed replies (SAN), so rewards can be tested without an engine.</summary>
internal sealed class ScriptedMover(params string[] replies) : IChessMover
{
    private int _next;

    public Move ChooseMove(Board board, string startFen, IReadOnlyList<Move> moves, Random rng) => board.ParseSan(replies[_next++]);

    public void Dispose() { }
}

public class ChessTextTests
{
    [Fact]
    public void StartObservationIsTheSpecLiteral()
    {
        const string spec = "r n b q k b n r / p p p p p p p p / 8 / 8 / 8 / 8 / P P P P P P P P / R N B Q K B N R   w   K Q k q   -   0   1";
        Assert.Equal(spec, ChessText.Observation(Board.StartFen, newline: false));
        Assert.Equal(spec + "\n", ChessText.Observation(Board.StartFen));
        Assert.Equal(Board.StartFen, ChessText.ParseObservation(spec + "\n"));
        Assert.Equal("N f 3\n", ChessText.Action("Nf3"));
        Assert.Equal("O - O - O\n", ChessText.Action("O-O-O"));
        Assert.Equal("Nf3", ChessText.ParseAction(" N f 3 \n"));
        Assert.Throws<FormatException>(() => ChessText.ParseObservation("rn bq"));
    }
}

public class ChessEnvironmentTests
{
    private static ChessEnvironment Env(string fen, IChessMover opponent, ChessTaskOptions? options = null) => new(_ => fen, opponent, options);

    private static StepResult Act(ChessEnvironment env, TextHistory history, string action) => env.Step(history.AppendAction(action));

    [Fact]
    public void ResetReturnsOnlyTheSpacedFen()
    {
        using var env = Env(Board.StartFen, new RandomMover());
        var h = env.Reset(0);
        Assert.Single(h.Items);
        Assert.False(h[0].IsAction);
        Assert.Equal(ChessText.Observation(Board.StartFen), h[0].Text);
    }

    [Theory]
    [InlineData("e 5\n")]
    [InlineData("hello\n")]
    [InlineData("\n")]
    [InlineData("")]
    [InlineData("- -\n")]
    [InlineData("K e 2\n")]
    [InlineData("e 2 e 5\n")]
    [InlineData("\u0000\u00ff♞\n")]
    public void IllegalOrMalformedActionsCostOneAndLeaveTheBoard(string action)
    {
        using var env = Env(Board.StartFen, new RandomMover());
        var h = env.Reset(1);
        var r = Act(env, h, action);
        Assert.Equal(-1.0, r.Reward);
        Assert.False(r.Done);
        Assert.Equal(h[0].Text, r.History[0].Text);
        Assert.NotNull(env.LastStep!.IllegalReason);
        Assert.Null(env.LastStep.AgentSan);
    }

    [Theory]
    [InlineData("- -\n")]
    [InlineData("Z 0\n")]
    [InlineData("0 0 0 0\n")]
    [InlineData("@ @ @ @\n")]
    public void NullMoveIsAnIllegalMoveAsUpstreamRunsIt(string action)
    {
        // upstream's ChessEnv.step returns (−1, done) for a null move inside try, but the return in its finally
        // block overrides it: −1, not done, board unchanged — the illegal-move result
        using var env = Env(Board.StartFen, new ScriptedMover("e5"));
        var h = env.Reset(0);
        var r = Act(env, h, action);
        Assert.Equal(-1.0, r.Reward);
        Assert.False(r.Done);
        Assert.Equal(h[0].Text, r.History[0].Text);
        Assert.Contains("null move", env.LastStep!.IllegalReason);
        // the game goes on
        var next = Act(env, r.History, "e 4\n");
        Assert.Equal(0.0, next.Reward);
        Assert.Equal("e5", env.LastStep!.OpponentSan);
    }

    [Fact]
    public void NullMoveEndsTheEpisodeWhenAskedTo()
    {
        using var env = Env(Board.StartFen, new RandomMover(), new ChessTaskOptions { NullMoveEndsEpisode = true });
        var h = env.Reset(0);
        var r = Act(env, h, "- -\n");
        Assert.Equal(-1.0, r.Reward);
        Assert.True(r.Done);
        Assert.Equal(h[0].Text, r.History[0].Text);
        // an ordinary illegal move still does not end it
        h = env.Reset(1);
        r = Act(env, h, "K e 2\n");
        Assert.Equal(-1.0, r.Reward);
        Assert.False(r.Done);
    }

    [Fact]
    public void LegalMoveGetsReplyAndZeroReward()
    {
        using var env = Env(Board.StartFen, new ScriptedMover("e5"));
        var h = env.Reset(0);
        var r = Act(env, h, "e 4\n");
        Assert.Equal(0.0, r.Reward);
        Assert.False(r.Done);
        Assert.Equal(ChessText.Observation("rnbqkbnr/pppp1ppp/8/4p3/4P3/8/PPPP1PPP/RNBQKBNR w KQkq - 0 2"), r.History[0].Text);
        Assert.Equal("e5", env.LastStep!.OpponentSan);
        Assert.Single(r.History.Items);
    }

    [Fact]
    public void MatingMoveWins()
    {
        using var env = Env("6k1/5ppp/8/8/8/8/8/R5K1 w - - 0 1", new RandomMover());
        var h = env.Reset(0);
        var r = Act(env, h, "R a 8 #\n");
        Assert.Equal(1.0, r.Reward);
        Assert.True(r.Done);
        Assert.True(env.Succeeded);
        Assert.Throws<InvalidOperationException>(() => Act(env, r.History, "K f 1\n"));
    }

    [Fact]
    public void BeingMatedLoses()
    {
        using var env = Env(Board.StartFen, new ScriptedMover("e5", "Qh4#"));
        var h = env.Reset(0);
        var r = Act(env, h, "f 3\n");
        Assert.Equal(0.0, r.Reward);
        r = Act(env, r.History, "g 4\n");
        Assert.Equal(-1.0, r.Reward);
        Assert.True(r.Done);
        Assert.False(env.Succeeded);
        Assert.Equal(new Outcome(Termination.Checkmate, Color.Black), env.LastStep!.Outcome);
    }

    [Fact]
    public void StalematingMoveDrawsWithZero()
    {
        using var env = Env("7k/8/6K1/5Q2/8/8/8/8 w - - 0 1", new RandomMover());
        var r = Act(env, env.Reset(0), "Q f 7\n");
        Assert.Equal(0.0, r.Reward);
        Assert.True(r.Done);
        Assert.Equal(Termination.Stalemate, env.LastStep!.Outcome.Termination);
    }

    [Fact]
    public void HorizonEndsAfterMaxMovesPlusOneSteps()
    {
        using var env = Env(Board.StartFen, new RandomMover(), new ChessTaskOptions { MaxMoves = 3 });
        var h = env.Reset(0);
        double total = 0;
        int steps = 0;
        StepResult r;
        do { r = Act(env, h, "x\n"); h = r.History; total += r.Reward; steps++; } while (!r.Done);
        Assert.Equal(4, steps); // upstream: done when num_moves_made > max_moves
        Assert.Equal(-4.0, total);
    }

    [Fact]
    public void ObservationWithoutNewlineOption()
    {
        using var env = Env(Board.StartFen, new RandomMover(), new ChessTaskOptions { ObservationNewline = false });
        Assert.Equal(ChessText.Observation(Board.StartFen, newline: false), env.Reset(0)[0].Text);
    }

    [Fact]
    public void RejectsProgrammingErrors()
    {
        using var env = Env("4k3/8/8/8/8/8/8/4K2R b - - 0 1", new RandomMover());
        Assert.Throws<ArgumentException>(() => env.Reset(0)); // the agent plays White
        using var env2 = Env(Board.StartFen, new RandomMover());
        Assert.Throws<InvalidOperationException>(() => env2.Step(TextHistory.Empty.AppendAction("e 4\n"))); // no Reset
        var h = env2.Reset(0);
        Assert.Throws<ArgumentException>(() => env2.Step(h)); // last item is not an action
    }

    [Fact]
    public void RandomPolicyPlaysWholeGamesWithoutIllegalMoves()
    {
        using var env = Env(Board.StartFen, new RandomMover());
        using var policy = ChessPolicies.RandomLegal();
        for (int seed = 0; seed < 5; seed++)
        {
            var episode = ChessDatasets.Play(env, policy, seed, "chess", policy.Name);
            Assert.Equal(0, episode.IllegalMoves);
            Assert.True(episode.Done);
            Assert.InRange(episode.Length, 1, 401);
            Assert.All(episode.Items.Where(i => !i.IsAction), i => Assert.EndsWith("\n", i.Text));
            Assert.All(episode.Rewards.Where((_, i) => !episode.Items[i].IsAction), r => Assert.Equal(0.0, r));
        }
    }
}

public class EndgamePositionTests
{
    [Fact]
    public void GeneratedPositionsAreValidDistinctBalancedAndDeterministic()
    {
        var a = EndgamePositions.Generate(42, 200);
        Assert.Equal(a, EndgamePositions.Generate(42, 200));
        Assert.NotEqual(a, EndgamePositions.Generate(43, 200));
        Assert.Equal(200, a.Distinct().Count());
        for (int i = 0; i < a.Count; i++)
        {
            var board = Board.FromFen(a[i]);
            Assert.Equal(Color.White, board.SideToMove);
            Assert.False(board.InCheck);
            Assert.False(board.GetOutcome().IsGameOver);
            var set = EndgamePositions.StandardSets[i % 4];
            var pieces = string.Concat(a[i].Split(' ')[0].Where(char.IsLetter).Order());
            Assert.Equal(string.Concat(set.Order()), pieces);
        }
    }

    [Fact]
    public void RejectsBadPieceSets()
    {
        Assert.Throws<ArgumentException>(() => EndgamePositions.Random("kQ", new Random(0)));
        Assert.Throws<ArgumentException>(() => EndgamePositions.Random("kXK", new Random(0)));
    }

    [Fact]
    public void EvaluationPositionsAndNormalization()
    {
        Assert.Equal(645, ChessTasks.EvaluationEndgamePositions.Count);
        Assert.Equal(50, NormalizationConstants.Chess.Normalize(0.21), 9);
        Assert.Equal(100, NormalizationConstants.Endgames.Normalize(1), 9);
        Assert.Equal(0, NormalizationConstants.Endgames.Normalize(-22.87), 9);
        Assert.Equal(0, NormalizationConstants.Chess.Normalize(-401), 9);
    }

    /// <summary>An endgame episode replays from its own first position; a record that does not start with one is an
    /// input error naming the episode (before any engine starts).</summary>
    [Fact]
    public void ReplayEnvironmentRejectsARecordWithoutAStartPosition()
    {
        var task = ChessTaskDefinitions.EndgamesCpu();
        var noPosition = new EpisodeRecord("endgames", 7, new TextTrajectory([new TextItem("not a position\n", false)], [0.0], false), false);
        var e = Assert.Throws<InvalidDataException>(() => task.CreateReplayEnvironment(noPosition));
        Assert.Contains("episode seed 7", e.Message);
        var actionFirst = new EpisodeRecord("endgames", 8, new TextTrajectory([new TextItem("K e 2\n", true)], [0.0], false), false);
        Assert.Contains("episode seed 8", Assert.Throws<InvalidDataException>(() => task.CreateReplayEnvironment(actionFirst)).Message);
    }
}
