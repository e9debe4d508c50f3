using HighPerf.Gym.Core;
using HighPerf.Gym.Maze;

namespace HighPerf.Gym.Tests.Core;

public class EpisodeRunnerTests
{
    [Fact]
    public void Same_seed_same_trajectories_regardless_of_batch_size()
    {
        var task = TaskRegistry.Get("maze-po");
        var a = EpisodeRunner.Run(task.CreateEnvironment, task.GetPolicy("random"), 40, task.RunOptions(5, batchSize: 1)).ToList();
        var b = EpisodeRunner.Run(task.CreateEnvironment, task.GetPolicy("random"), 40, task.RunOptions(5, batchSize: 7)).ToList();
        var c = EpisodeRunner.Run(task.CreateEnvironment, task.GetPolicy("random"), 40, task.RunOptions(6, batchSize: 7)).ToList();
        Assert.Equal(a.Select(Render), b.Select(Render));
        Assert.NotEqual(a.Select(Render), c.Select(Render));
        Assert.Equal(Enumerable.Range(0, 40).Select(i => EpisodeRunner.EpisodeSeed(5, i)), a.Select(r => r.Seed));
    }

    [Fact]
    public void Trajectory_is_full_log_even_when_env_windows_history()
    {
        var task = TaskRegistry.Get("maze-fo");
        var rec = EpisodeRunner.Run(task.CreateEnvironment, task.GetPolicy("expert"), 1, task.RunOptions(9)).Single();
        var items = rec.Trajectory.Items;
        Assert.False(items[0].IsAction);
        for (var i = 0; i < items.Length; i++) Assert.Equal(i % 2 == 1, items[i].IsAction); // obs, act, obs, act, ..., "Success\n"
        Assert.Equal("Success\n", items[^1].Text);
        Assert.True(rec.Success && rec.Done);
        Assert.Equal(rec.Trajectory.Rewards.Sum(), rec.Return);
        Assert.Equal(0.0, rec.Trajectory.Rewards[^2]); // goal move
    }

    private sealed class EchoBatch : IBatchTextPolicy
    {
        public int Calls;
        public int MaxBatch;
        public List<int> Ended = [];

        public IReadOnlyList<string> ActBatch(IReadOnlyList<PolicyRequest> requests)
        {
            Calls++;
            MaxBatch = Math.Max(MaxBatch, requests.Count);
            return requests.Select(r => r.Turn % 2 == 0 ? "move down" : "nonsense\n\n").ToArray();
        }

        public void EndEpisode(int episodeId) => Ended.Add(episodeId);
    }

    [Fact]
    public void Batch_policy_gets_batches_and_actions_are_normalized()
    {
        var policy = new EchoBatch();
        var records = EpisodeRunner.Run(() => new MazeEnvironment(true, maxSteps: 6), policy, 10, new RunOptions { Task = "t", Seed = 1, BatchSize = 4 }).ToList();
        Assert.Equal(10, records.Count);
        Assert.Equal(4, policy.MaxBatch);
        Assert.Equal(10, policy.Ended.Count);
        foreach (var r in records)
        {
            var actions = r.Trajectory.Items.Where(i => i.IsAction).Select(i => i.Text).ToList();
            Assert.All(actions, a => Assert.EndsWith("\n", a));
            Assert.All(actions, a => Assert.False(a.EndsWith("\n\n")));
            Assert.Equal("move down\n", actions[0]);
        }
    }

    [Fact]
    public void Max_actions_truncates_with_done_false()
    {
        var records = EpisodeRunner.Run(() => new MazeEnvironment(true), _ => new MazeRandomPolicy(), 3, new RunOptions { Seed = 2, MaxActions = 5 }).ToList();
        Assert.All(records, r => Assert.True(r.Done || r.Length == 5));
        Assert.Contains(records, r => !r.Done);
    }

    private static string Render(EpisodeRecord r) => r.Trajectory.ToHistory().Render() + string.Join(",", r.Trajectory.Rewards);

    private sealed class CountingEnvironment(List<CountingEnvironment> made) : ITextEnvironment, IDisposable
    {
        private readonly MazeEnvironment _maze = new(true, maxSteps: 4);
        public bool Disposed { get; private set; }
        public TextHistory Reset(int seed) { made.Add(this); return _maze.Reset(seed); }
        public StepResult Step(TextHistory history) => _maze.Step(history);
        public void Dispose() => Disposed = true;
    }

    /// <summary>The runner makes its environments, so it ends them: a chess environment owns a Stockfish process, and
    /// online RL runs thousands of episodes (192 leaked engines once filled 23 GB).</summary>
    [Fact]
    public void EnvironmentsTheRunnerMadeAreDisposedAfterTheRun()
    {
        var made = new List<CountingEnvironment>();
        var created = new List<CountingEnvironment>();
        var records = EpisodeRunner.Run(() => { var e = new CountingEnvironment(made); created.Add(e); return e; }, _ => new MazeRandomPolicy(), 7,
            new RunOptions { Seed = 3, BatchSize = 3 }).ToList();
        Assert.Equal(7, records.Count);
        Assert.Equal(3, created.Count);
        Assert.All(created, e => Assert.True(e.Disposed));
        // Stopping early (a caller that takes only some episodes) disposes them too.
        created.Clear();
        _ = EpisodeRunner.Run(() => { var e = new CountingEnvironment(made); created.Add(e); return e; }, _ => new MazeRandomPolicy(), 7,
            new RunOptions { Seed = 3, BatchSize = 3 }).Take(1).ToList();
        Assert.All(created, e => Assert.True(e.Disposed));
    }

    private sealed class CountingPolicy(List<CountingPolicy> made) : ITextPolicy, IDisposable
    {
        private readonly MazeRandomPolicy _inner = new();
        public bool Disposed { get; private set; }
        public string Act(TextHistory history, Random rng) => _inner.Act(history, rng);
        public void Dispose() { Disposed = true; made.Remove(this); }
    }

    /// <summary>Per-episode policies from the factory end with their episode (chess reference policies own a
    /// Stockfish process): at most one per slot is alive, and none after the run or an early stop.</summary>
    [Fact]
    public void PerEpisodePoliciesAreDisposedWhenTheirEpisodeEnds()
    {
        var alive = new List<CountingPolicy>();
        int created = 0, mostAlive = 0;
        PolicyFactory factory = _ => { var p = new CountingPolicy(alive); alive.Add(p); created++; mostAlive = Math.Max(mostAlive, alive.Count); return p; };
        var records = EpisodeRunner.Run(() => new MazeEnvironment(true, maxSteps: 4), factory, 9, new RunOptions { Seed = 3, BatchSize = 3 }).ToList();
        Assert.Equal(9, records.Count);
        Assert.Equal(9, created);
        Assert.True(mostAlive <= 3, $"{mostAlive} policies alive at once with 3 slots");
        Assert.Empty(alive);
        _ = EpisodeRunner.Run(() => new MazeEnvironment(true, maxSteps: 4), factory, 9, new RunOptions { Seed = 3, BatchSize = 3 }).Take(1).ToList();
        Assert.Empty(alive);
    }
}
