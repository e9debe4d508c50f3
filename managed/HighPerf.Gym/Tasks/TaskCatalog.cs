using HighPerf.Gym.Core;

namespace HighPerf.Gym.Tasks;

/// <summary>The built-in tasks, registered into <see cref="TaskRegistry"/> on first use, in this order.
/// ONE LINE PER TASK: each line is a factory returning a <see cref="TaskDefinition"/> (see Maze/MazeTasks.cs for an
/// example). Keep the names from the issue: maze-fo, maze-po, textnav-fo, textnav-po, wordle, chess, endgames,
/// twenty-questions, guess-my-city, car-dealer.</summary>
public static class TaskCatalog
{
    public static readonly IReadOnlyList<Func<TaskDefinition>> All =
    [
        // --- gym core (maze, text-nav, wordle) ---
        Maze.MazeTasks.FullyObserved,
        Maze.MazeTasks.PartiallyObserved,
        TextNav.TextNavTasks.FullyObserved,
        TextNav.TextNavTasks.PartiallyObserved,
        Wordle.WordleTask.Create,
        Chess.ChessTaskDefinitions.Chess,
        Chess.ChessTaskDefinitions.Endgames,
        // --- dialogue helper: add `Dialogue.TwentyQuestionsTask.Create,` `Dialogue.GuessMyCityTask.Create,` `Dialogue.CarDealerTask.Create,` here ---
    ];
}
