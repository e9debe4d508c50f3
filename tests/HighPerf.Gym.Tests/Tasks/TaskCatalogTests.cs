using HighPerf.Gym.Core;

namespace HighPerf.Gym.Tests.Tasks;

/// <summary>The ten LMRL-Gym tasks are all registered and each runs through the generic tool chain (registry →
/// environment → reference policy → episode runner → dataset generator) with the same seed giving the same data.</summary>
public sealed class TaskCatalogTests
{
    private static readonly string[] Names =
    [
        "maze-fo", "maze-po", "textnav-fo", "textnav-po", "wordle", "chess", "endgames",
        "twenty-questions", "guess-my-city", "car-dealer",
    ];

    public static TheoryData<string> TaskNames => new(Names);

    [Fact]
    public void AllTenTasksAreRegisteredInOrder()
    {
        Assert.Equal(Names, HighPerf.Gym.Tasks.TaskCatalog.All.Select(create => create().Name));
        Assert.All(Names, n => Assert.True(TaskRegistry.TryGet(n, out _), n));
    }

    [Theory]
    [MemberData(nameof(TaskNames))]
    public void RandomPolicyEpisodesRunAndAreSeedDeterministic(string name)
    {
        var task = TaskRegistry.Get(name);
        Assert.True(task.Policies.ContainsKey("random") && task.Policies.ContainsKey("behavior") && task.Policies.ContainsKey("expert"));
        var first = EpisodeRunner.Run(task.CreateEnvironment, task.GetPolicy("random"), 2, task.RunOptions(seed: 7, batchSize: 2)).ToList();
        var second = EpisodeRunner.Run(task.CreateEnvironment, task.GetPolicy("random"), 2, task.RunOptions(seed: 7, batchSize: 2)).ToList();
        Assert.Equal(2, first.Count);
        foreach (var (a, b) in first.Zip(second))
        {
            Assert.True(a.Trajectory.ActionCount > 0, $"{name}: no action taken");
            Assert.True(double.IsFinite(a.Return), $"{name}: return {a.Return}");
            if (name is not ("chess" or "endgames")) // Stockfish under a time limit is not deterministic (docs/chess.md)
                Assert.Equal(Render(a), Render(b));
        }
    }

    private static string Render(EpisodeRecord e)
        => $"seed {e.Seed}: " + string.Concat(e.Trajectory.Items.Select(i => (i.IsAction ? "A:" : "O:") + i.Text));

    [Theory]
    [InlineData("maze-fo")]
    [InlineData("wordle")]
    [InlineData("twenty-questions")]
    [InlineData("guess-my-city")]
    [InlineData("car-dealer")]
    public void DatasetGeneratorsAreSeedDeterministicAndFilterableByTheTaskRule(string name)
    {
        var task = TaskRegistry.Get(name);
        var a = task.GenerateDataset(20, seed: 3).ToList();
        var b = task.GenerateDataset(20, seed: 3).ToList();
        Assert.Equal(20, a.Count);
        Assert.Equal(a.Select(e => e.Trajectory.Items.Length), b.Select(e => e.Trajectory.Items.Length));
        Assert.Equal(a.Select(e => e.Return), b.Select(e => e.Return));
        var kept = task.FilteredBc.Apply(a);
        Assert.NotEmpty(kept);
        Assert.True(kept.Count < a.Count || a.All(e => e.Success), $"{name}: filter {task.FilteredBc} kept everything");
    }
}
