using HighPerf.Gym.Core;

namespace HighPerf.Gym.Wordle;

/// <summary>The Wordle game engine with the benchmark's lazy hidden word (spec §2.3): no secret is fixed at reset; each
/// valid guess is scored against a word drawn uniformly from the words consistent with all the feedback so far
/// (<see cref="WordleKnowledge.IsConsistent"/>: green letters in place, absent letters nowhere, yellow letters not
/// at that position but somewhere in the word), so feedback within a game never contradicts itself.
/// The consistent set is a bit set over the vocabulary, maintained incrementally: each new fact ANDs one or two
/// precomputed bit sets ((position, letter) or letter-anywhere) into it (SIMD), so a step costs a few hundred
/// nanoseconds, independent of how the set shrinks, and sampling is exact.</summary>
public sealed class WordleGame
{
    public const int MaxGuesses = 6;

    private readonly WordleVocabulary _vocab;
    private readonly ulong[] _consistent;
    private readonly ulong[] _full;
    private WordleKnowledge _knowledge;
    private SplitMix64 _rng;

    public WordleGame(WordleVocabulary vocabulary)
    {
        _vocab = vocabulary ?? throw new ArgumentNullException(nameof(vocabulary));
        _full = vocabulary.AllWordsBits;
        _consistent = new ulong[_full.Length];
        Reset(0);
    }

    public WordleVocabulary Vocabulary => _vocab;

    public WordleKnowledge Knowledge => _knowledge;

    public int Guesses { get; private set; }

    public bool Solved { get; private set; }

    public bool Done => Solved || Guesses >= MaxGuesses;

    public void Reset(int seed)
    {
        _rng = new SplitMix64(SeedHash.Mix(seed, 0x3017D1E));
        _knowledge = WordleKnowledge.Empty;
        _full.AsSpan().CopyTo(_consistent);
        Guesses = 0;
        Solved = false;
    }

    /// <summary>A valid guess (vocabulary index): returns the feedback code; reward is 0 when it solves, else −1.</summary>
    public int Guess(int word, out float reward)
    {
        if (Done) throw new InvalidOperationException("the Wordle game is over; call Reset first");
        if ((uint)word >= (uint)_vocab.Count) throw new ArgumentOutOfRangeException(nameof(word));
        var target = SampleConsistent();
        var g = _vocab.LettersOf(word);
        var t = _vocab.LettersOf(target);
        var tMask = _vocab.LetterMasks[target];
        for (var i = 0; i < WordleVocabulary.WordLength; i++)
        {
            var c = g[i];
            if (c == t[i])
            {
                if (_knowledge.HereAt(i) != c) AndWith(_vocab.PositionLetterBits(i, c), complement: false);
            }
            else if ((tMask >> c & 1) != 0)
            {
                // yellow: not at i, but somewhere in the word (upstream's word_satisfies requires `c in word` for every
                // letter with a HERE / NOT_HERE fact that is not NOT_HERE everywhere)
                if ((_knowledge.NotHereMask(i) >> c & 1) == 0)
                {
                    AndWith(_vocab.PositionLetterBits(i, c), complement: true);
                    AndWith(_vocab.LetterBits(c), complement: false);
                }
            }
            else if ((_knowledge.NotHereMask(0) & _knowledge.NotHereMask(1) & _knowledge.NotHereMask(2) & _knowledge.NotHereMask(3) & _knowledge.NotHereMask(4) & 1u << c) == 0)
            {
                // absent letter: NOT_HERE at all five positions = drop every word containing it (one AND)
                AndWith(_vocab.LetterBits(c), complement: true);
            }
        }
        _knowledge.Update(g, t, tMask);
        Guesses++;
        Solved = target == word;
        reward = Solved ? 0f : -1f;
        return _knowledge.Feedback(g);
    }

    /// <summary>An invalid guess: reward −1, consumes a turn.</summary>
    public float InvalidGuess()
    {
        if (Done) throw new InvalidOperationException("the Wordle game is over; call Reset first");
        Guesses++;
        return -1f;
    }

    /// <summary>Exact count of words consistent with the current knowledge.</summary>
    public int ConsistentCount()
    {
        var n = 0;
        foreach (var w in _consistent) n += System.Numerics.BitOperations.PopCount(w);
        return n;
    }

    private void AndWith(ReadOnlySpan<ulong> bits, bool complement)
    {
        var dst = _consistent.AsSpan();
        var vd = System.Runtime.InteropServices.MemoryMarshal.Cast<ulong, System.Numerics.Vector<ulong>>(dst);
        var vs = System.Runtime.InteropServices.MemoryMarshal.Cast<ulong, System.Numerics.Vector<ulong>>(bits);
        if (complement)
            for (var i = 0; i < vd.Length; i++) vd[i] = System.Numerics.Vector.AndNot(vd[i], vs[i]);
        else
            for (var i = 0; i < vd.Length; i++) vd[i] &= vs[i];
    }

    private int SampleConsistent()
    {
        var count = ConsistentCount();
        if (count == 0) throw new InvalidOperationException("no consistent word left (invariant broken)");
        var k = _rng.Next(count);
        for (var i = 0; i < _consistent.Length; i++)
        {
            var w = _consistent[i];
            var pc = System.Numerics.BitOperations.PopCount(w);
            if (k >= pc)
            {
                k -= pc;
                continue;
            }
            for (; k > 0; k--) w &= w - 1; // drop the k lowest set bits
            return i * 64 + System.Numerics.BitOperations.TrailingZeroCount(w);
        }
        throw new InvalidOperationException("sampling ran past the consistent set (invariant broken)");
    }
}

/// <summary>Wordle (spec §2.3) as a text environment, in the ReformatWordleEnvironment format: the first item is
/// "Wordle:\n"; the agent writes the guess letters separated by spaces ("c r a n e\n"; surrounding whitespace and the
/// spaces are stripped, so "crane" is accepted too) and the returned history holds the guess rewritten in that spaced
/// form (<see cref="WordleText.FormatAction"/>); feedback is five space-separated symbols ('g' here, 'y' elsewhere, 'b' absent from the cumulative
/// knowledge) ending in "\n". Invalid guesses (not five letters a–z, or not in the vocabulary) get reward −1, consume a
/// turn and an empty feedback line "\n". Reward −1 per guess, 0 for the solving guess; done when solved or after 6
/// guesses. The history is kept whole (at most 13 items). Vocabulary: by default 431 common words (as many as the
/// benchmark's list, which is not redistributed; see Wordle/Data/README.md).</summary>
public sealed class WordleEnvironment : ITextEnvironment, IEpisodeOutcome
{
    private static readonly TextHistory StartHistory = TextHistory.Empty.AppendObservation(WordleText.Start);
    private static readonly TextItem[] FeedbackItems = Enumerable.Range(0, 243).Select(c => TextItem.Observation(WordleText.Feedback(c))).ToArray();
    private static readonly TextItem InvalidItem = TextItem.Observation(WordleText.InvalidFeedback);
    private readonly WordleGame _game;
    private bool _started;

    public WordleEnvironment(WordleVocabulary? vocabulary = null) => _game = new WordleGame(vocabulary ?? WordleVocabulary.Default);

    /// <summary>The engine (privileged access for reference policies and tests).</summary>
    public WordleGame Game => _game;

    public WordleVocabulary Vocabulary => _game.Vocabulary;

    public bool Succeeded => _game.Solved;

    public TextHistory Reset(int seed)
    {
        _game.Reset(seed);
        _started = true;
        return StartHistory;
    }

    public StepResult Step(TextHistory history)
    {
        ArgumentNullException.ThrowIfNull(history);
        if (!_started) throw new InvalidOperationException("call Reset before Step");
        if (history.Count == 0 || !history.Items[^1].IsAction)
            throw new ArgumentException("the last item of the history must be the agent's guess", nameof(history));
        float reward;
        TextItem feedback;
        var text = history.Items[^1].Text;
        string canonical;
        if (_game.Vocabulary.TryParseGuess(text, out var word))
        {
            feedback = FeedbackItems[_game.Guess(word, out reward)];
            canonical = _game.Vocabulary.Formatted[word];
        }
        else
        {
            reward = _game.InvalidGuess();
            feedback = InvalidItem;
            canonical = WordleText.FormatAction(text);
        }
        // upstream's history holds every guess in the spaced form ("m o i s t\n"), whatever the agent wrote
        if (!string.Equals(text, canonical, StringComparison.Ordinal))
            history = new TextHistory(history.Items.SetItem(history.Count - 1, TextItem.Action(canonical)));
        return new StepResult(history.Append(feedback), reward, _game.Done);
    }
}
