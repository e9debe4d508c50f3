using HighPerf.Gym.Core;
using HighPerf.Gym.Evaluation;

namespace HighPerf.Gym.Maze;

/// <summary>Task definitions "maze-fo" and "maze-po".</summary>
public static class MazeTasks
{
    private static readonly PaperDatasetStatistics Table1 = new(1240, 19.7, 24.5, 0.11, -19.7, 24.5);

    public static TaskDefinition FullyObserved() => Create(true);

    public static TaskDefinition PartiallyObserved() => Create(false);

    private static TaskDefinition Create(bool fo)
    {
        var name = fo ? "maze-fo" : "maze-po";
        Func<ITextEnvironment> env = () => new MazeEnvironment(fo);
        return new TaskDefinition
        {
            Name = name,
            Description = fo
                ? "Maze, fully observed: goal and position given each turn (10x13 double-T maze, goal (8,6), 100 moves)."
                : "Maze, partially observed: only nearby walls are described; the history keeps the last 40 items.",
            CreateEnvironment = env,
            Policies = new Dictionary<string, PolicyFactory>
            {
                ["random"] = _ => new MazeRandomPolicy(),
                ["behavior"] = e => new MazeBehaviorPolicy(e),
                ["expert"] = _ => new MazeExpertPolicy(),
            },
            Normalization = fo ? NormalizationConstants.MazeFullyObserved : NormalizationConstants.MazePartiallyObserved,
            NormalizationNote = fo ? null : "PO max −25.75 is the paper's constant; its derivation is undocumented (spec §2.1).",
            FilteredBc = FilteredBcRule.Success,
            ActionCandidates = ActionCandidates.Fixed(["move up\n", "move down\n", "move left\n", "move right\n"]),
            EvalEpisodes = 25 * 32,
            DatasetEpisodes = 1240,
            PaperDatasetSize = 1240,
            PaperStatistics = Table1,
            Dataset = (episodes, seed) => EpisodeRunner.Run(env, e => new MazeBehaviorPolicy(e), episodes,
                new RunOptions { Task = name, Seed = seed, Truncate = MazeBehaviorPolicy.LeftSubMaze }),
        };
    }
}
