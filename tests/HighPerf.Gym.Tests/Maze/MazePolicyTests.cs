using HighPerf.Gym.Core;
using HighPerf.Gym.Maze;

namespace HighPerf.Gym.Tests.Maze;

public class MazePolicyTests
{
    [Fact]
    public void Fo_expert_is_optimal_from_every_start()
    {
        foreach (var (r, c) in MazeLayout.StartCells)
        {
            var env = new MazeEnvironment(true);
            var h = env.ResetAt(r, c);
            var policy = new MazeExpertPolicy();
            var rng = new Random(1);
            double ret = 0;
            var steps = 0;
            while (true)
            {
                var s = env.Step(h.AppendAction(policy.Act(h, rng)));
                ret += s.Reward;
                steps++;
                h = s.History;
                if (s.Done) break;
            }
            Assert.True(env.Succeeded);
            Assert.Equal(MazeLayout.DistanceToGoal(r, c), steps);
            Assert.Equal(-(steps - 1), ret);
        }
    }

    [Fact]
    public void Po_expert_always_reaches_the_goal()
    {
        var task = MazeTasks.PartiallyObserved();
        var records = EpisodeRunner.RunAll(task.CreateEnvironment, task.GetPolicy("expert"), 400, task.RunOptions(seed: 3));
        Assert.All(records, r => Assert.True(r.Success));
        var mean = records.Average(r => r.Return);
        Assert.InRange(mean, -15.0, -6.84); // no better than the FO optimum, far better than the paper's PO max −25.75
    }

    [Fact]
    public void Expert_reaches_goal_from_any_state_mid_episode()
    {
        // Walk randomly first, then hand over to the expert: it must still finish optimally in FO.
        var env = new MazeEnvironment(true);
        var h = env.ResetAt(1, 5);
        var rng = new Random(7);
        for (var i = 0; i < 9; i++) h = env.Step(h.AppendAction(MazeText.Actions[rng.Next(4)])).History;
        if (env.State.Done) return;
        var remaining = MazeLayout.DistanceToGoal(env.State.Row, env.State.Col);
        var expert = new MazeExpertPolicy();
        var steps = 0;
        StepResult s;
        do
        {
            s = env.Step(h.AppendAction(expert.Act(h, rng)));
            h = s.History;
            steps++;
        } while (!s.Done);
        Assert.True(env.Succeeded);
        Assert.Equal(remaining, steps);
    }

    [Fact]
    public void Po_belief_collapses_with_left_right_wording()
    {
        var env = new MazeEnvironment(false);
        var h = env.ResetAt(1, 1);
        Assert.Equal(2, System.Numerics.BitOperations.PopCount(MazeExpertPolicy.Belief(h))); // (1,1) and (1,7) both have walls left/above/below
        var h2 = new MazeEnvironment(false).ResetAt(3, 3);
        Assert.Equal(8, System.Numerics.BitOperations.PopCount(MazeExpertPolicy.Belief(h2))); // the six T stems and the two corridor cells above the goal look alike
    }

    [Fact]
    public void Behavior_dataset_is_confined_to_submazes_and_only_goal_submaze_succeeds()
    {
        var task = MazeTasks.FullyObserved();
        var data = task.GenerateDataset(600, 11).ToList();
        Assert.Equal(600, data.Count);
        var env = new MazeEnvironment(true);
        foreach (var e in data)
        {
            var start = e.Trajectory.Items[0].Text;
            var sub = StartSubMaze(start);
            if (e.Success) Assert.Equal(2, sub);
            // every observation but (possibly) the last lies in the start sub-maze
            var obs = e.Trajectory.Items.Where(i => !i.IsAction).Select(i => i.Text).ToList();
            foreach (var o in obs.Take(obs.Count - 1)) Assert.Equal(sub, StartSubMaze(o));
            if (e.Done && !e.Success) Assert.Equal(101, e.Length); // horizon failure
        }
        var success = data.Average(e => e.Success ? 1.0 : 0.0);
        Assert.InRange(success, 0.03, 0.3);
        Assert.True(data.Average(e => e.Length) < 40, $"avg length {data.Average(e => e.Length)} success {success}");
    }

    private static int StartSubMaze(string observation)
    {
        foreach (var (r, c) in MazeLayout.StartCells)
            if (MazeText.FullyObservedText(r, c) == observation) return MazeLayout.SubMaze(r, c);
        return -1;
    }
}
