using HighPerf.Gym.Core;
using HighPerf.Gym.Evaluation;

namespace HighPerf.Gym.Wordle;

/// <summary>Task definition "wordle".</summary>
public static class WordleTask
{
    public static TaskDefinition Create() => Create(WordleVocabulary.Default, "wordle");

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
        NormalizationNote = "Paper constants were measured with the benchmark's 431-word vocabulary; this vocabulary is the wamerican-derived list, so normalized scores are indicative only.",
        FilteredBc = FilteredBcRule.Top(0.3),
        EvalEpisodes = 4096,
        DatasetEpisodes = 10_000,
        PaperDatasetSize = 1_000_000,
        PaperStatistics = new PaperDatasetStatistics(1_000_000, 4.82, 1.27, 0.70, -4.12, 1.59),
    };
}
