using HighPerf.Gym.Core;
using HighPerf.Gym.Evaluation;

namespace HighPerf.Gym.Dialogue;

/// <summary>Registry entries "twenty-questions", "guess-my-city" and "car-dealer" over <see cref="DialogueTasks"/>
/// (scripted simulators by default; an LLM-backed simulator is passed to <see cref="DialogueTasks.CreateEnvironment"/>).</summary>
public static class DialogueTaskDefinitions
{
    public static TaskDefinition TwentyQuestions() => Create("twenty-questions", DialogueTasks.TwentyQuestions,
        "Twenty Questions: guess one of 158 objects with yes/no questions (20 questions, −1 each, 0 for the correct guess).",
        GuessedCorrectly);

    public static TaskDefinition GuessMyCity() => Create("guess-my-city", DialogueTasks.GuessMyCity,
        "Guess My City: find one of 100 cities with free-form questions to an oracle that never names it (20 questions).",
        GuessedCorrectly);

    public static TaskDefinition CarDealer() => Create("car-dealer", DialogueTasks.CarDealer,
        "Car Dealer: sell a car to a simulated buyer persona with a budget and preferences; reward from the sale.",
        null);

    private static TaskDefinition Create(string name, string task, string description, Func<TextTrajectory, bool>? success)
    {
        var normalization = DialogueTasks.Normalization(task);
        return new TaskDefinition
        {
            Name = name,
            Description = description,
            CreateEnvironment = () => DialogueTasks.CreateEnvironment(task),
            Policies = new Dictionary<string, PolicyFactory>
            {
                ["random"] = _ => DialogueTasks.CreatePolicy(task, DialoguePolicyKind.Random),
                ["behavior"] = _ => DialogueTasks.CreatePolicy(task, DialoguePolicyKind.Behaviour),
                ["expert"] = _ => DialogueTasks.CreatePolicy(task, DialoguePolicyKind.Expert),
            },
            Normalization = normalization,
            NormalizationNote = normalization is null ? NormalizationConstants.CarDealerNote : null,
            FilteredBc = FilteredBcRule.Top(DialogueTasks.FilteredBcTopFraction),
            Success = success,
            EvalEpisodes = 32,
            DatasetEpisodes = 1000,
            PaperDatasetSize = (int)DialogueTasks.PaperStats(task).Trajectories,
            PaperStatistics = DialogueTasks.PaperStats(task),
            Dataset = (n, seed) => DialogueTasks.GenerateEpisodes(task, n, seed).Select(e =>
                new EpisodeRecord(name, e.Seed, new TextTrajectory([.. e.History.Items], [.. e.ItemRewards], e.Done), e.Success)),
        };
    }

    /// <summary>20Qs and Guess My City: the episode ended on a correct guess, whose reward is 0 (every other question costs −1).</summary>
    private static bool GuessedCorrectly(TextTrajectory t)
    {
        if (!t.Done) return false;
        for (var i = t.Items.Length - 1; i >= 0; i--)
            if (t.Items[i].IsAction) return t.Rewards[i] == 0.0;
        return false;
    }
}
