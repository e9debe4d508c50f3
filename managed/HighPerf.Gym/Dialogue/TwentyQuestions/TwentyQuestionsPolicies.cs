using HighPerf.Gym.Core;

namespace HighPerf.Gym.Dialogue.TwentyQuestions;

/// <summary>Reference questioners for Twenty Questions.</summary>
public static class TwentyQuestionsPolicies
{
    /// <summary>"Is it a dog?" / "Is it an apple?" — the guess question for an object (canonical name, lower-cased).</summary>
    public static string GuessQuestion(TwentyQuestionsObject o)
    {
        var name = o.Name.ToLowerInvariant();
        // Plural nouns (pants, scissors, headphones) take no article.
        var plural = name.EndsWith('s') && !name.EndsWith("ss", StringComparison.Ordinal) && !name.EndsWith("us", StringComparison.Ordinal) && !name.EndsWith("as", StringComparison.Ordinal);
        return plural ? $"Is it {name}?" : $"Is it {DialogueText.Article(name)} {name}?";
    }

    /// <summary>The binary-search expert over the knowledge base.</summary>
    public static EliminationQuestioner<TwentyQuestionsObject> Expert(QuestionInterpreter? interpreter = null) =>
        Create(interpreter ?? QuestionInterpreter.Default, QuestionerStyle.Expert);

    /// <summary>The dataset-behaviour questioner: a noisy, impatient version of the expert, tuned so its episodes match the
    /// statistics of the LMRL-Gym 20Qs dataset (success ≈ 0.31, return ≈ −17.3; spec §2 table).</summary>
    public static EliminationQuestioner<TwentyQuestionsObject> Behaviour(QuestionInterpreter? interpreter = null) =>
        Create(interpreter ?? QuestionInterpreter.Default, BehaviourStyle);

    /// <summary>Random bank questions with 20% random guesses.</summary>
    public static RandomQuestioner<TwentyQuestionsObject> Random(QuestionInterpreter? interpreter = null)
    {
        var it = interpreter ?? QuestionInterpreter.Default;
        return new RandomQuestioner<TwentyQuestionsObject>(it.KnowledgeBase.Objects, it.QuestionBank, GuessQuestion);
    }

    public static QuestionerStyle BehaviourStyle { get; } = new()
    {
        RandomQuestionRate = 0.85,
        TopK = 12,
        GuessThreshold = 10,
        EagerGuessRate = 0.05,
        ForgetRate = 0.55,
    };

    public static EliminationQuestioner<TwentyQuestionsObject> Create(QuestionInterpreter interpreter, QuestionerStyle style)
    {
        var oracle = new ScriptedTwentyQuestionsOracle(interpreter);
        var kb = interpreter.KnowledgeBase;
        return new EliminationQuestioner<TwentyQuestionsObject>(
            kb.Objects,
            interpreter.QuestionBank,
            (o, q) => oracle.Answer(o, q) == TwentyQuestionsAnswers.Yes,
            GuessQuestion,
            a => TwentyQuestionsAnswers.Normalize(a) == TwentyQuestionsAnswers.Yes,
            q => interpreter.Read(q) is { Kind: QuestionKind.Guess } r ? r.Guessed : null,
            headerItems: 1,
            style);
    }
}
