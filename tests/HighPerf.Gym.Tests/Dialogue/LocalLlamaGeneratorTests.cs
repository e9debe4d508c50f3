using HighPerf.Gym.Dialogue;
using HighPerf.Gym.Dialogue.GuessMyCity;
using HighPerf.Gym.Dialogue.Simulators;
using HighPerf.Gym.Dialogue.TwentyQuestions;
using HighPerf.Llama;

namespace HighPerf.Gym.Tests.Dialogue;

/// <summary>A tiny llama GGUF (TinyModelFactory, random weights) whose vocabulary covers the dialogue prompts.</summary>
public sealed class TinyDialogueModel : IDisposable
{
    public TinyDialogueModel()
    {
        Dir = Path.Combine(Path.GetTempPath(), "highperf-dialogue-llm-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(Dir);
        var dog = TwentyQuestionsKnowledgeBase.Default.Find("Dog");
        string[] corpus =
        [
            LlmTwentyQuestionsOracle.Instructions(dog),
            "Answer the question about the object truthfully. object: (Dog) question: Is it an animal? answer (yes or no): yes",
            "User: Assistant: Yes. No. yes no Is it a vehicle? Is it bigger than a breadbox?",
            "Is your city on the coast? My city is inland, but a river runs through it. The climate is mild.",
        ];
        Path_ = Path.Combine(Dir, "tiny-dialogue.gguf");
        TinyModelFactory.Create(Path_, corpus, new TinyModelSpec { Seed = 77 });
    }

    public string Dir { get; }

    public string Path_ { get; }

    public void Dispose()
    {
        try { Directory.Delete(Dir, recursive: true); } catch (IOException) { /* best effort */ }
    }
}

public sealed class LocalLlamaGeneratorTests(TinyDialogueModel tiny) : IClassFixture<TinyDialogueModel>
{
    private static readonly string[] Questions =
        ["Is it an animal?", "Is it a vehicle?", "Is it bigger than a breadbox?", "Is it a Dog?", "Is it made of metal?"];

    [Fact]
    public void TwentyQuestionsGameRunsOnALocalGgufAndAnswersAreNormalized()
    {
        using var gen = new LocalLlamaGenerator(new LocalLlamaGeneratorOptions { ModelPath = tiny.Path_, Seed = 3 });
        Assert.False(gen.UsesChatTemplate); // the tiny model has no chat template: plain prompts
        Assert.StartsWith("local-gguf ", gen.Description, StringComparison.Ordinal);
        var oracle = new LlmTwentyQuestionsOracle(gen);
        var env = DialogueTasks.CreateEnvironment(DialogueTasks.TwentyQuestions, oracle);
        var episode = DialogueTasks.RunEpisode(DialogueTasks.TwentyQuestions, env,
            DialogueTasks.CreatePolicy(DialogueTasks.TwentyQuestions, DialoguePolicyKind.Behaviour), seed: 1);
        var replies = episode.History.Items.Skip(1).Where(i => !i.IsAction).Select(i => i.Text.Trim()).ToList();
        Assert.NotEmpty(replies);
        Assert.All(replies, r => Assert.Contains(r, new[] { TwentyQuestionsAnswers.Yes, TwentyQuestionsAnswers.No }));
    }

    [Fact]
    public void RawAnswersStopAtTheNewlineAndTheCityOracleGivesOneLine()
    {
        using var gen = new LocalLlamaGenerator(new LocalLlamaGeneratorOptions { ModelPath = tiny.Path_, Seed = 5 });
        var dog = TwentyQuestionsKnowledgeBase.Default.Find("Dog");
        var options = new GenerationOptions { MaxTokens = 24, Temperature = 1.5f };
        foreach (var q in Questions)
        {
            var raw = gen.Generate(LlmTwentyQuestionsOracle.Prompt(dog, q), options);
            Assert.DoesNotContain('\n', raw);
            Assert.EndsWith("Assistant: ", gen.Render(LlmTwentyQuestionsOracle.Prompt(dog, q)), StringComparison.Ordinal);
        }
        var city = new LlmCityOracle(gen, new GenerationOptions { MaxTokens = 16, Temperature = 1f });
        var secret = CityKnowledgeBase.Default.Cities[0];
        var reply = city.Respond(secret, [new DialogueTurn(DialogueRole.Agent, "Is your city on the coast?")]);
        Assert.False(string.IsNullOrWhiteSpace(reply));
        Assert.DoesNotContain('\n', reply);
    }

    [Fact]
    public void SameSeedGivesTheSameAnswersWhateverTheOrderAndAnotherSeedDiffers()
    {
        var dog = TwentyQuestionsKnowledgeBase.Default.Find("Dog");
        var options = new GenerationOptions { MaxTokens = 8, Temperature = 1.5f, Stop = ["\n"] };
        string[] Run(uint seed, bool reversed)
        {
            using var gen = new LocalLlamaGenerator(new LocalLlamaGeneratorOptions { ModelPath = tiny.Path_, Seed = seed });
            var order = reversed ? Questions.Reverse().ToArray() : Questions;
            var answers = order.ToDictionary(q => q, q => gen.Generate(LlmTwentyQuestionsOracle.Prompt(dog, q), options));
            return Questions.Select(q => answers[q]).ToArray();
        }
        var a = Run(11, reversed: false);
        Assert.Equal(a, Run(11, reversed: false));
        Assert.Equal(a, Run(11, reversed: true)); // per-prompt seeds: the order of calls does not matter
        Assert.NotEqual(a, Run(12, reversed: false));
        // Greedy (temperature 0) ignores the seed.
        using var g1 = new LocalLlamaGenerator(new LocalLlamaGeneratorOptions { ModelPath = tiny.Path_, Seed = 1 });
        using var g2 = new LocalLlamaGenerator(new LocalLlamaGeneratorOptions { ModelPath = tiny.Path_, Seed = 2 });
        var greedy = new GenerationOptions { MaxTokens = 8 };
        Assert.Equal(g1.Generate(LlmTwentyQuestionsOracle.Prompt(dog, Questions[0]), greedy), g2.Generate(LlmTwentyQuestionsOracle.Prompt(dog, Questions[0]), greedy));
    }

    [Fact]
    public void MissingModelPathIsAClearError()
    {
        var missing = Path.Combine(tiny.Dir, "no-such-model.gguf");
        var e = Assert.Throws<FileNotFoundException>(() => new LocalLlamaGenerator(new LocalLlamaGeneratorOptions { ModelPath = missing }));
        Assert.Contains(missing, e.Message, StringComparison.Ordinal);
        Assert.Contains("dialogue simulator", e.Message, StringComparison.Ordinal);
        var bad = Path.Combine(tiny.Dir, "not-a-model.gguf");
        File.WriteAllText(bad, "this is not a GGUF file");
        var d = Assert.Throws<DialogueSimulatorException>(() => new LocalLlamaGenerator(new LocalLlamaGeneratorOptions { ModelPath = bad }));
        Assert.Contains(bad, d.Message, StringComparison.Ordinal);
    }
}
