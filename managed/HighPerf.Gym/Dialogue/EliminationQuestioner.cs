using HighPerf.Gym.Core;

namespace HighPerf.Gym.Dialogue;

/// <summary>How an <see cref="EliminationQuestioner{T}"/> plays. The defaults are the expert.</summary>
public sealed record QuestionerStyle
{
    /// <summary>Probability of asking a uniformly random bank question instead of a splitting one.</summary>
    public double RandomQuestionRate { get; init; }

    /// <summary>Choose uniformly among the best <c>TopK</c> splitting questions (1 = always the best split).</summary>
    public int TopK { get; init; } = 1;

    /// <summary>Guess (a random remaining candidate) once at most this many candidates remain.</summary>
    public int GuessThreshold { get; init; } = 2;

    /// <summary>Probability of a guess on any turn regardless of the candidates (an impatient questioner); the guess is a
    /// random remaining candidate.</summary>
    public double EagerGuessRate { get; init; }

    /// <summary>Probability that a question's answer is forgotten when filtering (decided once per question index and episode
    /// seed, so the policy stays a function of the history and the episode's random stream).</summary>
    public double ForgetRate { get; init; }

    /// <summary>Number of questions the game allows; the last one is always a guess.</summary>
    public int MaxQuestions { get; init; } = 20;

    public static QuestionerStyle Expert { get; } = new();
}

/// <summary>A knowledge-base questioner for the guessing games: keeps the candidates consistent with every answer so far
/// (as predicted by the scripted oracle), asks the bank question that splits them most evenly (binary search), and guesses
/// when few remain. With a <see cref="QuestionerStyle"/> it also plays the noisy dataset-behaviour questioner.
/// If an answer contradicts every candidate (an LLM oracle disagreeing with the knowledge base), the candidates are
/// recomputed from the guesses alone, so the questioner never gets stuck.</summary>
public sealed class EliminationQuestioner<T> : ITextPolicy where T : class
{
    private readonly IReadOnlyList<T> _candidates;
    private readonly IReadOnlyList<string> _bank;
    private readonly IReadOnlyList<string> _randomBank;
    private readonly Func<T, string, bool> _predictYes;
    private readonly Func<T, string> _guessQuestion;
    private readonly Func<string, bool> _answerIsYes;
    private readonly Func<string, T?> _guessTarget;
    private readonly int _headerItems;
    private readonly bool[,] _matrix; // [question, candidate]
    private readonly Dictionary<string, int> _bankIndex = new(StringComparer.Ordinal);
    private readonly Dictionary<T, int> _candidateIndex = new(ReferenceEqualityComparer.Instance);
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, bool[]> _offBankPredictions = new(StringComparer.Ordinal);
    private const int OffBankCacheLimit = 4096;

    /// <param name="candidates">All secrets the game may hide.</param>
    /// <param name="bank">Yes/no questions the questioner may ask.</param>
    /// <param name="predictYes">Whether the oracle would answer "yes" to a question for a candidate.</param>
    /// <param name="guessQuestion">The question that guesses a candidate.</param>
    /// <param name="answerIsYes">Reads an oracle answer line as yes (true) or no (false).</param>
    /// <param name="guessTarget">The candidate a question guesses, or null if it is not a guess.</param>
    /// <param name="headerItems">Leading observation items before the first question ("Questions:\n" → 1).</param>
    /// <param name="style">Play style; null = expert.</param>
    /// <param name="randomBank">Where the style's random questions come from (default: <paramref name="bank"/>).</param>
    public EliminationQuestioner(IReadOnlyList<T> candidates, IReadOnlyList<string> bank, Func<T, string, bool> predictYes, Func<T, string> guessQuestion,
        Func<string, bool> answerIsYes, Func<string, T?> guessTarget, int headerItems, QuestionerStyle? style = null, IReadOnlyList<string>? randomBank = null)
    {
        _randomBank = randomBank ?? bank;
        if (candidates.Count == 0) throw new ArgumentException("no candidates", nameof(candidates));
        _candidates = candidates;
        _bank = bank;
        _predictYes = predictYes;
        _guessQuestion = guessQuestion;
        _answerIsYes = answerIsYes;
        _guessTarget = guessTarget;
        _headerItems = headerItems;
        Style = style ?? QuestionerStyle.Expert;
        _matrix = new bool[bank.Count, candidates.Count];
        for (var q = 0; q < bank.Count; q++)
        {
            _bankIndex.TryAdd(bank[q], q);
            for (var c = 0; c < candidates.Count; c++) _matrix[q, c] = predictYes(candidates[c], bank[q]);
        }
        for (var c = 0; c < candidates.Count; c++) _candidateIndex[candidates[c]] = c;
    }

    public QuestionerStyle Style { get; }

    /// <summary>The candidates consistent with the history (after the style's forgetting).</summary>
    public IReadOnlyList<T> Remaining(TextHistory history, Random? rng = null) => RemainingIndices(history, rng).Select(i => _candidates[i]).ToArray();

    public string Act(TextHistory history, Random rng)
    {
        var asked = history.Items.Count(i => i.IsAction);
        var remaining = RemainingIndices(history, rng);
        var askedSet = new HashSet<string>(history.Items.Where(i => i.IsAction).Select(i => DialogueText.ActionLine(i.Text)), StringComparer.Ordinal);

        if (remaining.Count <= Style.GuessThreshold || asked + 1 >= Style.MaxQuestions || rng.NextDouble() < Style.EagerGuessRate)
            return Guess(remaining, rng);

        if (rng.NextDouble() < Style.RandomQuestionRate)
        {
            for (var attempt = 0; attempt < 8; attempt++)
            {
                var q = _randomBank[rng.Next(_randomBank.Count)];
                if (!askedSet.Contains(q)) return q + "\n";
            }
        }

        // Score every unasked bank question by how evenly it splits the remaining candidates.
        var scored = new List<(int Score, int Question)>();
        for (var q = 0; q < _bank.Count; q++)
        {
            if (askedSet.Contains(_bank[q])) continue;
            var yes = 0;
            foreach (var c in remaining) if (_matrix[q, c]) yes++;
            var split = Math.Min(yes, remaining.Count - yes);
            if (split > 0) scored.Add((split, q));
        }
        if (scored.Count == 0) return Guess(remaining, rng);
        scored.Sort((a, b) => b.Score != a.Score ? b.Score.CompareTo(a.Score) : a.Question.CompareTo(b.Question));
        // Among equally good questions choose at random (diverse but seeded); the style may widen the choice to the top K.
        var bestScore = scored[0].Score;
        var pool = Style.TopK <= 1 ? scored.TakeWhile(s => s.Score == bestScore).ToList() : scored.Take(Style.TopK).ToList();
        return _bank[pool[rng.Next(pool.Count)].Question] + "\n";
    }

    private string Guess(List<int> remaining, Random rng)
    {
        var pick = remaining.Count > 0 ? _candidates[remaining[rng.Next(remaining.Count)]] : _candidates[rng.Next(_candidates.Count)];
        return _guessQuestion(pick) + "\n";
    }

    private List<int> RemainingIndices(TextHistory history, Random? rng)
    {
        var pairs = new List<(string Question, bool Yes)>();
        for (var i = _headerItems; i + 1 < history.Count; i += 2)
        {
            if (!history[i].IsAction || history[i + 1].IsAction) break;
            pairs.Add((DialogueText.ActionLine(history[i].Text), _answerIsYes(DialogueText.ActionLine(history[i + 1].Text))));
        }
        // Forgetting is drawn from a stream derived from the episode's rng state at this step, so it cannot be replayed
        // differently for the same (history, seed).
        var forget = new bool[pairs.Count];
        if (Style.ForgetRate > 0 && rng is not null)
        {
            var f = new Random(rng.Next());
            for (var k = 0; k < pairs.Count; k++) forget[k] = f.NextDouble() < Style.ForgetRate;
        }

        var all = Enumerable.Range(0, _candidates.Count).ToList();
        var remaining = Filter(all, pairs, forget, guessesOnly: false);
        return remaining.Count > 0 ? remaining : Filter(all, pairs, forget, guessesOnly: true);
    }

    private bool[] PredictOffBank(string question)
    {
        if (_offBankPredictions.TryGetValue(question, out var cached)) return cached;
        var predicted = new bool[_candidates.Count];
        for (var c = 0; c < predicted.Length; c++) predicted[c] = _predictYes(_candidates[c], question);
        if (_offBankPredictions.Count < OffBankCacheLimit) _offBankPredictions.TryAdd(question, predicted);
        return predicted;
    }

    private List<int> Filter(List<int> all, List<(string Question, bool Yes)> pairs, bool[] forget, bool guessesOnly)
    {
        var remaining = all;
        for (var k = 0; k < pairs.Count; k++)
        {
            var (question, yes) = pairs[k];
            var target = _guessTarget(question);
            if (target is not null)
            {
                if (!yes && _candidateIndex.TryGetValue(target, out var ti)) remaining = remaining.Where(c => c != ti).ToList();
                continue;
            }
            if (guessesOnly || forget[k]) continue;
            if (_bankIndex.TryGetValue(question, out var q))
                remaining = remaining.Where(c => _matrix[q, c] == yes).ToList();
            else
            {
                var predicted = PredictOffBank(question);
                remaining = remaining.Where(c => predicted[c] == yes).ToList();
            }
        }
        return remaining;
    }
}

/// <summary>Asks uniformly random bank questions and, with probability <see cref="GuessRate"/>, guesses a uniformly random
/// candidate (the "random" reference policy of the guessing games).</summary>
public sealed class RandomQuestioner<T>(IReadOnlyList<T> candidates, IReadOnlyList<string> bank, Func<T, string> guessQuestion, double guessRate = 0.2) : ITextPolicy
{
    public double GuessRate { get; } = guessRate;

    public string Act(TextHistory history, Random rng) =>
        (rng.NextDouble() < GuessRate ? guessQuestion(candidates[rng.Next(candidates.Count)]) : bank[rng.Next(bank.Count)]) + "\n";
}
