using HighPerf.Gym.Core;

namespace HighPerf.Rl.Algorithms;

/// <summary>Filtered BC ("%BC", spec §4.1): behaviour cloning on the episodes the task's rule keeps — successful ones
/// (Maze, Text-Nav, Chess, Endgames) or the top k% by return (dialogue 10%, Wordle 30%). The rule comes from the
/// task registry (<see cref="TaskDefinition.FilteredBc"/>); the training itself is BehaviorCloning.</summary>
public static class FilteredBehaviorCloning
{
    public static IReadOnlyList<EpisodeRecord> Select(TaskDefinition task, IReadOnlyList<EpisodeRecord> episodes)
    {
        ArgumentNullException.ThrowIfNull(task);
        var kept = task.FilteredBc.Apply(episodes);
        if (kept.Count == 0) throw new InvalidOperationException($"filtered BC ({task.FilteredBc}) keeps no episode of the {episodes.Count} in the dataset of '{task.Name}'");
        return kept;
    }
}
