using HighPerf.Gym.Core;
using HighPerf.Gym.Evaluation;

namespace HighPerf.Gym.Wordle;

/// <summary>Task definition "wordle" (431 common words, the benchmark's vocabulary size) and the opt-in
/// "wordle-large" (4,667 words; not in the catalog: register it with <c>TaskRegistry.Register(WordleTask.CreateLarge())</c>).</summary>
public static class WordleTask
{
    public static TaskDefinition Create() => Create(WordleVocabulary.Default, "wordle");

    /// <summary>Wordle on the 4,667-word <see cref="WordleVocabulary.Large"/> list: about ten times more candidates,
    /// so every policy needs more guesses and Table 5's constants do not describe it.</summary>
    public static TaskDefinition CreateLarge() => Create(WordleVocabulary.Large, "wordle-large");

    public static TaskDefinition Create(WordleVocabulary vocabulary, string name) => new()
    {
        Name = name,
        Description = $"Wordle: guess a 5-letter word in 6 tries with g/y/b feedback ({vocabulary.Count}-word vocabulary).",
        CreateEnvironment = () => new WordleEnvironment(vocabulary),
        Policies = new Dictionary<string, PolicyFactory>
        {
            ["random"] = _ => new WordleRandomPolicy(vocabulary),
            ["behavior"] = _ => new WordleBehaviorPolicy(vocabulary),
            ["expert"] = _ => new WordleExpertPolicy(vocabulary),
        },
        Normalization = NormalizationConstants.Wordle,
        NormalizationNote = ReferenceEquals(vocabulary, WordleVocabulary.Default)
            ? "Paper constants were measured with the benchmark's 431-word list; this is a different list of 431 common words (docs/gym.md), so normalized scores are close but not identical in meaning."
            : $"Paper constants were measured with the benchmark's 431-word list; this vocabulary has {vocabulary.Count} words, so normalized scores are indicative only.",
        FilteredBc = FilteredBcRule.Top(0.3),
        EvalEpisodes = 4096,
        DatasetEpisodes = 10_000,
        PaperDatasetSize = 1_000_000,
        PaperStatistics = new PaperDatasetStatistics(1_000_000, 4.82, 1.27, 0.70, -4.12, 1.59),
    };
}
