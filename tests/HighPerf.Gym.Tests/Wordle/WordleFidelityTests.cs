using HighPerf.Gym.Core;
using HighPerf.Gym.Wordle;

namespace HighPerf.Gym.Tests.Wordle;

/// <summary>Fidelity to upstream's game (issue #16 points 1 and 2): the hidden word is always drawn from the words
/// consistent with all feedback so far, and the history holds every guess in the spaced form.</summary>
public class WordleFidelityTests
{
    // The large list holds the spec's example words (crane, slate, elect, moist); the default 431-word list is
    // covered by the feedback theory below.
    private static readonly WordleVocabulary Vocab = WordleVocabulary.Large;

    /// <summary>Whether a word satisfies one line of feedback, read independently of the engine: 'g' = that letter
    /// there, 'y' = not there but somewhere in the word, 'b' = nowhere in the word.</summary>
    private static bool Satisfies(string word, string guess, string feedback)
    {
        for (var i = 0; i < 5; i++)
        {
            var c = guess[i];
            var ok = feedback[2 * i] switch
            {
                'g' => word[i] == c,
                'y' => word[i] != c && word.Contains(c),
                'b' => !word.Contains(c),
                _ => false,
            };
            if (!ok) return false;
        }
        return true;
    }

    private static IEnumerable<(string Guess, string Feedback)> Pairs(TextHistory h)
    {
        for (var i = 1; i + 1 < h.Count; i += 2)
            if (h[i].IsAction && h[i + 1].Text.Length == 10)
                yield return (h[i].Text.Replace(" ", "").TrimEnd('\n'), h[i + 1].Text);
    }

    [Theory]
    [InlineData("behavior", 300, false)]
    [InlineData("random", 150, false)]
    [InlineData("behavior", 150, true)]
    [InlineData("random", 100, true)]
    public void Feedback_within_a_game_never_contradicts_itself(string policyName, int games, bool large)
    {
        var task = large ? WordleTask.CreateLarge() : WordleTask.Create();
        var vocab = large ? WordleVocabulary.Large : WordleVocabulary.Default;
        var env = (WordleEnvironment)task.CreateEnvironment();
        var policy = task.GetPolicy(policyName)(env);
        var rng = new Random(7);
        for (var seed = 0; seed < games; seed++)
        {
            var h = env.Reset(seed);
            StepResult s;
            do
            {
                s = env.Step(h.AppendAction(policy.Act(h, rng)));
                h = s.History;
                var pairs = Pairs(h).ToList();
                // the words consistent with every feedback line so far, by the independent reading
                var alive = vocab.Words.Where(w => pairs.All(p => Satisfies(w, p.Guess, p.Feedback))).ToList();
                Assert.True(alive.Count > 0, $"seed {seed}: feedback contradicts itself:\n{h.Render()}");
                // ...are exactly the engine's consistent set, and the policy-side reconstruction agrees
                Assert.Equal(alive.Count, env.Game.ConsistentCount());
                var rebuilt = WordleKnowledge.FromHistory(h, vocab);
                Assert.Equal(alive.Count, WordleSolver.Consistent(vocab, rebuilt).Count);
            } while (!s.Done);
            if (env.Succeeded) Assert.Equal("g g g g g\n", h[^1].Text);
        }
    }

    [Fact]
    public void A_yellow_letter_must_occur_in_the_word()
    {
        // after "crane" → y b b b y the letter c and e must be in every remaining candidate
        var k = WordleKnowledge.Empty;
        var elect = Vocab.IndexOf("elect");
        k.Update(Vocab.LettersOf(Vocab.IndexOf("crane")), Vocab.LettersOf(elect), Vocab.LetterMasks[elect]);
        Assert.Equal((1u << 'c' - 'a') | (1u << 'e' - 'a'), k.PresentMask);
        Assert.True(k.IsConsistent(Vocab.LettersOf(elect)));
        Assert.False(k.IsConsistent(Vocab.LettersOf(Vocab.IndexOf("moist")))); // no c, no e: ruled out now
        Assert.All(WordleSolver.Consistent(Vocab, k), w => Assert.True(Vocab.Words[w].Contains('c') && Vocab.Words[w].Contains('e'), Vocab.Words[w]));
    }

    [Theory]
    [InlineData("moist", "m o i s t\n")]
    [InlineData("moist\n", "m o i s t\n")]
    [InlineData("  m o i s t \n", "m o i s t\n")]
    [InlineData("m o i s t\n", "m o i s t\n")]
    [InlineData("hello world\n", "h e l l o w o r l d\n")]
    [InlineData("MOIST\n", "M O I S T\n")]
    [InlineData("", "\n")]
    [InlineData("\n", "\n")]
    public void Format_action_is_upstreams_spaced_form(string action, string expected)
        => Assert.Equal(expected, WordleText.FormatAction(action));

    [Theory]
    [InlineData("moist")]
    [InlineData("moist\n")]
    [InlineData("\tm o i s t \n")]
    [InlineData("hello world\n")]
    [InlineData("qqqqq")]
    public void History_holds_the_guess_in_the_spaced_form(string action)
    {
        var env = new WordleEnvironment(Vocab);
        var h = env.Reset(0);
        var s = env.Step(h.AppendAction(action));
        Assert.Equal(3, s.History.Count);
        Assert.True(s.History[1].IsAction);
        Assert.Equal(WordleText.FormatAction(action), s.History[1].Text);
        var valid = Vocab.TryParseGuess(action, out _);
        Assert.Equal(valid ? 10 : 1, s.History[2].Text.Length); // feedback line, or "\n" for an invalid guess
    }

    [Fact]
    public void Recorded_trajectories_hold_the_spaced_form()
    {
        var env = new WordleEnvironment(Vocab);
        var records = EpisodeRunner.RunAll(() => env, _ => new UnspacedPolicy(), 3, new RunOptions { Task = "wordle", Seed = 2, BatchSize = 1 });
        Assert.All(records, r => Assert.All(r.Trajectory.Items.Where(i => i.IsAction), i => Assert.Equal("c r a n e\n", i.Text)));
    }

    private sealed class UnspacedPolicy : ITextPolicy
    {
        public string Act(TextHistory history, Random rng) => "crane";
    }
}
