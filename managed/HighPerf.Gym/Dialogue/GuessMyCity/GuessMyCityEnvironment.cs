using HighPerf.Gym.Core;

namespace HighPerf.Gym.Dialogue.GuessMyCity;

/// <summary>Options of the Guess My City environment.</summary>
public sealed record GuessMyCityOptions
{
    /// <summary>Maximum number of questions (spec §2.7: 20).</summary>
    public int MaxQuestions { get; init; } = 20;

    /// <summary>Pick <c>Cities[seed % 100]</c> instead of a seeded uniform draw.</summary>
    public bool DeterministicCity { get; init; }

    /// <summary>Replace an answer that names the city before it is guessed with "I can't answer that question."
    /// (ArCHer's anti-leak patch, archer.md §6.3). On by default; it matters for LLM-backed oracles.</summary>
    public bool AntiLeak { get; init; } = true;
}

/// <summary>Guess My City (LMRL-Gym §2.7). Same protocol as Twenty Questions: the history starts with
/// <c>"Questions:\n"</c>, each action is a question line and the oracle's free-text answer follows as an observation.
/// A question that names the hidden city (name or alias, whole words, case-insensitive) is a correct guess: reward 0 and
/// done. Every other question costs −1; the episode ends after 20 questions. All 100 cities are used (the upstream list
/// skips Seoul by an off-by-one; not replicated), and the guess check is a whole-word match (upstream is_done is buggy).</summary>
public sealed class GuessMyCityEnvironment : ITextEnvironment
{
    public const string InitialObservation = "Questions:\n";

    private readonly IDialogueSimulator<City> _oracle;
    private City? _secret;
    private bool _done;

    public GuessMyCityEnvironment(IDialogueSimulator<City>? oracle = null, CityKnowledgeBase? knowledgeBase = null, GuessMyCityOptions? options = null)
    {
        KnowledgeBase = knowledgeBase ?? CityKnowledgeBase.Default;
        _oracle = oracle ?? new ScriptedCityOracle(KnowledgeBase);
        Options = options ?? new GuessMyCityOptions();
        if (Options.MaxQuestions < 1) throw new ArgumentOutOfRangeException(nameof(options), "MaxQuestions must be at least 1");
    }

    public CityKnowledgeBase KnowledgeBase { get; }

    public GuessMyCityOptions Options { get; }

    public City? Secret => _secret;

    public TextHistory Reset(int seed)
    {
        var n = KnowledgeBase.Cities.Count;
        var index = Options.DeterministicCity ? (int)((uint)seed % (uint)n) : new Random(seed).Next(n);
        return Reset(KnowledgeBase.Cities[index]);
    }

    public TextHistory Reset(City secret)
    {
        _secret = secret ?? throw new ArgumentNullException(nameof(secret));
        _done = false;
        return TextHistory.Empty.AppendObservation(InitialObservation);
    }

    public StepResult Step(TextHistory history)
    {
        ArgumentNullException.ThrowIfNull(history);
        var city = _secret ?? throw new InvalidOperationException("Reset must be called before Step");
        if (_done) throw new InvalidOperationException("the episode is over; call Reset");
        if (history.Last is not { IsAction: true } last) throw new ArgumentException("the last history item must be the agent's action", nameof(history));

        var question = DialogueText.ActionLine(last.Text);
        if (question.Length == 0) question = CityAnswers.InvalidQuestionSentinel;
        var turns = DialogueText.Turns(history, 1);
        turns[^1] = new DialogueTurn(DialogueRole.Agent, question);
        var guessed = city.IsMentionedIn(question);
        var answer = SingleLine(_oracle.Respond(city, turns));
        if (answer.Length == 0) answer = CityAnswers.NotSure;
        if (!guessed && Options.AntiLeak && city.IsMentionedIn(answer)) answer = CityAnswers.CannotAnswer;

        var asked = history.Items.Count(i => i.IsAction);
        _done = guessed || asked >= Options.MaxQuestions;
        return new StepResult(history.AppendObservation(answer + "\n"), guessed ? 0.0 : -1.0, _done);
    }

    private static string SingleLine(string? text) =>
        string.Join(' ', (text ?? string.Empty).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
}
