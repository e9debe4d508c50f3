using HighPerf.Gym.Core;
using HighPerf.Gym.Maze;

namespace HighPerf.Gym.Tests.Maze;

public class MazeEnvironmentTests
{
    [Fact]
    public void Layout_has_26_free_cells_goal_and_25_starts()
    {
        var free = 0;
        for (var r = 0; r < MazeLayout.Rows; r++)
            for (var c = 0; c < MazeLayout.Cols; c++)
                if (MazeLayout.IsFree(r, c)) free++;
        Assert.Equal(26, free);
        Assert.Equal(25, MazeLayout.StartCells.Count);
        Assert.DoesNotContain((8, 6), MazeLayout.StartCells);
    }

    [Theory]
    [InlineData(7, 6, 1)]
    [InlineData(6, 6, 2)]
    [InlineData(5, 6, 3)]
    [InlineData(5, 5, 4)]
    [InlineData(5, 8, 5)]
    [InlineData(5, 3, 6)]
    [InlineData(4, 9, 7)]
    [InlineData(3, 3, 8)]
    [InlineData(2, 9, 9)]
    [InlineData(1, 3, 10)]
    [InlineData(1, 10, 11)]
    [InlineData(1, 1, 12)]
    [InlineData(1, 11, 12)]
    public void Bfs_distances_match_spec(int r, int c, int d) => Assert.Equal(d, MazeLayout.DistanceToGoal(r, c));

    [Fact]
    public void Optimal_mean_return_over_starts_is_minus_6_84()
    {
        var mean = MazeLayout.StartCells.Average(s => MazeLayout.DistanceToGoal(s.Row, s.Col));
        Assert.Equal(7.84, mean, 10);
        Assert.Equal(-6.84, -(mean - 1), 10);
    }

    [Theory]
    [InlineData(1, 1, "The goal is at position 8, 6. Your current position is at position 1, 1. There are walls to your left, above you, below you.\n")]
    [InlineData(1, 10, "The goal is at position 8, 6. Your current position is at position 1, 1 0. There are walls above you, below you.\n")]
    [InlineData(5, 6, "The goal is at position 8, 6. Your current position is at position 5, 6. There is a wall above you.\n")]
    public void Fully_observed_text_matches_spec_literals(int r, int c, string expected) => Assert.Equal(expected, MazeText.FullyObservedText(r, c));

    [Fact]
    public void Wall_phrase_variants()
    {
        Assert.Equal("There are walls to your left, below you.", MazeText.WallPhrase(5, 3));
        Assert.Equal("There are walls to your right, to your left.", MazeText.WallPhrase(3, 3));
        Assert.Equal("There is a wall above you.", MazeText.WallPhrase(5, 6));
        Assert.Equal("There are walls to your right, to your left.\n", MazeText.PartiallyObservedText(7, 6));
        Assert.Equal("1 2", MazeText.Digits(12));
    }

    [Fact]
    public void Fo_transcript_rewards_and_success()
    {
        var env = new MazeEnvironment(fullyObserved: true);
        var h = env.ResetAt(5, 6);
        Assert.Equal("The goal is at position 8, 6. Your current position is at position 5, 6. There is a wall above you.\n", h.Render());

        var s = env.Step(h.AppendAction("move up\n")); // wall bump
        Assert.Equal(-1, s.Reward);
        Assert.False(s.Done);
        Assert.Single(s.History.Items); // FO window = 1
        Assert.Contains("position 5, 6.", s.History.Render());

        s = env.Step(s.History.AppendAction("move down\n"));
        Assert.Equal(-1, s.Reward);
        Assert.Equal("The goal is at position 8, 6. Your current position is at position 6, 6. There are walls to your right, to your left.\n", s.History.Render());
        s = env.Step(s.History.AppendAction("move down\n"));
        Assert.Equal(-1, s.Reward);
        s = env.Step(s.History.AppendAction("move down\n"));
        Assert.Equal(0, s.Reward);
        Assert.True(s.Done);
        Assert.Equal("Success\n", s.History.Render());
        Assert.True(env.Succeeded);
        Assert.Throws<InvalidOperationException>(() => env.Step(s.History.AppendAction("move up\n")));
    }

    [Theory]
    [InlineData("move up")]
    [InlineData("Move up\n")]
    [InlineData("go north\n")]
    [InlineData("")]
    [InlineData("move up\n\n")]
    public void Invalid_actions_cost_4_and_reset_context(string action)
    {
        var env = new MazeEnvironment(fullyObserved: false);
        var h = env.ResetAt(5, 3);
        var s = env.Step(h.AppendAction("move right\n"));
        Assert.Equal(3, s.History.Count); // PO keeps the window
        s = env.Step(s.History.AppendAction(action));
        Assert.Equal(-4, s.Reward);
        Assert.False(s.Done);
        Assert.Equal(new[] { "There are walls above you, below you.\n" }, s.History.Items.Select(i => i.Text));
        Assert.Equal((5, 4), (env.State.Row, env.State.Col));
    }

    [Fact]
    public void Po_window_keeps_last_40_items_and_only_walls()
    {
        var env = new MazeEnvironment(fullyObserved: false);
        var h = env.ResetAt(1, 1);
        Assert.Equal("There are walls to your left, above you, below you.\n", h.Render());
        for (var i = 0; i < 30; i++)
        {
            var s = env.Step(h.AppendAction(i % 2 == 0 ? "move right\n" : "move left\n"));
            h = s.History;
            Assert.True(h.Count <= 40);
            Assert.False(h.Items[^1].IsAction);
        }
        Assert.Equal(40, h.Count);
        Assert.True(h.Items[0].IsAction); // the window cut an observation/action pair in the middle
        Assert.DoesNotContain("position", h.Render());
    }

    [Fact]
    public void Horizon_100_then_failure_without_executing()
    {
        var env = new MazeEnvironment(fullyObserved: true);
        var h = env.ResetAt(1, 1);
        double ret = 0;
        StepResult s = default;
        for (var i = 0; i < 100; i++)
        {
            s = env.Step(h.AppendAction("move left\n"));
            ret += s.Reward;
            Assert.False(s.Done);
            h = s.History;
        }
        s = env.Step(h.AppendAction("move right\n"));
        ret += s.Reward;
        Assert.True(s.Done);
        Assert.Equal("Failure\n", s.History.Render());
        Assert.Equal(-101, ret);
        Assert.Equal((1, 1), (env.State.Row, env.State.Col)); // the final action was not executed
        Assert.False(env.Succeeded);
    }

    [Fact]
    public void Reset_seed_is_deterministic_and_covers_all_starts()
    {
        var env = new MazeEnvironment(true);
        var seen = new HashSet<string>();
        for (var seed = 0; seed < 2000; seed++) seen.Add(env.Reset(seed).Render());
        Assert.Equal(25, seen.Count);
        Assert.Equal(new MazeEnvironment(true).Reset(42).Render(), env.Reset(42).Render());
    }

    [Fact]
    public void Step_requires_an_action_last()
    {
        var env = new MazeEnvironment(true);
        var h = env.Reset(1);
        Assert.Throws<ArgumentException>(() => env.Step(h));
        Assert.Throws<InvalidOperationException>(() => new MazeEnvironment(true).Step(h.AppendAction("move up\n")));
    }

    [Fact]
    public void Struct_core_matches_facade()
    {
        var state = MazeState.At(5, 3);
        var r1 = state.Step(MazeMove.Right, 100, out var o1);
        var r2 = state.Step(null, 100, out var o2);
        Assert.Equal((-1f, MazeStepOutcome.Moved), (r1, o1));
        Assert.Equal((-4f, MazeStepOutcome.Invalid), (r2, o2));
        Assert.Equal((5, 4, 2), (state.Row, state.Col, state.Steps));
        Assert.Throws<ArgumentOutOfRangeException>(() => MazeState.At(0, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => MazeState.At(8, 6));
    }
}
