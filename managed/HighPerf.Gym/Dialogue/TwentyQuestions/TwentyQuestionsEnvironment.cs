using HighPerf.Gym.Core;

namespace HighPerf.Gym.Dialogue.TwentyQuestions;

/// <summary>Options of the Twenty Questions environment.</summary>
public sealed record TwentyQuestionsOptions
{
    /// <summary>Maximum number of questions (spec §2.6: 20).</summary>
    public int MaxQuestions { get; init; } = 20;

    /// <summary>LMRL-Gym's <c>deterministic</c> reset option: the word is <c>Objects[seed % 158]</c> instead of a seeded
    /// uniform draw.</summary>
    public bool DeterministicWord { get; init; }
}

/// <summary>Twenty Questions (LMRL-Gym §2.6). The history starts with the observation <c>"Questions:\n"</c>; each action is
/// one question line and the environment appends the oracle's answer, <c>"Yes.\n"</c> or <c>"No.\n"</c>.
/// Reward −1 per question, 0 for the question that correctly names the object (the oracle said "Yes." and the question
/// names the object, see <see cref="QuestionInterpreter.NamesObject"/>); done on a correct guess or after 20 questions.
/// Return ∈ [−20, 0]. An empty action is replaced by LMRL-Gym's sentinel "Is this a valid question?" (answer "No.",
/// reward −1); other malformed text is simply asked. Choices where code and paper differ follow the code (spec
/// "Decisions"); the POS-tagger of the guess check is replaced by a frame-word rule with the same effect on guesses.</summary>
public sealed class TwentyQuestionsEnvironment : ITextEnvironment
{
    public const string InitialObservation = "Questions:\n";

    private readonly IDialogueSimulator<TwentyQuestionsObject> _oracle;
    private TwentyQuestionsObject? _secret;
    private bool _done;

    public TwentyQuestionsEnvironment(IDialogueSimulator<TwentyQuestionsObject>? oracle = null, TwentyQuestionsKnowledgeBase? knowledgeBase = null,
        TwentyQuestionsOptions? options = null)
    {
        KnowledgeBase = knowledgeBase ?? TwentyQuestionsKnowledgeBase.Default;
        _oracle = oracle ?? new ScriptedTwentyQuestionsOracle(knowledgeBase is null ? QuestionInterpreter.Default : new QuestionInterpreter(KnowledgeBase));
        Options = options ?? new TwentyQuestionsOptions();
        if (Options.MaxQuestions < 1) throw new ArgumentOutOfRangeException(nameof(options), "MaxQuestions must be at least 1");
    }

    public TwentyQuestionsKnowledgeBase KnowledgeBase { get; }

    public TwentyQuestionsOptions Options { get; }

    /// <summary>The hidden object of the current episode (null before the first reset).</summary>
    public TwentyQuestionsObject? Secret => _secret;

    public TextHistory Reset(int seed)
    {
        var n = KnowledgeBase.Objects.Count;
        var index = Options.DeterministicWord ? (int)((uint)seed % (uint)n) : new Random(seed).Next(n);
        return Reset(KnowledgeBase.Objects[index]);
    }

    /// <summary>Starts an episode with a chosen hidden object.</summary>
    public TextHistory Reset(TwentyQuestionsObject secret)
    {
        _secret = secret ?? throw new ArgumentNullException(nameof(secret));
        _done = false;
        return TextHistory.Empty.AppendObservation(InitialObservation);
    }

    public StepResult Step(TextHistory history)
    {
        ArgumentNullException.ThrowIfNull(history);
        var secret = _secret ?? throw new InvalidOperationException("Reset must be called before Step");
        if (_done) throw new InvalidOperationException("the episode is over; call Reset");
        if (history.Last is not { IsAction: true } last) throw new ArgumentException("the last history item must be the agent's action", nameof(history));

        var question = DialogueText.ActionLine(last.Text);
        if (question.Length == 0) question = TwentyQuestionsAnswers.InvalidQuestionSentinel;
        var turns = DialogueText.Turns(history, 1);
        turns[^1] = new DialogueTurn(DialogueRole.Agent, question);
        var answer = question == TwentyQuestionsAnswers.InvalidQuestionSentinel
            ? TwentyQuestionsAnswers.No
            : TwentyQuestionsAnswers.Normalize(_oracle.Respond(secret, turns));

        var asked = history.Items.Count(i => i.IsAction);
        var correct = answer == TwentyQuestionsAnswers.Yes && QuestionInterpreter.NamesObject(question, secret);
        _done = correct || asked >= Options.MaxQuestions;
        return new StepResult(history.AppendObservation(answer + "\n"), correct ? 0.0 : -1.0, _done);
    }
}
