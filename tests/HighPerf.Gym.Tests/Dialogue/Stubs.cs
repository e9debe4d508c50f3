using HighPerf.Gym.Dialogue.TwentyQuestions;

namespace HighPerf.Gym.Tests.Dialogue;

/// <summary>A simulator of the wrong secret type, to check the factory's type check.</summary>
internal sealed class TwentyQuestionsOracleStub : HighPerf.Gym.Dialogue.IDialogueSimulator<TwentyQuestionsObject>
{
    public string Respond(TwentyQuestionsObject secret, IReadOnlyList<HighPerf.Gym.Dialogue.DialogueTurn> conversation) => "Yes.";
}
