using System.Text.RegularExpressions;

namespace HighPerf.Gym.Dialogue.TwentyQuestions;

/// <summary>The two answers the Twenty Questions environment ever shows (spec §2.6), and the LMRL-Gym normalization
/// of any oracle output to one of them.</summary>
public static partial class TwentyQuestionsAnswers
{
    public const string Yes = "Yes.";
    public const string No = "No.";

    /// <summary>The sentinel LMRL-Gym uses for an invalid (empty) question; it always gets "No.".</summary>
    public const string InvalidQuestionSentinel = "Is this a valid question?";

    /// <summary>LMRL-Gym post-processing: lower-case; "yes"/"no" at the start (after leading punctuation or quotes) →
    /// "Yes."/"No."; anything else → "No.".</summary>
    public static string Normalize(string? output)
    {
        var m = LeadingYesNo().Match((output ?? string.Empty).ToLowerInvariant());
        return m.Success && m.Groups[1].Value == "yes" ? Yes : No;
    }

    [GeneratedRegex(@"^[\s""'*`\-:>]*(yes|no)\b")]
    private static partial Regex LeadingYesNo();
}

/// <summary>The deterministic scripted oracle: reads the question with <see cref="QuestionInterpreter"/> and answers
/// truthfully from the knowledge base. Guesses are right only for the hidden object's own names; questions it cannot
/// read get "No.", like LMRL-Gym's T5 oracle whose non-yes/no outputs map to "No.". Stateless and thread-safe.</summary>
public sealed class ScriptedTwentyQuestionsOracle(QuestionInterpreter interpreter) : IDialogueSimulator<TwentyQuestionsObject>
{
    public ScriptedTwentyQuestionsOracle() : this(QuestionInterpreter.Default)
    {
    }

    public QuestionInterpreter Interpreter { get; } = interpreter;

    public string Respond(TwentyQuestionsObject secret, IReadOnlyList<DialogueTurn> conversation)
    {
        var question = conversation.Count == 0 ? string.Empty : conversation[^1].Text;
        return Answer(secret, question);
    }

    /// <summary>"Yes." or "No." for one question.</summary>
    public string Answer(TwentyQuestionsObject secret, string question)
    {
        if (string.IsNullOrWhiteSpace(question) || question.Trim() == TwentyQuestionsAnswers.InvalidQuestionSentinel) return TwentyQuestionsAnswers.No;
        if (QuestionInterpreter.NamesObject(question, secret)) return TwentyQuestionsAnswers.Yes;
        return Interpreter.Answer(secret, question) == true ? TwentyQuestionsAnswers.Yes : TwentyQuestionsAnswers.No;
    }
}
