using HighPerf.Gym.Core;
using HighPerf.Gym.Wordle;

namespace HighPerf.Gym.Tests.Wordle;

public class WordleTests
{
    // Tests that use the spec's example words (crane, slate, elect) run on the large list, which holds them.
    private static readonly WordleVocabulary Vocab = WordleVocabulary.Large;

    [Fact]
    public void Large_vocabulary_is_the_wamerican_derived_list()
    {
        Assert.Equal(4667, Vocab.Count);
        Assert.Equal("abaci", Vocab.Words[0]);
        Assert.All(new[] { "crane", "slate", "elect" }, w => Assert.True(Vocab.IndexOf(w) >= 0, w));
        Assert.Equal("c r a n e\n", Vocab.Formatted[Vocab.IndexOf("crane")]);
        Assert.Equal("wordle-large", WordleTask.CreateLarge().Name);
    }

    [Fact]
    public void Default_vocabulary_has_the_benchmarks_size_and_is_drawn_from_the_large_list()
    {
        var d = WordleVocabulary.Default;
        Assert.Equal(WordleVocabulary.BenchmarkSize, d.Count);
        Assert.Equal(431, d.Count);
        Assert.All(d.Words, w => Assert.True(Vocab.IndexOf(w) >= 0, w));
        Assert.Equal(d.Words.Order(StringComparer.Ordinal), d.Words);
        Assert.All(new[] { "crane", "abide", "write" }, w => Assert.True(d.IndexOf(w) >= 0, w));
        Assert.True(d.IndexOf("slate") < 0); // the rule is a hash sample, not a hand pick
        var task = TaskRegistry.Get("wordle");
        Assert.Equal(431, ((WordleEnvironment)task.CreateEnvironment()).Game.Vocabulary.Count);
    }

    [Fact]
    public void Spec_literal_example_elect()
    {
        // Wordle:\nc r a n e\ny b b b y\ns l a t e\nb g b y y\n  (target "elect", spec §2.3)
        var k = WordleKnowledge.Empty;
        int W(string s) => Vocab.IndexOf(s);
        var elect = W("elect");
        k.Update(Vocab.LettersOf(W("crane")), Vocab.LettersOf(elect), Vocab.LetterMasks[elect]);
        Assert.Equal("y b b b y\n", WordleText.Feedback(k.Feedback(Vocab.LettersOf(W("crane")))));
        k.Update(Vocab.LettersOf(W("slate")), Vocab.LettersOf(elect), Vocab.LetterMasks[elect]);
        Assert.Equal("b g b y y\n", WordleText.Feedback(k.Feedback(Vocab.LettersOf(W("slate")))));
        Assert.True(k.IsConsistent(Vocab.LettersOf(elect)));
        Assert.False(k.IsConsistent(Vocab.LettersOf(W("slate"))));
        // the policy-side reconstruction from text gives the same state
        var h = TextHistory.Empty.AppendObservation("Wordle:\n").AppendAction("c r a n e\n").AppendObservation("y b b b y\n")
            .AppendAction("s l a t e\n").AppendObservation("b g b y y\n");
        var rebuilt = WordleKnowledge.FromHistory(h, Vocab);
        for (var w = 0; w < Vocab.Count; w++)
            Assert.Equal(k.IsConsistent(Vocab.LettersOf(w)), rebuilt.IsConsistent(Vocab.LettersOf(w)));
    }

    [Theory]
    [InlineData("crane\n", true)]
    [InlineData("c r a n e", true)]
    [InlineData("c r a n e\n", true)]
    [InlineData("\tcrane \n", true)] // upstream strips surrounding whitespace
    [InlineData("cr\tane\n", false)]
    [InlineData("C R A N E\n", false)]
    [InlineData("c r a n\n", false)]
    [InlineData("c r a n e s\n", false)]
    [InlineData("q q q q q\n", false)]
    [InlineData("c-r-a-n-e\n", false)]
    [InlineData("", false)]
    public void Guess_parsing(string action, bool valid) => Assert.Equal(valid, Vocab.TryParseGuess(action, out _));

    [Fact]
    public void Invalid_guess_costs_a_turn_with_empty_feedback_and_six_turns_end_the_game()
    {
        var env = new WordleEnvironment(Vocab);
        var h = env.Reset(3);
        Assert.Equal("Wordle:\n", h.Render());
        for (var i = 0; i < 6; i++)
        {
            var s = env.Step(h.AppendAction("x x x x x\n"));
            Assert.Equal(-1, s.Reward);
            Assert.Equal("\n", s.History.Items[^1].Text);
            Assert.Equal(i == 5, s.Done);
            h = s.History;
        }
        Assert.Equal(13, h.Count);
        Assert.False(env.Succeeded);
        Assert.Throws<InvalidOperationException>(() => env.Step(h.AppendAction("c r a n e\n")));
    }

    [Fact]
    public void Solving_guess_gets_zero_and_all_green()
    {
        // one-word vocabulary: the only consistent word is the answer
        var vocab = WordleVocabulary.FromWords(["crane"]);
        var env = new WordleEnvironment(vocab);
        var h = env.Reset(1);
        var s = env.Step(h.AppendAction("c r a n e\n"));
        Assert.Equal(0, s.Reward);
        Assert.True(s.Done);
        Assert.Equal("Wordle:\nc r a n e\ng g g g g\n", s.History.Render());
        Assert.True(env.Succeeded);
    }

    [Fact]
    public void Lazy_secret_is_uniform_over_consistent_words()
    {
        var vocab = WordleVocabulary.FromWords(["abcde", "abcdf", "abcdg", "xyzzy"]);
        var env = new WordleEnvironment(vocab);
        int first = 0, second = 0, reachedSecond = 0;
        const int n = 6000;
        for (var seed = 0; seed < n; seed++)
        {
            var h = env.Reset(seed);
            var s = env.Step(h.AppendAction("x y z z y\n"));
            if (s.Reward == 0) { first++; continue; }
            Assert.Equal("b b b b b\n", s.History.Items[^1].Text);
            reachedSecond++;
            s = env.Step(s.History.AppendAction("a b c d e\n"));
            if (s.Reward == 0) second++;
        }
        Assert.InRange(first / (double)n, 0.25 - 0.025, 0.25 + 0.025);
        Assert.InRange(second / (double)reachedSecond, 1 / 3.0 - 0.03, 1 / 3.0 + 0.03);
    }

    [Fact]
    public void Same_seed_same_game()
    {
        string Play(int seed)
        {
            var env = new WordleEnvironment(Vocab);
            var h = env.Reset(seed);
            foreach (var w in new[] { "c r a n e\n", "s l a t e\n", "p o i n t\n" })
            {
                var s = env.Step(h.AppendAction(w));
                h = s.History;
                if (s.Done) break;
            }
            return h.Render();
        }
        Assert.Equal(Play(17), Play(17));
        var distinct = Enumerable.Range(0, 20).Select(Play).Distinct().Count();
        Assert.True(distinct > 5);
    }

    [Fact]
    public void History_reconstruction_matches_environment_state()
    {
        var env = new WordleEnvironment(Vocab);
        var rng = new Random(5);
        for (var seed = 0; seed < 30; seed++)
        {
            var h = env.Reset(seed);
            var behavior = new WordleBehaviorPolicy(Vocab);
            StepResult s;
            do
            {
                s = env.Step(h.AppendAction(behavior.Act(h, rng)));
                h = s.History;
            } while (!s.Done);
            var rebuilt = WordleKnowledge.FromHistory(h, Vocab);
            var state = env.Game.Knowledge;
            for (var w = 0; w < Vocab.Count; w += 7)
                Assert.Equal(state.IsConsistent(Vocab.LettersOf(w)), rebuilt.IsConsistent(Vocab.LettersOf(w)));
        }
    }

    [Fact]
    public void Incremental_consistent_set_equals_brute_force()
    {
        var game = new WordleGame(Vocab);
        var rng = new Random(11);
        for (var seed = 0; seed < 40; seed++)
        {
            game.Reset(seed);
            Assert.Equal(Vocab.Count, game.ConsistentCount());
            while (!game.Done)
            {
                game.Guess(rng.Next(Vocab.Count), out _);
                var k = game.Knowledge;
                Assert.Equal(WordleSolver.Consistent(Vocab, k).Count, game.ConsistentCount());
            }
        }
    }

    [Fact]
    public void Vocabulary_errors_name_the_line()
    {
        var ex = Assert.Throws<FormatException>(() => WordleVocabulary.FromWords(["crane", "Slate"], "list.txt"));
        Assert.Contains("list.txt:2", ex.Message);
        Assert.Throws<FormatException>(() => WordleVocabulary.FromWords(["crane", "crane"]));
    }

    [Fact]
    public void Expert_solver_wins_nearly_always()
    {
        var task = WordleTask.Create();
        var records = EpisodeRunner.RunAll(task.CreateEnvironment, task.GetPolicy("expert"), 150, task.RunOptions(1));
        var success = records.Average(r => r.Success ? 1.0 : 0.0);
        Assert.True(success >= 0.95, $"success {success}");
        Console.WriteLine($"wordle expert: success {success}, mean return {records.Average(r => r.Return)}");
        var random = EpisodeRunner.RunAll(task.CreateEnvironment, task.GetPolicy("random"), 200, task.RunOptions(1));
        Assert.True(records.Average(r => r.Return) > random.Average(r => r.Return) + 1.5);
    }
}
