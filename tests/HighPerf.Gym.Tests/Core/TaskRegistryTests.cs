using HighPerf.Gym.Core;
using HighPerf.Gym.Maze;

namespace HighPerf.Gym.Tests.Core;

public class TaskRegistryTests
{
    [Fact]
    public void Builtins_are_registered()
    {
        Assert.Contains(TaskRegistry.All, t => t.Name == "maze-fo");
        Assert.Contains(TaskRegistry.All, t => t.Name == "maze-po");
        foreach (var t in TaskRegistry.All)
        {
            Assert.Contains("random", t.Policies.Keys);
            Assert.Contains("behavior", t.Policies.Keys);
        }
    }

    [Fact]
    public void Unknown_task_lists_known_names()
    {
        var ex = Assert.Throws<KeyNotFoundException>(() => TaskRegistry.Get("nope"));
        Assert.Contains("maze-fo", ex.Message);
        Assert.Throws<KeyNotFoundException>(() => TaskRegistry.Get("maze-fo").GetPolicy("genius"));
    }

    [Fact]
    public void Register_rejects_duplicates_and_bad_names()
    {
        Assert.Throws<InvalidOperationException>(() => TaskRegistry.Register(MazeTasks.FullyObserved()));
        Assert.Throws<ArgumentException>(() => TaskRegistry.Register(MazeTasks.FullyObserved() with { Name = "Bad Name" }));
        TaskRegistry.Register(MazeTasks.FullyObserved() with { Name = "maze-fo-test-copy" });
        Assert.True(TaskRegistry.TryGet("maze-fo-test-copy", out _));
    }

    [Fact]
    public void Filtered_bc_rules()
    {
        EpisodeRecord Ep(double ret, bool success) => new("t", 0,
            new TextTrajectory([TextItem.Observation("o\n"), TextItem.Action("a\n")], [0.0, ret], true), success);
        var data = new[] { Ep(-3, false), Ep(-1, true), Ep(-2, false), Ep(-1, false), Ep(0, true) };
        Assert.Equal(2, FilteredBcRule.Success.Apply(data).Count);
        var top = FilteredBcRule.Top(0.3).Apply(data); // ceil(1.5) = 2: returns 0 and the first -1
        Assert.Equal(new[] { -1.0, 0.0 }, top.Select(e => e.Return));
        Assert.True(top[0].Success);
        Assert.Throws<ArgumentOutOfRangeException>(() => FilteredBcRule.Top(0));
    }
}
